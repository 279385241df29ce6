"""Which runs an ablation looks at: a sweep, a ``--where`` expression, dates, tags, a name.

The cheap parts (sweep, dates, tags, name) are checked on what a run's record
and folder say, before its config and history are read; ``--where`` (the
catalog's query language, docs/catalog-query.md) is checked once per run on the
run's best checkpoint, or on what its record says when it has no checkpoint, with
``config.*`` keys read from the run's saved config.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ocr.catalog import CatalogEntry, LayoutKind, SidecarState, parse_where
from ocr.errors import AblationSelectionError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import datetime

    from ocr.registry import ExperimentRecord

__all__ = ["RunSelection", "SweepMatch", "run_entry", "where_predicate"]


@dataclass(frozen=True)
class RunSelection:
    """Which runs to collect; every given part must hold.

    Args:
        sweep: A sweep: its ID (or a unique prefix of it) from ``sweep.json``,
            or its folder (relative to the working directory or to a root).
        where: A catalog ``--where`` expression, checked per run.
        since: Runs started at or after this time (timezone-aware).
        until: Runs started before this time (timezone-aware).
        tags: Tags every selected run has.
        name: Text the run's experiment name (or legacy folder name) contains,
            case-insensitively.

    Raises:
        CatalogQueryError: ``where`` cannot be parsed.

    >>> RunSelection(where="model.encoder = 'tiny_cnn'").where
    "model.encoder = 'tiny_cnn'"
    """

    sweep: str | None = None
    where: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    tags: tuple[str, ...] = ()
    name: str | None = None

    def __post_init__(self) -> None:
        if self.where is not None:
            parse_where(self.where)  # fail fast: a typo is refused before a tree is walked

    def admits(self, *, created_at: datetime | None, tags: Sequence[str], name: str | None) -> bool:
        """Whether a run passes the date, tag and name parts.

        Args:
            created_at: When the run started, if known (unknown passes no date bound).
            tags: The run's tags.
            name: The run's experiment or folder name.

        Returns:
            ``True`` when every given part holds.
        """
        if self.since is not None and (created_at is None or created_at < self.since):
            return False
        if self.until is not None and (created_at is None or created_at >= self.until):
            return False
        if any(tag not in tags for tag in self.tags):
            return False
        return self.name is None or self.name.casefold() in (name or "").casefold()


@dataclass(frozen=True)
class SweepMatch:
    """The runs of one sweep: by folder, or by the sweep ID in their records.

    Args:
        folder: The sweep folder, when the sweep was named by its folder.
        sweep_id: The full sweep ID, when it was named by ID.
    """

    folder: Path | None = None
    sweep_id: str | None = None

    @classmethod
    def resolve(cls, text: str, *, roots: Sequence[Path], sweep_ids: Sequence[str]) -> SweepMatch:
        """Resolve ``--sweep`` into a folder or a full sweep ID.

        Args:
            text: What the user typed.
            roots: The output roots (a folder may be given relative to one).
            sweep_ids: Every sweep ID the runs' records hold.

        Returns:
            The match.

        Raises:
            AblationSelectionError: Neither a folder nor exactly one sweep ID matches.
        """
        for folder in (Path(text).expanduser(), *(root / text for root in roots)):
            if folder.is_dir():
                return cls(folder=folder.resolve())
        matches = sorted({sweep for sweep in sweep_ids if sweep.startswith(text)})
        if len(matches) == 1:
            return cls(sweep_id=matches[0])
        if not matches:
            known = ", ".join(sorted(set(sweep_ids))[:5]) or "none"
            raise AblationSelectionError(
                f"no sweep folder or sweep ID {text!r} (sweep IDs here: {known})",
                fix="Give a sweep ID from `ocr registry list`, or the sweep's folder",
                value=text,
            )
        raise AblationSelectionError(
            f"the sweep ID prefix {text!r} matches {len(matches)} sweeps ({', '.join(matches[:5])})",
            fix="Type more characters of the sweep ID",
            value=text,
        )

    def holds(self, run_dir: Path, record: ExperimentRecord | None) -> bool:
        """Whether a run belongs to the sweep.

        Args:
            run_dir: The run folder.
            record: Its record, if any.

        Returns:
            ``True`` for a job of the sweep.
        """
        if self.folder is not None:
            return run_dir.is_relative_to(self.folder)
        return record is not None and record.sweep_id == self.sweep_id


def run_entry(
    run_dir: Path,
    *,
    checkpoints: Sequence[CatalogEntry],
    record: ExperimentRecord | None,
    layout: str,
) -> CatalogEntry:
    """The catalog entry ``--where`` is checked on for a run.

    Args:
        run_dir: The run folder.
        checkpoints: The run's checkpoints as the catalog found them.
        record: The run's record, if any.
        layout: The run's layout (a :class:`~ocr.catalog.LayoutKind` value).

    Returns:
        The entry of its best checkpoint (else its newest one); for a run
        without checkpoints, an entry holding what its record says.
    """
    if checkpoints:
        best = [entry for entry in checkpoints if entry.is_best]
        return best[0] if best else max(checkpoints, key=_newest)
    return CatalogEntry(
        path=str(run_dir),
        layout=LayoutKind(layout),
        sidecar=SidecarState.MISSING,
        run_dir=str(run_dir),
        experiment_id=record.id if record else None,
        name=record.name if record else None,
        created_at=record.created_at if record else None,
        metrics=dict(record.metrics) if record else {},
        status=record.status.value if record else None,
        tags=tuple(record.tags) if record else (),
    )


def _newest(entry: CatalogEntry) -> tuple[int, int]:
    return (-1 if entry.epoch is None else entry.epoch, -1 if entry.step is None else entry.step)


def where_predicate(
    where: str, configs: Mapping[str, Mapping[str, object] | None]
) -> Callable[[CatalogEntry], bool]:
    """The ``--where`` test, reading ``config.*`` keys from the runs' configs.

    Args:
        where: The expression.
        configs: Run folder (as ``CatalogEntry.run_dir`` spells it) -> its saved
            config as nested mappings (``None``: unknown).

    Returns:
        The predicate.

    Raises:
        CatalogQueryError: The expression cannot be parsed.
    """

    def lookup(entry: CatalogEntry) -> Mapping[str, object] | None:
        return configs.get(entry.run_dir or "")

    return parse_where(where, config_lookup=lookup)
