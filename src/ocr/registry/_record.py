"""Experiment records: the schema of ``run.json``, the status lifecycle, and IDs."""

from __future__ import annotations

import enum
import json
import secrets
import time
from typing import TYPE_CHECKING, Final, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt, ValidationError

from ocr._json import loads
from ocr._reading import METADATA_LIMIT, read_capped
from ocr.errors import RecordInvalidError, RegistryTransitionError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

__all__ = [
    "MARKED_STALE_PREFIX",
    "RECORD_SCHEMA_VERSION",
    "SWEEP_SCHEMA_VERSION",
    "ExperimentRecord",
    "Status",
    "SweepRecord",
    "check_transition",
    "is_marked_stale",
    "new_experiment_id",
    "parse_record",
    "read_record",
    "read_sweep_record",
]

RECORD_SCHEMA_VERSION: Final = 2
"""The version of ``run.json`` this ocr writes (2: ``task_name``); 1 is still read."""
SWEEP_SCHEMA_VERSION: Final = 1
MARKED_STALE_PREFIX: Final = "marked interrupted: "
"""How the error text of a record ``mark-stale`` interrupted starts."""
_ID_ALPHABET: Final = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_TIME_CHARS: Final = 9  # 45 bits of milliseconds: good until the year 3084
_RANDOM_CHARS: Final = 7  # 35 random bits: collisions within one millisecond are ~never


class Status(enum.StrEnum):
    """Where a run is in its life: ``running``, then one terminal status."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


_ALLOWED: Final[dict[Status, frozenset[Status]]] = {
    Status.RUNNING: frozenset(Status),
    Status.COMPLETED: frozenset(),
    Status.FAILED: frozenset(),
    Status.INTERRUPTED: frozenset(),
}


def check_transition(record: ExperimentRecord, new: Status, *, by_owner: bool = False) -> None:
    """Refuse a status change the lifecycle does not allow.

    A record another process marked ``interrupted`` (``mark-stale``) while
    its own process was alive is wrong: its own process, still writing, may
    move it on (to ``running``, ``completed`` or ``failed``). A run that
    stopped itself (Ctrl-C, SIGTERM) stays interrupted.

    Args:
        record: The record as it is now.
        new: The status asked for.
        by_owner: The change comes from the record's own process (same host
            and PID): it may leave ``interrupted``.

    Raises:
        RegistryTransitionError: ``record`` is already finished.
    """
    if by_owner and record.status is Status.INTERRUPTED and is_marked_stale(record):
        return
    if new not in _ALLOWED[record.status]:
        raise RegistryTransitionError(
            f"experiment {record.id!r} is {record.status.value}; it cannot become {new.value}",
            fix="Start a new run instead (a finished record is final)",
            value=new.value,
        )


def is_marked_stale(record: ExperimentRecord) -> bool:
    """Whether ``mark-stale`` set the record's status (not its own process)."""
    return record.error is not None and record.error.startswith(MARKED_STALE_PREFIX)


def new_experiment_id(now_ns: int | None = None) -> str:
    """A new experiment ID: unique without coordination, sortable by start time.

    16 characters of lower-case Crockford base32: 9 for the start time in
    milliseconds, then 7 random ones. Any unique prefix is accepted where an
    ID is asked for.

    Args:
        now_ns: The start time in ns since the epoch; defaults to now.

    Returns:
        The ID.
    """
    millis = (time.time_ns() if now_ns is None else now_ns) // 1_000_000
    return _base32(millis, _TIME_CHARS) + _base32(
        secrets.randbits(5 * _RANDOM_CHARS), _RANDOM_CHARS
    )


def _base32(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, digit = divmod(value, 32)
        chars.append(_ID_ALPHABET[digit])
    return "".join(reversed(chars))


class _Record(BaseModel):
    # NaN metrics are written as "NaN" (strict JSON), as sidecars write them.
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="strings")


_RecordT = TypeVar("_RecordT", bound=_Record)


class ExperimentRecord(_Record):
    """One run's record, kept in ``run.json`` in its run folder."""

    schema_version: Literal[1, 2] = Field(
        default=RECORD_SCHEMA_VERSION, description="The record format's version."
    )
    id: str = Field(min_length=1, description="The run's ID (16 characters, sortable by start).")
    name: str | None = Field(default=None, description="The experiment's name.")
    status: Status = Field(description="Where the run is in its life.")
    created_at: AwareDatetime = Field(description="When the run started.")
    updated_at: AwareDatetime = Field(description="When the record last changed.")
    heartbeat_at: AwareDatetime = Field(description="The running process's last sign of life.")
    ended_at: AwareDatetime | None = Field(default=None, description="When the run finished.")
    host: str = Field(description="The machine the run ran on.")
    pid: NonNegativeInt = Field(description="Its process ID there.")
    run_dir: str = Field(description="The run folder relative to the output root, at start.")
    sweep_id: str | None = Field(default=None, description="The sweep's ID, for a sweep job.")
    job_num: NonNegativeInt | None = Field(
        default=None, description="The job's number in its sweep, for a sweep job."
    )
    overrides: list[str] = Field(
        default_factory=list, description="The launch's command-line overrides."
    )
    config_hash: str | None = Field(
        default=None, description="SHA-256 of the recipe, as in the run's sidecars."
    )
    tags: list[str] = Field(default_factory=list, description="Tags given to the recorder.")
    best_checkpoint: str | None = Field(default=None, description="Relative to the run folder.")
    best_metrics: dict[str, float] = Field(
        default_factory=dict,
        description="The monitored metric's best score so far: `{monitor: score}`.",
    )
    metrics: dict[str, float] = Field(
        default_factory=dict, description="The metrics logged at the latest validation."
    )
    error: str | None = Field(
        default=None, description="Why the run failed or was interrupted (`Type: message`)."
    )
    log_file: str | None = Field(
        default=None, description="The log Hydra wrote: relative to the run folder when inside it."
    )
    artifact_dir: str | None = Field(default=None, description="Relative to the run folder.")
    task_name: str | None = Field(default=None, description="The launch's task: train, eval, ...")


class SweepRecord(_Record):
    """One sweep's record, kept in ``sweep.json`` in its sweep folder."""

    schema_version: Literal[1] = Field(
        default=SWEEP_SCHEMA_VERSION, description="The record format's version."
    )
    id: str = Field(min_length=1, description="The sweep's ID; each job's record names it.")
    created_at: AwareDatetime = Field(description="When the sweep started.")
    sweep_dir: str = Field(description="The sweep folder relative to the output root.")
    host: str = Field(description="The machine that launched it.")


def read_record(path: Path, *, inside: Sequence[str] = ()) -> ExperimentRecord:
    """Read and validate a ``run.json``.

    Only a regular file of at most 16 MiB is read (:mod:`ocr._reading`).

    Args:
        path: The record file.
        inside: Real folders the file must really lie in (a link out of them
            is refused); empty: anywhere.

    Returns:
        The record.

    Raises:
        RecordInvalidError: The file is not a valid record, or is from a newer ocr.
        OSError: The file cannot be read (``UnsafeFileError``: not a regular
            file, too large, or a link out of ``inside``).
    """
    return parse_record(path, _load_versioned(path, RECORD_SCHEMA_VERSION, inside))


def parse_record(path: Path, raw: object) -> ExperimentRecord:
    """Validate raw record data that belongs to ``path``.

    Args:
        path: The record file the data is (or will be) in, for messages.
        raw: The data.

    Returns:
        The record.

    Raises:
        RecordInvalidError: A field is missing or wrong (every problem is listed).
    """
    return _validate(path, ExperimentRecord, raw)


def read_sweep_record(path: Path, *, inside: Sequence[str] = ()) -> SweepRecord:
    """Read and validate a ``sweep.json``.

    Args:
        path: The sweep record file.
        inside: As for :func:`read_record`.

    Returns:
        The sweep record.

    Raises:
        RecordInvalidError: The file is not a valid sweep record.
        OSError: The file cannot be read (``UnsafeFileError``: not a regular
            file, too large, or a link out of ``inside``).
    """
    return _validate(path, SweepRecord, _load_versioned(path, SWEEP_SCHEMA_VERSION, inside))


def _load_versioned(path: Path, newest: int, inside: Sequence[str]) -> object:
    content = read_capped(path, limit=METADATA_LIMIT, inside=inside)
    try:
        raw = loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _invalid(path, f"not valid JSON ({exc})") from exc
    version = raw.get("schema_version") if isinstance(raw, dict) else None
    if not isinstance(version, int) or version < 1:
        raise _invalid(path, f"field 'schema_version' must be an integer >= 1, got {version!r}")
    if version > newest:
        raise _invalid(
            path,
            f"schema version {version} is newer than this ocr understands ({newest})",
            fix="Upgrade ocr (pip install --upgrade ocr)",
        )
    return raw


def _validate(path: Path, model: type[_RecordT], raw: object) -> _RecordT:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"field {'.'.join(map(str, e['loc']))!r}: {e['msg']}" for e in exc.errors()
        )
        raise _invalid(path, problems) from exc


def _invalid(path: Path, why: str, *, fix: str | None = None) -> RecordInvalidError:
    return RecordInvalidError(
        f"experiment record is invalid: {str(path)!r}: {why}",
        fix=fix or "Fix or remove the file, then run `ocr registry rebuild`",
        path=path,
    )
