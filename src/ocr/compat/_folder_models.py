"""What a legacy folder's name says of its model (eras A to C), and nothing more.

Only spellings seen in real trees are read, with known words in known places;
anything else says nothing. Every field recovered here has the source
``folder_name``.
"""

from __future__ import annotations

from ocr.compat._recovered import (
    ARCHITECTURES,
    DECODERS,
    Recovered,
    Source,
    is_unknown_name,
    known_model,
)

__all__ = ["model_from_experiment_name", "model_from_subfolder", "model_from_tagged_name"]


def model_from_subfolder(subfolder: str | None) -> dict[str, Recovered[str]]:
    """Era B: ``checkpoints/<arch>_<encoder>`` names the model.

    >>> model_from_subfolder("dbnet_resnet18")["encoder"].value
    'resnet18'
    """
    if subfolder is None:
        return {}
    architecture, _, encoder = subfolder.partition("_")
    return known_model(
        {"architecture": architecture, "encoder": encoder or None}, Source.FOLDER_NAME
    )


def model_from_tagged_name(head: str) -> dict[str, Recovered[str]]:
    """Era C: ``<tag>-<arch>[-<encoder>]``, where a tag may hold ``-`` itself."""
    words = head.split("-")
    if len(words) >= 3 and _is_architecture_word(words[-2]):
        return known_model({"architecture": words[-2], "encoder": words[-1]}, Source.FOLDER_NAME)
    if len(words) >= 2:
        return known_model({"architecture": words[-1]}, Source.FOLDER_NAME)
    return {}


def model_from_experiment_name(name: str) -> dict[str, Recovered[str]]:
    """Era A: only the spelling ``<base>-<arch>-<decoder>-<encoder>`` with known words."""
    words = name.split("-")
    if len(words) < 3 or not _is_architecture_word(words[-3]):
        return {}
    if words[-2] not in DECODERS and not is_unknown_name(words[-2]):
        return {}
    names = {"architecture": words[-3], "decoder": words[-2], "encoder": words[-1]}
    return known_model(names, Source.FOLDER_NAME)


def _is_architecture_word(word: str) -> bool:
    return word.lower() in ARCHITECTURES or is_unknown_name(word)
