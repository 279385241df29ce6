"""Where each legacy experiment goes: its new run folder, its timestamp, what joins it.

Each experiment gets the run folder of its launch time (the best evidence,
:func:`choose_launch_time`), with the layout's suffix when that second is
taken (:func:`ocr.layout.free_run_path`). An era C config-only folder merges
into the earliest run that joins it; a W&B run joins the experiment compat
joined it to, else the one launched the second it started. A :class:`Target`
is one new folder and everything that travels into it (each a :class:`Transfer`).

Evidence, most trusted first: a timestamp in the folder's name (era C's, a
sweep's ``<date>/<time>``, and every common run-folder stamp that
:func:`ocr.compat.folder_name_stamp` reads: ``YYYY-MM-DD_HH-MM-SS``,
``YYYYmmdd_HHMMSS``, ``YYYY-MM-DD/HH-MM-SS``, each maybe with ``_<seed>`` or
``_<n>``) or in a checkpoint's name; the first timestamped line of a log; when Hydra wrote
``.hydra/config.yaml`` (its mtime, written at launch); the oldest checkpoint's
mtime; the oldest file's mtime. The report says which was used.

Names and log lines are the training machine's wall clock, like every
folder name of the layout; an mtime is an instant, shown in this machine's
time zone. So a log line outranks the Hydra file's mtime: on a tree trained
in another zone they disagree by hours, and the wall clock is what the
layout's names mean.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Final

from ocr._reading import read_head
from ocr.compat._shared import parse_legacy_name
from ocr.layout import RunLayout, parse_run_path
from ocr.layout._shared import free_run_path
from ocr.migrate._model import PlannedRun, TimestampSource

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from pathlib import Path

    from ocr.migrate._discover import LegacyUnit, WandbRun
    from ocr.migrate._inventory import Inventory

__all__ = [
    "Target",
    "Transfer",
    "choose_launch_time",
    "join_wandb_runs",
    "new_place",
    "place_units",
]


def place_units(root: Path, units: list[LegacyUnit]) -> list[Target]:
    """Give each legacy experiment its new run folder under ``root``.

    Args:
        root: The output root.
        units: The legacy experiments and sweeps, in discovery order.

    Returns:
        One target per unit, except config-only folders merged into a run.
    """
    merged_into = _config_merges(units)
    merged = {unit.folder for unit in merged_into.values()}
    taken: set[PurePosixPath] = set()
    clashes: dict[datetime, int] = {}  # per second, the suffixes already given out
    targets = []
    for unit in units:
        if unit.folder in merged:
            continue
        config_file = RunLayout(unit.config_dir.parent).config_file if unit.config_dir else None
        launched, evidence = choose_launch_time(
            unit.inventory, named=unit.named_time, config_file=config_file
        )
        relative = free_run_path(
            root, launched, taken=taken.__contains__, first_clash=clashes.get(launched, 0)
        )
        taken.add(relative)
        clashes[launched] = parse_run_path(relative).stamp.clash + 1
        target = Target(unit, root / relative, launched, evidence)
        target.merged = merged_into.get(unit.folder)
        targets.append(target)
    return targets


def join_wandb_runs(targets: list[Target], wandb_runs: list[WandbRun]) -> list[tuple[Path, str]]:
    """Add each W&B run to the target it belongs to.

    Args:
        targets: The placed experiments.
        wandb_runs: The W&B run folders found.

    Returns:
        The W&B runs that stay where they are, each with the reason.
    """
    joined = {t.unit.wandb_dir: t for t in targets if t.unit.wandb_dir is not None}
    by_time: dict[datetime, list[Target]] = defaultdict(list)
    for target in targets:
        by_time[target.launched].append(target)
    left = []
    for run in wandb_runs:
        matches = [joined[run.folder]] if run.folder in joined else by_time[run.started]
        if len(matches) == 1:
            matches[0].wandb.append(run)
        else:
            reason = f"a W&B run whose start time matches {len(matches)} migrated experiments"
            left.append((run.folder, reason))
    return left


def _config_merges(units: list[LegacyUnit]) -> dict[Path, LegacyUnit]:
    """Era C: which config-only folder merges into which run (the earliest that joins it)."""
    by_folder = {unit.folder: unit for unit in units}
    joining: dict[Path, list[LegacyUnit]] = defaultdict(list)
    for unit in units:
        if unit.joined_folder is not None:
            joining[unit.joined_folder].append(unit)
    merged_into: dict[Path, LegacyUnit] = {}
    for folder, group in joining.items():
        config_only = by_folder.get(folder)
        if config_only is None or config_only.inventory.checkpoints():
            continue
        primary = min(group, key=lambda unit: (unit.named_time or datetime.min, unit.name))
        merged_into[primary.folder] = config_only
    return merged_into


@dataclass(frozen=True)
class Transfer:
    """One file or folder moving (or copied) from ``old`` to ``new``.

    Args:
        old: Where it is.
        new: Where it goes.
        inventory: The inventory it belongs to.
        inside: Its path inside that inventory (``""`` when it is the inventory's folder).
    """

    old: Path
    new: Path
    inventory: Inventory
    inside: str

    def files(self) -> Iterator[tuple[Path, Path, str]]:
        """Every regular file it carries: old path, new path, path in the inventory."""
        return self._carried(self.inventory.files)

    def links(self) -> Iterator[tuple[Path, Path, str]]:
        """Every link it carries: old path, new path, path in the inventory."""
        return self._carried(self.inventory.links)

    def _carried(self, paths: Iterable[str]) -> Iterator[tuple[Path, Path, str]]:
        for relative in paths:
            if not self.inside:
                yield self.old / relative, self.new / relative, relative
            elif relative == self.inside:
                yield self.old, self.new, relative
            elif relative.startswith(self.inside + "/"):
                rest = relative[len(self.inside) + 1 :]
                yield self.old / rest, self.new / rest, relative

    def unreadable(self) -> list[Path]:
        """The folders it carries that cannot be read (nothing in them was looked at)."""
        inside, inventory = self.inside, self.inventory
        return [
            inventory.folder / folder if folder else inventory.folder
            for folder in inventory.unreadable
            if not inside or folder == inside or folder.startswith(inside + "/")
        ]

    def brings(self, path: Path) -> bool:
        """Whether a file or link will be at ``path`` once this transfer is done."""
        new, asked = str(self.new), str(path)  # plain strings: called for every new file
        if asked == new:
            rest = ""
        elif asked.startswith(new + "/"):
            rest = asked[len(new) + 1 :]
        else:
            return False
        inside = "/".join(part for part in (self.inside, rest) if part)
        return self.inventory.holds(inside)


@dataclass
class Target:
    """One new run (or sweep) folder and what goes into it.

    Args:
        unit: The legacy experiment.
        folder: The new folder.
        launched: Its timestamp.
        evidence: Where the timestamp came from.
        merged: A config-only folder merged into it (era C).
        wandb: The W&B runs moving into it.
        transfers: Everything that moves into it.
        notes: What the report should say about it.
        experiment_ids: The registry IDs it gets.
    """

    unit: LegacyUnit
    folder: Path
    launched: datetime
    evidence: TimestampSource
    merged: LegacyUnit | None = None
    wandb: list[WandbRun] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    experiment_ids: list[str] = field(default_factory=list)

    def brings(self, path: Path) -> bool:
        """Whether a file or link will be at ``path`` once the moves are done."""
        return any(transfer.brings(path) for transfer in self.transfers)

    def new_place(self, old: Path) -> Path | None:
        """Where a legacy path will be once the moves are done, if it moves with this target."""
        for transfer in self.transfers:
            if old == transfer.old or old.is_relative_to(transfer.old):
                return transfer.new / old.relative_to(transfer.old)
        return None

    @property
    def inventories(self) -> list[Inventory]:
        """The inventories of everything that moves in."""
        unique = {id(t.inventory): t.inventory for t in self.transfers}
        return list(unique.values())

    def planned_run(self, rel: Callable[[Path], str]) -> PlannedRun:
        """What the plan says about this run, its paths made relative by ``rel``."""
        sources = [self.unit.folder] + ([self.merged.folder] if self.merged else [])
        inventories = self.inventories
        return PlannedRun(
            era=self.unit.era.value,
            name=self.unit.name,
            sources=[rel(source) for source in sources],
            target=rel(self.folder),
            launched=self.launched,
            timestamp_source=self.evidence,
            checkpoints=len(self.unit.inventory.checkpoints())
            + len(self.unit.inventory.folder_checkpoints()),
            files=sum(len(inventory.files) for inventory in inventories),
            size_bytes=sum(inventory.size_bytes for inventory in inventories),
            experiment_ids=self.experiment_ids,
            notes=self.notes,
        )


def new_place(path: Path, targets: Iterable[Target]) -> Path:
    """Where a path will be once the targets moved (the path itself when none moves it)."""
    moved = (target.new_place(path) for target in targets)
    return next((place for place in moved if place is not None), path)


_LOG_LINE: Final = re.compile(rb"^\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})[,.]\d+\]", re.MULTILINE)
_LOG_HEAD_BYTES: Final = 64 * 1024
_HYDRA_CONFIG: Final = ".hydra/config.yaml"


def choose_launch_time(
    inventory: Inventory, *, named: datetime | None, config_file: Path | None
) -> tuple[datetime, TimestampSource]:
    """Choose a legacy experiment's launch time.

    Args:
        inventory: The experiment folder's content.
        named: The time its folder's name gives, if any.
        config_file: Its Hydra ``config.yaml`` (maybe in another folder, era C).

    Returns:
        The naive local time and the evidence it came from.
    """
    if named is not None:
        return named, TimestampSource.FOLDER_NAME
    checkpoints = inventory.checkpoints()
    candidates: tuple[tuple[TimestampSource, Callable[[], datetime | None]], ...] = (
        (TimestampSource.FILE_NAME, lambda: _named_in_files(checkpoints)),
        (TimestampSource.LOG_LINE, lambda: _first_log_time(inventory)),
        (TimestampSource.HYDRA_FILES, lambda: _hydra_time(inventory, config_file)),
        (TimestampSource.CHECKPOINT_MTIME, lambda: _oldest(inventory, checkpoints)),
    )
    for source, find in candidates:
        found = find()
        if found is not None:
            return found, source
    everything = list(inventory.files)
    oldest = _oldest(inventory, everything) or _local(inventory.folders[""])
    return oldest, TimestampSource.FILE_MTIME


def _named_in_files(checkpoints: list[str]) -> datetime | None:
    names = (PurePosixPath(PurePosixPath(path).name) for path in checkpoints)
    return min((s for name in names if (s := parse_legacy_name(name).timestamp)), default=None)


def _hydra_time(inventory: Inventory, config_file: Path | None) -> datetime | None:
    hydra = inventory.files.get(_HYDRA_CONFIG)
    if hydra is not None:
        return _local(hydra.mtime_ns)
    if config_file is not None and config_file.is_file():
        return _local(config_file.stat().st_mtime_ns)
    return None


def _oldest(inventory: Inventory, paths: list[str]) -> datetime | None:
    mtimes = [inventory.files[path].mtime_ns for path in paths]
    return _local(min(mtimes)) if mtimes else None


def _first_log_time(inventory: Inventory) -> datetime | None:
    found: list[datetime] = []
    for path in sorted(p for p in inventory.files if p.endswith(".log")):
        try:
            head = read_head(inventory.folder / path, _LOG_HEAD_BYTES)
        except OSError:  # gone, unreadable, or no regular file any more (a FIFO)
            continue
        match = _LOG_LINE.search(head)
        if match is not None:
            try:
                found.append(datetime.strptime(match[1].decode(), "%Y-%m-%d %H:%M:%S"))
            except ValueError:
                continue
    return min(found, default=None)


def _local(mtime_ns: int) -> datetime:
    return datetime.fromtimestamp(mtime_ns / 1e9).replace(microsecond=0)
