"""The run each checkpoint folder belongs to, and what the run says, read once per scan.

Every checkpoint of one folder belongs to the same run, so a scan asks once
per folder. A folder of the new layout (``<root>/<date>/<time>[/<job>]/``
and the run's checkpoint folder) is recognised by asking ``layout`` alone,
on the path strings the walk gives; any other folder goes to compat's
:func:`~ocr.compat._shared.locate_legacy_run`, which finds the run by what folders
hold (the rule the migrator and ``ocr validate`` share) and knows every legacy
shape; each folder's marks are read once per scan. The run's record (status,
tags, id) and its saved config are read once too.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple

from ocr.catalog._entry import LayoutKind
from ocr.compat._shared import (
    DiskMarks,
    LegacyRun,
    Recovered,
    locate_legacy_run,
    model_from_hydra_config,
)
from ocr.errors import OcrError, RunPathParseError
from ocr.layout import RunLayout, parse_run_path
from ocr.registry import ExperimentRecord, read_record

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ocr.compat import LegacyFolders

__all__ = ["RunFacts", "Runs"]

_log = logging.getLogger(__name__)
# A run's checkpoint folder and record, relative to the run folder, with a
# separator before each: the scan works on the path strings the walk gives.
_CHECKPOINT_DIR: Final = f"{os.sep}{RunLayout(Path()).checkpoint_dir}"
_RECORD_FILE: Final = f"{os.sep}{RunLayout(Path()).record_file}"
_HYDRA_DIR: Final = f"{os.sep}{RunLayout(Path()).hydra_dir}"


class RunFacts(NamedTuple):
    """What every checkpoint of one folder shares: its run and what the run's record says.

    Args:
        run_dir: The run folder, as the walk spells folders; ``None`` when the
            folder is in no run.
        layout: The layout the run was found in; ``None`` when in no run.
        experiment_id: The id in the run's record.
        status: The status in the run's record.
        tags: The tags in the run's record.
        task: The task in the run's record.
        depends: The folder and its run folder: what a sidecar entry depends on.
    """

    run_dir: str | None
    layout: LayoutKind | None
    experiment_id: str | None
    status: str | None
    tags: tuple[str, ...]
    task: str | None
    depends: tuple[str, ...]


@dataclass
class Runs:
    """Finds the run of each checkpoint folder, and reads what it says, once per folder.

    Folder strings are interned, so that the index stores each once.

    Args:
        roots: The catalog root first, then its legacy sweep and W&B folders.
        legacy: Which of ``roots`` those are.
        inside: The roots' real paths: a record or config read through a
            link is read only when the link leads into one of them.
    """

    roots: Sequence[Path]
    legacy: LegacyFolders
    inside: tuple[str, ...]
    _facts: dict[str, RunFacts] = field(default_factory=dict)
    _legacy: dict[str, tuple[LegacyRun | None, tuple[str, ...]]] = field(default_factory=dict)
    _records: dict[str, ExperimentRecord | None] = field(default_factory=dict)
    _configs: dict[Path, dict[str, Recovered[str]]] = field(default_factory=dict)
    _marks: DiskMarks = field(default_factory=DiskMarks)
    _first_root_is_outputs: bool = field(init=False)

    def __post_init__(self) -> None:
        first = self.roots[0]
        self._first_root_is_outputs = not (
            self.legacy.is_multirun(first) or self.legacy.is_wandb(first)
        )

    def facts(self, path: str, folder: str) -> RunFacts:
        """What the run of a checkpoint folder says.

        Args:
            path: A checkpoint in the folder, as the walk spelled it.
            folder: The folder, as the walk spelled it.

        Returns:
            The facts every checkpoint of the folder shares.
        """
        facts = self._facts.get(folder)
        if facts is None:
            layout: LayoutKind | None = LayoutKind.NEW
            run_dir = self._new_run_dir(folder)
            depends = _interned_folders({folder} if run_dir is None else {folder, run_dir})
            if run_dir is None:
                run, depends = self.legacy_run(path, folder)
                run_dir = str(run.folder) if run is not None else None
                layout = run.era if run is not None else None
            record = self._record(run_dir) if run_dir is not None else None
            facts = self._facts[folder] = RunFacts(
                run_dir=sys.intern(run_dir) if run_dir is not None else None,
                layout=layout,
                experiment_id=record.id if record is not None else None,
                status=record.status.value if record is not None else None,
                tags=tuple(record.tags) if record is not None else (),
                task=record.task_name if record is not None else None,
                depends=depends,
            )
        return facts

    def legacy_run(self, path: str, folder: str) -> tuple[LegacyRun | None, tuple[str, ...]]:
        """The run compat finds for a checkpoint folder, and what legacy entries depend on.

        Args:
            path: A checkpoint in the folder, as the walk spelled it.
            folder: The folder, as the walk spelled it.

        Returns:
            The run (``None`` when the folder is in no known shape), and the
            folders a legacy entry depends on: its own, the run's, the
            config's and the joined W&B run's, and every folder above its own
            (and the ``.hydra`` each may hold): what they hold decides its run.
        """
        found = self._legacy.get(folder)
        if found is None:
            run = locate_legacy_run(
                Path(path), roots=self.roots, legacy=self.legacy, marks=self._marks
            )
            depends = self._folders_above(folder)
            if run is not None:
                depends.update(str(p) for p in (run.folder, run.config_dir, run.wandb_dir) if p)
            found = self._legacy[folder] = (run, _interned_folders(depends))
        return found

    def _folders_above(self, folder: str) -> set[str]:
        """A folder, the folders above it below its root, and their ``.hydra`` folders."""
        tops = [str(root) for root in self.roots if folder.startswith(f"{root}{os.sep}")]
        top = max(tops, key=len, default=folder)
        found = {folder}
        current = folder
        while current.startswith(f"{top}{os.sep}"):
            found.update((current, f"{current}{_HYDRA_DIR}"))
            current = os.path.dirname(current)  # noqa: PTH120 (strings, as the walk gives)
        return found

    def config_model(self, config_dir: Path) -> dict[str, Recovered[str]]:
        """What a run's saved Hydra config says of the model.

        Args:
            config_dir: The run's ``.hydra`` folder.

        Returns:
            Model field -> recovered value.
        """
        if config_dir not in self._configs:
            self._configs[config_dir] = model_from_hydra_config(
                RunLayout(config_dir.parent).config_file, inside=self.inside
            )
        return self._configs[config_dir]

    def _new_run_dir(self, folder: str) -> str | None:
        """The run folder of a new-layout checkpoint folder.

        It is the run folder ``locate_legacy_run`` finds (era E), found
        without legacy support, and with string operations instead of
        ``Path`` ones: a cold scan pays this for every folder. Any other
        folder, or any folder of a legacy sweep or W&B root, is left to compat.
        """
        root = self.roots[0]
        if not folder.endswith(_CHECKPOINT_DIR) or not self._first_root_is_outputs:
            return None
        run_dir = folder[: -len(_CHECKPOINT_DIR)]
        inside_root = f"{root}{os.sep}"
        if not run_dir.startswith(inside_root):
            return None
        try:
            parse_run_path(run_dir[len(inside_root) :])
        except RunPathParseError:
            return None
        return run_dir

    def _record(self, run_dir: str) -> ExperimentRecord | None:
        if run_dir not in self._records:
            record = None
            record_file = run_dir + _RECORD_FILE
            if os.path.isfile(record_file):  # noqa: PTH113 (a str: no Path per run in the scan)
                try:
                    record = read_record(Path(record_file), inside=self.inside)
                except (OcrError, OSError) as exc:
                    _log.warning("ignoring an unreadable experiment record: %s", exc)
            self._records[run_dir] = record
        return self._records[run_dir]


def _interned_folders(folders: set[str]) -> tuple[str, ...]:
    return tuple(sorted(map(sys.intern, folders)))
