"""Recovered values and where they came from, and the legacy model vocabulary.

Legacy trees say what a model was only indirectly (a config, a folder name, the
shapes in a state dict), so every recovered field carries its :class:`Source`.
The words legacy tools wrote for "not known" (:data:`ocr.metadata.UNKNOWN_NAMES`)
are dropped here, so they never reach a caller as if they were names.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Generic, TypeVar

from ocr.metadata import UNKNOWN_NAMES

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ARCHITECTURES",
    "DECODERS",
    "MODEL_FIELDS",
    "Recovered",
    "Source",
    "is_unknown_name",
    "known_model",
    "normalise_component",
]

T = TypeVar("T")

MODEL_FIELDS: Final = ("architecture", "encoder", "decoder", "head")
"""The keys of a recovered model identity."""
ARCHITECTURES: Final = frozenset({"dbnet", "dbnetpp", "craft"})
"""Architecture words seen in legacy trees; they anchor folder-name parsing."""
DECODERS: Final = frozenset({"unet", "fpn_decoder", "pan_decoder", "dbnetpp_decoder"})
"""Decoder words seen in legacy trees."""

# Class names (and short config names) of legacy components, squashed to
# lower-case letters and digits, to the names the project logs.
_COMPONENT_NAMES: Final = {
    "unet": "unet",
    "unetdecoder": "unet",
    "pan": "pan_decoder",
    "pandecoder": "pan_decoder",
    "fpn": "fpn_decoder",
    "fpndecoder": "fpn_decoder",
    "dbnetppdecoder": "dbnetpp_decoder",
    "dbhead": "db_head",
    "dbnetpphead": "dbnetpp_head",
}
_SQUASH: Final = re.compile(r"[^a-z0-9]+")
_CAMEL: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


class Source(enum.StrEnum):
    """Where a recovered value came from, most trusted first."""

    SIDECAR = "sidecar"
    HYDRA_CONFIG = "hydra_config"
    WANDB_CONFIG = "wandb_config"
    FILE_NAME = "file_name"
    FOLDER_NAME = "folder_name"
    STATE_DICT = "state_dict"
    MTIME = "mtime"


@dataclass(frozen=True)
class Recovered(Generic[T]):
    """One recovered field and where it came from.

    Args:
        value: The value.
        source: Where it was found.
    """

    value: T
    source: Source


def is_unknown_name(value: str) -> bool:
    """Whether a legacy tool wrote ``value`` to mean "not known" (``unknown``, ``None``, ...).

    Args:
        value: A model component name as written.

    Returns:
        ``True`` for the words in :data:`ocr.metadata.UNKNOWN_NAMES`, any case.
    """
    return value.strip().lower() in UNKNOWN_NAMES


def normalise_component(written: str) -> str | None:
    """Turn a class path or short name of a component into the name the project logs.

    Args:
        written: E.g. ``ocr.models.decoder.pan_decoder.PANDecoder``, ``UNet`` or ``db_head``.

    Returns:
        The known name (``pan_decoder``, ``unet``, ``db_head``); an unknown class
        name in snake case (``MyDecoder`` -> ``my_decoder``); a plain name as
        written; ``None`` for a "not known" word.

    >>> normalise_component("ocr.models.decoder.pan_decoder.PANDecoder")
    'pan_decoder'
    >>> normalise_component("ocr.models.head.DBNetPPHead")
    'dbnetpp_head'
    """
    last = written.strip().rsplit(".", 1)[-1]
    if is_unknown_name(last):
        return None
    squashed = _SQUASH.sub("", last.lower())
    if squashed in _COMPONENT_NAMES:
        return _COMPONENT_NAMES[squashed]
    if last != last.lower():
        return _CAMEL.sub("_", last).lower()
    return last


def known_model(names: Mapping[str, str | None], source: Source) -> dict[str, Recovered[str]]:
    """Keep the known names of a model identity, each with its source.

    Args:
        names: Field (``architecture``, ``encoder``, ...) to name or ``None``.
        source: Where the names came from.

    Returns:
        The fields whose name is known, in :data:`MODEL_FIELDS` order.
    """
    return {
        field: Recovered(value, source)
        for field in MODEL_FIELDS
        if (value := names.get(field)) is not None and not is_unknown_name(value)
    }
