"""Model identity from a saved config: Hydra's ``.hydra/config.yaml`` or a W&B ``config.yaml``.

Configs are read with ``yaml.safe_load`` and never resolved: interpolations
stay as written (a ``${...}`` value is not a name), and nothing in the file can
run code. A legacy model config names its parts as
``model.architecture_name`` (or ``model.architectures``), ``model.encoder.model_name``,
``model.decoder._target_`` or ``.name``, and ``model.head._target_`` or ``.name``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import yaml

from ocr._reading import METADATA_LIMIT, read_capped
from ocr._yaml import safe_load
from ocr.compat._recovered import Recovered, Source, known_model, normalise_component

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

__all__ = [
    "model_from_config_mapping",
    "model_from_hydra_config",
    "model_from_wandb_config",
    "read_yaml_mapping",
    "unwrap_wandb_value",
]

_ARCHITECTURE_KEYS: Final = ("architecture_name", "architectures", "architecture")
_NAME_KEYS: Final = ("_target_", "name", "model_name")
_WANDB_VALUE_KEY: Final = "value"


def read_yaml_mapping(config_file: Path, *, inside: Sequence[str] = ()) -> dict[str, Any]:
    """Read a YAML file that should hold a mapping, forgivingly.

    Args:
        config_file: The file.
        inside: Real folders the file must really lie in (``ocr._reading``);
            empty: anywhere.

    Returns:
        Its top-level mapping; ``{}`` when the file is missing, unreadable,
        not a regular file, too large, a link out of ``inside``, not YAML or
        not a mapping (a config is evidence, never a requirement).
    """
    try:
        loaded = safe_load(read_capped(config_file, limit=METADATA_LIMIT, inside=inside))
    except (OSError, yaml.YAMLError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def model_from_hydra_config(
    config_file: Path, *, inside: Sequence[str] = ()
) -> dict[str, Recovered[str]]:
    """Recover a model's identity from the config Hydra saved for a run.

    Args:
        config_file: The run's ``.hydra/config.yaml``.
        inside: As for :func:`read_yaml_mapping`.

    Returns:
        ``architecture``/``encoder``/``decoder``/``head`` where the config names
        them (class paths mapped to names, e.g. ``...PANDecoder`` ->
        ``pan_decoder``), each from :attr:`Source.HYDRA_CONFIG`; ``{}`` when the
        file is missing or unreadable. Never raises.
    """
    return model_from_config_mapping(
        read_yaml_mapping(config_file, inside=inside).get("model"), Source.HYDRA_CONFIG
    )


def model_from_wandb_config(config_file: Path) -> dict[str, Recovered[str]]:
    """Recover a model's identity from a W&B run's ``files/config.yaml``.

    W&B wraps each top-level key as ``{desc: ..., value: ...}``; the ``model``
    value is read like a Hydra config's.

    Args:
        config_file: The W&B run's ``files/config.yaml``.

    Returns:
        The known parts, each from :attr:`Source.WANDB_CONFIG`; ``{}`` when the
        file is missing or unreadable. Never raises.
    """
    return model_from_config_mapping(
        unwrap_wandb_value(read_yaml_mapping(config_file).get("model")), Source.WANDB_CONFIG
    )


def unwrap_wandb_value(entry: object) -> object:
    """Take the value out of a W&B config entry (``{desc: ..., value: X}`` -> ``X``).

    Args:
        entry: A top-level entry of a W&B ``config.yaml``.

    Returns:
        The wrapped value, or the entry itself when it is not wrapped.
    """
    if isinstance(entry, dict) and _WANDB_VALUE_KEY in entry and set(entry) <= {"desc", "value"}:
        return entry[_WANDB_VALUE_KEY]
    return entry


def model_from_config_mapping(model: object, source: Source) -> dict[str, Recovered[str]]:
    """Recover a model's identity from a config's ``model`` mapping.

    Args:
        model: The ``model`` node of a config (anything; non-mappings give ``{}``).
        source: Where the mapping came from.

    Returns:
        The known parts, each from ``source``.
    """
    if not isinstance(model, dict):
        return {}
    encoder = model.get("encoder")
    names = {
        "architecture": _architecture(model),
        "encoder": _first_name(encoder, ("model_name", "name"))
        if isinstance(encoder, dict)
        else _plain(encoder),
        "decoder": _component(model.get("decoder")),
        "head": _component(model.get("head")),
    }
    return known_model(names, source)


def _architecture(model: Mapping[str, Any]) -> str | None:
    for key in _ARCHITECTURE_KEYS:
        value = model.get(key)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if (name := _plain(value)) is not None:
            return name
    return None


def _component(node: object) -> str | None:
    written = _first_name(node, _NAME_KEYS) if isinstance(node, dict) else _plain(node)
    return normalise_component(written) if written is not None else None


def _first_name(node: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if (name := _plain(node.get(key))) is not None:
            return name
    return None


def _plain(value: object) -> str | None:
    """A written name, or ``None`` for a non-string or an unresolved ``${...}`` interpolation."""
    if isinstance(value, str) and value.strip() and "${" not in value:
        return value.strip()
    return None
