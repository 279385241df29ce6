"""The checkpoint sidecar: what a checkpoint is, without loading it.

Every checkpoint ``<name>.ckpt`` has ``<name>.ckpt.meta.json`` beside it, a
versioned Pydantic model written atomically. Readers accept every schema
version up to :data:`SCHEMA_VERSION` (older ones are upgraded on read) and
refuse newer ones with an "upgrade ocr" error.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

import yaml
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    ValidationError,
)

from ocr._validation import describe_problems
from ocr._yaml import load_like_omegaconf
from ocr.atomic import atomic_write_json
from ocr.errors import MetadataInvalidError, MetadataVersionError
from ocr.naming import sidecar_path

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
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
    "config_hash",
    "hash_config_text",
    "hash_saved_config",
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

    file_name: str = Field(min_length=1)
    size_bytes: NonNegativeInt
    modified_ns: NonNegativeInt
    created_at: AwareDatetime


class ExperimentInfo(_Frozen):
    """The run the checkpoint belongs to."""

    id: str | None = None
    name: str | None = None
    run_dir: str = Field(description="The run folder, relative to the output root (POSIX).")
    sweep_id: str | None = None
    job_num: NonNegativeInt | None = None


class ModelInfo(_Frozen):
    """The model's identity, read from the live module (``None`` = not known)."""

    architecture: ModelName = None
    encoder: ModelName = None
    decoder: ModelName = None
    head: ModelName = None
    parameter_count: NonNegativeInt | None = None


class TrainingInfo(_Frozen):
    """Where training was when the checkpoint was saved."""

    epoch: NonNegativeInt | None = Field(description="null when not known (migrated files).")
    global_step: NonNegativeInt | None = Field(description="null when not known (migrated files).")
    monitor: str | None = None
    mode: Literal["min", "max"] | None = None
    score: float | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    is_best: bool = False
    is_last: bool = False


class ConfigInfo(_Frozen):
    """The recipe: its hash, the overrides and where the config was saved."""

    config_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    overrides: list[str] = Field(default_factory=list)
    config_path: str | None = Field(
        default=None, description="The saved config, relative to the run folder (POSIX)."
    )


class EnvironmentInfo(_Frozen):
    """Software and machine that produced the checkpoint."""

    python: str
    torch: str | None = None
    lightning: str | None = None
    ocr: str | None = None
    host: str | None = None
    git_commit: str | None = None


class Provenance(_Frozen):
    """Whether training wrote this sidecar or the migrator reconstructed it."""

    source: Literal["trained", "migrated"]
    field_sources: dict[str, str] = Field(
        default_factory=dict,
        description="For migrated sidecars: dotted field name -> where its value came from.",
    )


class CheckpointMetadata(_Frozen):
    """Everything known about one checkpoint; the sidecar's content."""

    schema_version: Literal[2] = SCHEMA_VERSION
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


def read_metadata(sidecar: Path) -> CheckpointMetadata:
    """Read and validate a sidecar, upgrading older schema versions.

    Args:
        sidecar: The ``.meta.json`` file.

    Returns:
        The metadata, in the current schema.

    Raises:
        MetadataInvalidError: The file is not JSON, or a field is missing or wrong
            (every problem is listed, each with its field).
        MetadataVersionError: The file was written by a newer ocr.
        OSError: The file cannot be read.
    """
    content = sidecar.read_bytes()
    try:
        # Fast path: a current, valid sidecar parses and validates in one go;
        # anything else takes the careful path below for an exact message.
        return CheckpointMetadata.model_validate_json(content)
    except ValidationError:
        pass
    try:
        raw = json.loads(content)
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


EXCLUDED_CONFIG_KEYS: Final = frozenset({"experiment", "hydra", "paths"})
"""Top-level config keys that say where, how and as what a run ran, not its recipe.

``experiment`` holds the run's ID (new for every run), name and tags: two runs
of one recipe must share the hash whatever they are called."""


def config_hash(config: Mapping[str, Any]) -> str:
    """Hash a resolved config so that two runs of one recipe share the hash.

    The top-level ``paths``, ``hydra`` and ``experiment`` keys (where a run
    is, Hydra's runtime, the run's ID and name) are left out; everything else is serialised as canonical JSON
    (sorted keys, no spaces) and hashed with SHA-256.

    Args:
        config: A plain, resolved config (e.g. ``OmegaConf.to_container(cfg)``).

    Returns:
        The hex digest.

    >>> config_hash({"lr": 0.1, "paths": {"run_dir": "/a"}}) == config_hash({"lr": 0.1})
    True
    >>> config_hash({"lr": 0.1, "experiment": {"id": "1k7"}}) == config_hash({"lr": 0.1})
    True
    """
    recipe = {key: value for key, value in config.items() if key not in EXCLUDED_CONFIG_KEYS}
    canonical = json.dumps(
        recipe, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_ENVIRONMENT_RESOLVERS: Final = ("${hydra:", "${now:", "${oc.env:")


def hash_saved_config(config_file: Path) -> str:
    """Hash the config Hydra saved for a run (``.hydra/config.yaml``).

    Interpolations between config keys are resolved; values that depend on
    where and when the config is read (``${hydra:...}``, ``${now:...}``,
    ``${oc.env:...}``) and values that point into the left-out keys stay as
    written, so the hash is the same in the training job and in any later check.

    Args:
        config_file: The saved YAML config.

    Returns:
        :func:`config_hash` of the resolved recipe.

    Raises:
        OSError: The file cannot be read.
        MetadataInvalidError: The file is not a YAML mapping.
    """
    return hash_config_text(config_file.read_text(encoding="utf-8"), origin=config_file)


def hash_config_text(text: str, *, origin: Path) -> str:
    """:func:`hash_saved_config` of a config's YAML text that is not (yet) in its file.

    The migrator hashes a config as it will read once its paths are rewritten.

    Args:
        text: The saved config's YAML.
        origin: The file the text belongs to (for messages).

    Returns:
        :func:`config_hash` of the resolved recipe.

    Raises:
        MetadataInvalidError: The text is not a YAML mapping.
    """
    try:
        return _hash_config_text(text)
    except (yaml.YAMLError, OmegaConfBaseException) as exc:
        raise MetadataInvalidError(
            f"saved config {str(origin)!r} is not valid YAML ({exc})",
            fix="Restore the file from the run's .hydra folder or rerun",
            path=origin,
        ) from exc
    except TypeError as exc:
        raise MetadataInvalidError(
            f"saved config {str(origin)!r} is not a mapping",
            fix="Restore the file from the run's .hydra folder or rerun",
            path=origin,
        ) from exc


@functools.lru_cache(maxsize=1024)
def _hash_config_text(text: str) -> str:
    """The hash of a config's text; cached, as runs of one sweep or recipe share theirs."""
    loaded = load_like_omegaconf(text)
    if loaded is None:  # an empty file, which OmegaConf reads as an empty mapping
        loaded = {}
    if not isinstance(loaded, dict):
        msg = "not a mapping"
        raise TypeError(msg)
    saved = OmegaConf.create(loaded)
    for key in EXCLUDED_CONFIG_KEYS & set(saved.keys()):
        del saved[key]
    return config_hash(_resolve_recipe(saved))


def _resolve_recipe(node: DictConfig | ListConfig) -> Any:
    raw = OmegaConf.to_container(node, resolve=False)
    keys: list[Any] = list(node.keys()) if isinstance(node, DictConfig) else list(range(len(node)))
    resolved: dict[Any, Any] = {}
    for key in keys:
        written = raw[key]  # type: ignore[index]
        if isinstance(written, str) and any(r in written for r in _ENVIRONMENT_RESOLVERS):
            resolved[key] = written
            continue
        try:
            value = node[key]
        except OmegaConfBaseException:
            resolved[key] = written  # points into a left-out key, or cannot resolve here
            continue
        is_container = isinstance(value, DictConfig | ListConfig)
        resolved[key] = _resolve_recipe(value) if is_container else value
    return resolved if isinstance(node, DictConfig) else [resolved[i] for i in keys]
