"""The three legacy sidecar formats, read into one shape.

1. ``<stem>.metadata.json`` (``.ckpt`` replaced), with an optional companion
   ``<stem>.config.json`` holding the run's ``{"model": {...}}`` config;
2. ``<stem>.metadata.yaml`` (``.ckpt`` replaced), ``schema_version: '1.0'``;
3. ``<name>.ckpt.metadata.yaml`` (suffix appended), the content of 2.

None of them is guaranteed correct: a field that is missing or ``null`` is read
as not known, a field of the wrong type is a problem, and every problem of a
file is reported at once. YAML is read with ``yaml.safe_load`` only.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import yaml

from ocr._json import loads
from ocr._reading import METADATA_LIMIT, read_capped
from ocr._yaml import safe_load
from ocr.compat._config import model_from_config_mapping
from ocr.compat._recovered import Source
from ocr.compat._sidecar_fields import SidecarFields
from ocr.compat._switch import is_legacy_enabled, require_legacy_enabled
from ocr.compat._vocabulary import (
    LEGACY_CONFIG_JSON_SUFFIX,
    LEGACY_JSON_SIDECAR_SUFFIX,
    LEGACY_YAML_SIDECAR_SUFFIX,
)
from ocr.errors import LegacySidecarInvalidError
from ocr.naming import CHECKPOINT_SUFFIX

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from pathlib import Path

__all__ = [
    "LegacySidecar",
    "LegacySidecarFormat",
    "legacy_sidecar_format",
    "legacy_sidecar_paths",
    "read_legacy_sidecar",
]

_YAML_SCHEMA_VERSIONS: Final = frozenset({"1.0", "1"})


class LegacySidecarFormat(enum.StrEnum):
    """Which legacy sidecar format a file is."""

    METADATA_JSON = "metadata_json"
    METADATA_YAML = "metadata_yaml"
    CKPT_METADATA_YAML = "ckpt_metadata_yaml"


@dataclass(frozen=True)
class LegacySidecar:
    """What a legacy sidecar says; ``None`` where it says nothing (or "unknown").

    Args:
        path: The sidecar file.
        format: Its format.
        epoch: ``training.epoch``.
        global_step: ``training.global_step``.
        architecture: ``model.architecture``.
        encoder: ``model.encoder`` (its ``model_name`` in formats 2 and 3).
        decoder: The decoder's name (format 1: ``model.components.decoder``).
        head: The head's name (format 1: ``model.components.head``).
        metrics: Numeric metrics, ``additional_metrics`` merged in.
        monitor: The monitored metric (``config``/``checkpointing.monitor``).
        mode: ``min`` or ``max``.
        created_at: When the sidecar says the checkpoint was made, as written
            (naive or aware).
        exp_name: The experiment name (formats 2 and 3).
        wandb_run_id: The W&B run ID (formats 2 and 3).
        hydra_config_path: Where the run's Hydra config was (formats 2 and 3).
    """

    path: Path
    format: LegacySidecarFormat
    epoch: int | None = None
    global_step: int | None = None
    architecture: str | None = None
    encoder: str | None = None
    decoder: str | None = None
    head: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    monitor: str | None = None
    mode: str | None = None
    created_at: datetime | None = None
    exp_name: str | None = None
    wandb_run_id: str | None = None
    hydra_config_path: str | None = None


def legacy_sidecar_paths(checkpoint: Path) -> list[Path]:
    """The legacy sidecars that exist for a checkpoint, most trusted first.

    Args:
        checkpoint: The ``.ckpt`` file.

    Returns:
        The existing ones among ``<name>.ckpt.metadata.yaml``,
        ``<stem>.metadata.yaml`` and ``<stem>.metadata.json``; ``[]`` with
        legacy support off.
    """
    if not is_legacy_enabled():
        return []
    stem = checkpoint.name.removesuffix(CHECKPOINT_SUFFIX)
    candidates = (
        checkpoint.with_name(checkpoint.name + LEGACY_YAML_SIDECAR_SUFFIX),
        checkpoint.with_name(stem + LEGACY_YAML_SIDECAR_SUFFIX),
        checkpoint.with_name(stem + LEGACY_JSON_SIDECAR_SUFFIX),
    )
    return [path for path in dict.fromkeys(candidates) if path.is_file()]


def legacy_sidecar_format(path: Path) -> LegacySidecarFormat | None:
    """Tell a legacy sidecar's format from its name.

    Args:
        path: A file.

    Returns:
        The format, or ``None`` when the name is not a legacy sidecar's.
    """
    if path.name.endswith(CHECKPOINT_SUFFIX + LEGACY_YAML_SIDECAR_SUFFIX):
        return LegacySidecarFormat.CKPT_METADATA_YAML
    if path.name.endswith(LEGACY_YAML_SIDECAR_SUFFIX):
        return LegacySidecarFormat.METADATA_YAML
    if path.name.endswith(LEGACY_JSON_SIDECAR_SUFFIX):
        return LegacySidecarFormat.METADATA_JSON
    return None


def read_legacy_sidecar(path: Path, *, inside: Sequence[str] = ()) -> LegacySidecar:
    """Read a legacy sidecar of any of the three formats.

    Only a regular file of at most 16 MiB is read (:mod:`ocr._reading`).

    Args:
        path: The sidecar file; its name tells its format.
        inside: Real folders the file (and its companion) must really lie in;
            empty: anywhere.

    Returns:
        What it says. For format 1, parts of the model it leaves unknown are
        taken from the companion ``<stem>.config.json`` when that exists.

    Raises:
        LegacySidecarInvalidError: The name is not a legacy sidecar's, the file
            is not JSON/YAML or not a mapping, or fields have the wrong type
            (every problem is listed, each with its field).
        LegacySupportDisabledError: Legacy support is off.
        OSError: The file cannot be read (``UnsafeFileError``: not a regular
            file, too large, or a link out of ``inside``).
    """
    require_legacy_enabled("read the legacy sidecar", path)
    sidecar_format = _format_or_refuse(path)
    is_json = sidecar_format is LegacySidecarFormat.METADATA_JSON
    fields = SidecarFields(_load_mapping(path, is_json=is_json, inside=inside))
    version = None if is_json else fields.node("schema_version")
    if version is not None and str(version) not in _YAML_SCHEMA_VERSIONS:
        fields.problems.append(f"field 'schema_version' must be '1.0', got {version!r}")
    model = _model(fields, path, is_json=is_json, inside=inside)
    settings = "config" if is_json else "checkpointing"
    sidecar = LegacySidecar(
        path=path,
        format=sidecar_format,
        epoch=fields.count("training.epoch"),
        global_step=fields.count("training.global_step"),
        architecture=model.get("architecture"),
        encoder=model.get("encoder"),
        decoder=model.get("decoder"),
        head=model.get("head"),
        metrics=fields.metrics("metrics"),
        monitor=fields.text(f"{settings}.monitor"),
        mode=fields.mode(f"{settings}.mode"),
        created_at=fields.time("created_at"),
        exp_name=None if is_json else fields.text("exp_name"),
        wandb_run_id=None if is_json else fields.text("wandb_run_id"),
        hydra_config_path=None if is_json else fields.text("hydra_config_path"),
    )
    if fields.problems:
        raise _invalid(path, "; ".join(fields.problems))
    return sidecar


def _format_or_refuse(path: Path) -> LegacySidecarFormat:
    sidecar_format = legacy_sidecar_format(path)
    if sidecar_format is None:
        raise _invalid(
            path,
            f"the name is not a legacy sidecar's; expected '<name>.ckpt{LEGACY_YAML_SIDECAR_SUFFIX}', "
            f"'<stem>{LEGACY_YAML_SIDECAR_SUFFIX}' or '<stem>{LEGACY_JSON_SIDECAR_SUFFIX}'",
        )
    return sidecar_format


def _model(
    fields: SidecarFields, path: Path, *, is_json: bool, inside: Sequence[str]
) -> dict[str, str]:
    node = fields.node("model")
    model = dict(node) if isinstance(node, dict) else {}
    if is_json and isinstance(components := model.get("components"), dict):
        # Format 1 keeps decoder and head one level down.
        model = {**components, **model}
    found = {
        key: found.value for key, found in model_from_config_mapping(model, Source.SIDECAR).items()
    }
    if not is_json:
        return found
    companion = path.with_name(
        path.name.removesuffix(LEGACY_JSON_SIDECAR_SUFFIX) + LEGACY_CONFIG_JSON_SUFFIX
    )
    if companion.is_file():
        try:
            config = _load_mapping(companion, is_json=True, inside=inside)
        except LegacySidecarInvalidError as exc:
            fields.problems.append(f"companion {exc.cause}")
        except OSError as exc:
            fields.problems.append(f"companion {str(companion)!r} cannot be read ({exc.strerror})")
        else:
            from_config = model_from_config_mapping(config.get("model"), Source.SIDECAR)
            found = {key: recovered.value for key, recovered in from_config.items()} | found
    return found


def _load_mapping(path: Path, *, is_json: bool, inside: Sequence[str]) -> dict[str, Any]:
    raw = read_capped(path, limit=METADATA_LIMIT, inside=inside)
    try:
        loaded = loads(raw) if is_json else safe_load(raw)
    except json.JSONDecodeError as exc:
        raise _invalid(
            path, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    except yaml.YAMLError as exc:
        raise _invalid(path, f"not valid YAML ({_yaml_problem(exc)})") from exc
    except UnicodeDecodeError as exc:
        raise _invalid(path, "not UTF-8 text") from exc
    if not isinstance(loaded, dict):
        raise _invalid(path, f"expected a mapping at the top, got {type(loaded).__name__}")
    return loaded


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or type(error).__name__
    if mark is None:
        return str(problem)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def _invalid(path: Path, why: str) -> LegacySidecarInvalidError:
    return LegacySidecarInvalidError(
        f"legacy checkpoint sidecar is invalid: {str(path)!r}: {why}",
        fix="Fix or delete the file; the checkpoint is still found without it",
        path=path,
    )
