"""The checkpoint sidecar: what a checkpoint is, without loading it.

Every checkpoint ``<name>.ckpt`` has ``<name>.ckpt.meta.json`` beside it, a
versioned Pydantic model written atomically. Readers accept every schema
version up to :data:`SCHEMA_VERSION` (older ones are upgraded on read) and
refuse newer ones with an "upgrade ocr" error.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    ValidationError,
)

from ocr._json import loads
from ocr._reading import METADATA_LIMIT, read_capped
from ocr._validation import NonEmptyText, describe_problems
from ocr.atomic import atomic_write_json
from ocr.errors import MetadataInvalidError, MetadataVersionError
from ocr.naming import sidecar_path

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

__all__ = [
    "SCHEMA_VERSION",
    "UNKNOWN_NAMES",
    "CheckpointInfo",
    "CheckpointMetadata",
    "ConfigInfo",
    "EnvironmentInfo",
    "ExperimentInfo",
    "ModelInfo",
    "Provenance",
    "TrainingInfo",
    "read_metadata",
    "write_metadata",
]

SCHEMA_VERSION: Final = 2
UNKNOWN_NAMES: Final = frozenset({"", "unknown", "none", "null", "custom", "ocrmodel"})
"""Names legacy tools wrote for "not known"; never accepted as a model name."""


def _upgrade_1_to_2(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 2 lets ``training.epoch`` and ``training.global_step`` be unknown (``null``).

    A migrated legacy checkpoint named ``best.ckpt`` says neither; version 1
    required both, so every v1 file is already a valid v2 file.
    """
    return {**raw, "schema_version": 2}


_UPGRADES: Final[dict[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {1: _upgrade_1_to_2}
"""Upgrades a raw sidecar of version N to N + 1; add one per schema change."""


def _known_name(value: str | None) -> str | None:
    if value is not None and value.strip().lower() in UNKNOWN_NAMES:
        msg = f"{value!r} means 'not known'; use null instead"
        raise ValueError(msg)
    return value


ModelName = Annotated[str | None, AfterValidator(_known_name)]


class _Frozen(BaseModel):
    # A diverged run logs NaN; plain JSON has no token for it, so non-finite
    # numbers are written as the strings "NaN", "Infinity" and "-Infinity",
    # which read back as the same floats (and keep the file strict JSON).
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="strings")


class CheckpointInfo(_Frozen):
    """The checkpoint file itself, as it was right after saving."""

    file_name: NonEmptyText = Field(description="The checkpoint's file name, without folder.")
    size_bytes: NonNegativeInt = Field(description="Its size in bytes right after saving.")
    modified_ns: NonNegativeInt = Field(
        description="Its modification time right after saving, in ns since the epoch."
    )
    created_at: AwareDatetime = Field(description="When it was saved, with the UTC offset.")


class ExperimentInfo(_Frozen):
    """The run the checkpoint belongs to."""

    id: str | None = Field(default=None, description="The run's registry ID, as in its run.json.")
    name: str | None = Field(default=None, description="The experiment's name.")
    run_dir: str = Field(description="The run folder, relative to the output root (POSIX).")
    sweep_id: str | None = Field(default=None, description="The sweep's ID, for a sweep job.")
    job_num: NonNegativeInt | None = Field(
        default=None, description="The job's number in its sweep, for a sweep job."
    )


class ModelInfo(_Frozen):
    """The model's identity, read from the live module; ``None`` when not known, not ``unknown``."""

    architecture: ModelName = Field(default=None, description="e.g. `dbnet`.")
    encoder: ModelName = Field(default=None, description="e.g. `tiny_resnet`, `resnet18`.")
    decoder: ModelName = Field(default=None, description="e.g. `unet`, `fpn`.")
    head: ModelName = Field(default=None, description="e.g. `db_head`.")
    parameter_count: NonNegativeInt | None = Field(
        default=None, description="The number of the model's parameters."
    )


class TrainingInfo(_Frozen):
    """Where training was when the checkpoint was saved."""

    epoch: NonNegativeInt | None = Field(description="null when not known (migrated files).")
    global_step: NonNegativeInt | None = Field(description="null when not known (migrated files).")
    monitor: str | None = Field(default=None, description="The metric checkpointing ranks by.")
    mode: Literal["min", "max"] | None = Field(
        default=None, description="Whether a higher (`max`) or lower (`min`) score is better."
    )
    score: float | None = Field(default=None, description="The monitored metric at saving.")
    metrics: dict[str, float] = Field(
        default_factory=dict,
        description='Every metric logged at saving; NaN is the string `"NaN"`.',
    )
    is_best: bool = Field(default=False, description="It was the best checkpoint when saved.")
    is_last: bool = Field(default=False, description="It is `last.ckpt`.")


class ConfigInfo(_Frozen):
    """The recipe: its hash, the overrides and where the config was saved."""

    config_hash: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the recipe (ocr.recipe): one value for every run of one recipe.",
    )
    overrides: list[str] = Field(
        default_factory=list, description="The launch's command-line overrides."
    )
    config_path: str | None = Field(
        default=None, description="The saved config, relative to the run folder (POSIX)."
    )


class EnvironmentInfo(_Frozen):
    """Software and machine that produced the checkpoint."""

    python: str = Field(description="The Python version.")
    torch: str | None = Field(default=None, description="The torch version.")
    lightning: str | None = Field(default=None, description="The Lightning version.")
    ocr: str | None = Field(default=None, description="The ocr version.")
    host: str | None = Field(default=None, description="The machine's host name.")
    git_commit: str | None = Field(
        default=None, description="HEAD of the git checkout the run was launched in."
    )


class Provenance(_Frozen):
    """Whether training wrote this sidecar or the migrator reconstructed it."""

    source: Literal["trained", "migrated"] = Field(
        description="`trained`: written while training; `migrated`: rebuilt by `ocr migrate`."
    )
    field_sources: dict[str, str] = Field(
        default_factory=dict,
        description="For migrated sidecars: dotted field name -> where its value came from.",
    )


class CheckpointMetadata(_Frozen):
    """Everything known about one checkpoint; the sidecar's content."""

    schema_version: Literal[2] = Field(
        default=SCHEMA_VERSION,
        description="The sidecar format's version; readers upgrade older ones.",
    )
    checkpoint: CheckpointInfo
    experiment: ExperimentInfo
    model: ModelInfo
    training: TrainingInfo
    config: ConfigInfo
    environment: EnvironmentInfo
    provenance: Provenance


def write_metadata(checkpoint: Path, metadata: CheckpointMetadata) -> Path:
    """Write the sidecar of ``checkpoint`` atomically.

    Args:
        checkpoint: The checkpoint file the sidecar describes.
        metadata: Its metadata.

    Returns:
        The sidecar path, ``<checkpoint>.meta.json``.

    Raises:
        OSError: The folder is missing or not writable (no partial file is left).
    """
    target = sidecar_path(checkpoint)
    atomic_write_json(target, metadata)
    return target


def read_metadata(sidecar: Path, *, inside: Sequence[str] = ()) -> CheckpointMetadata:
    """Read and validate a sidecar, upgrading older schema versions.

    Only a regular file of at most 16 MiB is read (:mod:`ocr._reading`).

    Args:
        sidecar: The ``.meta.json`` file.
        inside: Real folders (``ocr._reading.real_folders``) the file must
            really lie in (a link out of them is refused); empty: anywhere.

    Returns:
        The metadata, in the current schema.

    Raises:
        MetadataInvalidError: The file is not JSON, or a field is missing or wrong
            (every problem is listed, each with its field).
        MetadataVersionError: The file was written by a newer ocr.
        OSError: The file cannot be read (``UnsafeFileError``: not a regular
            file, too large, or a link out of ``inside``).
    """
    content = read_capped(sidecar, limit=METADATA_LIMIT, inside=inside)
    try:
        # Fast path: a current, valid sidecar parses and validates in one go;
        # anything else takes the careful path below for an exact message.
        return CheckpointMetadata.model_validate_json(content)
    except ValidationError:
        pass
    try:
        raw = loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _invalid(sidecar, f"not valid JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise _invalid(sidecar, f"expected a JSON object, got {type(raw).__name__}")
    version = raw.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _invalid(sidecar, f"field 'schema_version' must be an integer >= 1, got {version!r}")
    if version > SCHEMA_VERSION:
        raise MetadataVersionError(
            f"checkpoint metadata {str(sidecar)!r} has schema version {version}, newer than "
            f"this ocr understands ({SCHEMA_VERSION})",
            fix="Upgrade ocr (pip install --upgrade ocr)",
            path=sidecar,
            value=version,
        )
    for old in range(version, SCHEMA_VERSION):
        raw = _UPGRADES[old](raw)
    try:
        return CheckpointMetadata.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(sidecar, describe_problems(exc)) from exc


def _invalid(sidecar: Path, why: str) -> MetadataInvalidError:
    return MetadataInvalidError(
        f"checkpoint metadata is invalid: {str(sidecar)!r}: {why}",
        fix="Fix or delete the file; `ocr validate` lists every such file",
        path=sidecar,
    )
