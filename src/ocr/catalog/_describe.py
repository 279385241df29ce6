"""One checkpoint -> one catalog entry, from its sidecar or from legacy evidence.

Never opens a checkpoint: an ocr sidecar is read when there is one (and
checked against the checkpoint's size and mtime); otherwise the legacy
evidence is gathered through ``ocr.compat`` (legacy sidecars, the nearby
Hydra config, the file and folder names). Every recovered field says where
it came from. Checkpoints are described folder by folder; what a run folder
says (its record, its config) is read once per scan (``_runs``), sidecars
as ``read_metadata`` would read them (``_sidecar``).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from ocr._reading import real_folders
from ocr._suspicious import EMPTY_CHECKPOINT, alias_problem, alias_target
from ocr.catalog._entry import CatalogEntry, LayoutKind, SidecarState
from ocr.catalog._runs import RunFacts, Runs
from ocr.catalog._sidecar import parse_sidecar, read_sidecar_bytes
from ocr.compat._shared import (
    Era,
    LegacyName,
    LegacyRun,
    LegacySidecar,
    Recovered,
    Source,
    legacy_sidecar_paths,
    parse_legacy_name,
    read_legacy_sidecar,
)
from ocr.errors import LegacySidecarInvalidError, MetadataInvalidError, MetadataVersionError
from ocr.naming import CHECKPOINT_SUFFIX, sidecar_name

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ocr.compat import LegacyFolders
    from ocr.metadata import CheckpointMetadata

__all__ = ["Describer"]

_MODEL_FIELDS: Final = ("architecture", "encoder", "decoder", "head")
# The endings of checkpoint files and their ocr sidecars.
_OURS: Final = (CHECKPOINT_SUFFIX, sidecar_name(CHECKPOINT_SUFFIX))
# Sources as the plain strings entries hold (an enum's .value costs a call).
_SOURCES: Final = {source: source.value for source in Source}
_FROM_SIDECAR: Final = Source.SIDECAR.value
_FROM_FILE_NAME: Final = Source.FILE_NAME.value
# One shared dict for every sidecar entry: treated as read-only, written once.
_SIDECAR_SOURCES: Final = dict.fromkeys(_MODEL_FIELDS, _FROM_SIDECAR)
# A sidecar as read: its metadata, or why it could not be read.
_Sidecar: TypeAlias = "CheckpointMetadata | MetadataInvalidError | MetadataVersionError | OSError"


@dataclass
class Describer:
    """Describes the checkpoints of folders under some roots.

    Strings that repeat across entries (names, metric keys, folders) are
    shared objects, which keeps the index small and fast to load (marshal
    writes and reads each once). What a run says is read once per scan
    (:class:`~ocr.catalog._runs.Runs`).

    Args:
        roots: The catalog root first, then its legacy sweep and W&B folders.
        legacy: Which of ``roots`` those are.
    """

    roots: Sequence[Path]
    legacy: LegacyFolders
    _runs: Runs = field(init=False)
    _inside: tuple[str, ...] = field(init=False)
    _listings: dict[str, tuple[bool, frozenset[str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._inside = real_folders(self.roots)
        self._runs = Runs(self.roots, self.legacy, self._inside)

    def describe(
        self, stale: Mapping[str, Mapping[str, tuple[int, int, bool]]]
    ) -> dict[str, tuple[CatalogEntry, tuple[str, ...]]]:
        """Describe checkpoints, folder by folder.

        Each kind of work is done together: the runs of all the folders
        first, then in each folder its sidecars are all read, then all
        validated, then the entries are built. That runs a fifth faster than
        doing it all file by file (on a VM, a system call leaves the CPU
        caches and branch predictors cold for the Python that follows).

        Args:
            stale: Folder (as the walk spelled it) -> its checkpoints to
                describe: path (as the walk spelled it) -> size, mtime (both
                from the walk's stat) and whether the walk saw its ocr sidecar.

        Returns:
            Checkpoint path -> its entry, and the folders whose changes would
            change it (for the incremental index).
        """
        runs = {
            folder: self._runs.facts(next(iter(checkpoints)), folder)
            for folder, checkpoints in stale.items()
        }
        described: dict[str, tuple[CatalogEntry, tuple[str, ...]]] = {}
        for folder, checkpoints in stale.items():
            contents = {
                path: read_sidecar_bytes(sidecar_name(path))
                for path, (_, _, has_sidecar) in checkpoints.items()
                if has_sidecar
            }
            sidecars = {
                path: _parsed(path, content, self._inside) for path, content in contents.items()
            }
            described.update(
                (path, self._describe(path, folder, runs[folder], stat, sidecars.get(path)))
                for path, stat in checkpoints.items()
            )
        return described

    def _describe(
        self,
        path: str,
        folder: str,
        facts: RunFacts,
        stat: tuple[int, int, bool],
        sidecar: _Sidecar | None,
    ) -> tuple[CatalogEntry, tuple[str, ...]]:
        if sidecar is None:
            return self._from_legacy(path, folder, facts, stat, SidecarState.MISSING)
        if isinstance(sidecar, Exception):
            entry, depends = self._from_legacy(path, folder, facts, stat, SidecarState.INVALID)
            return entry._replace(problems=(str(sidecar), *entry.problems)), depends
        size, mtime_ns, _ = stat
        entry = _from_sidecar(path, facts, sidecar, size, mtime_ns)
        if size == 0:
            entry = entry._replace(problems=(EMPTY_CHECKPOINT,))
        return entry, facts.depends

    def _from_legacy(
        self,
        path: str,
        folder: str,
        facts: RunFacts,
        stat: tuple[int, int, bool],
        state: SidecarState,
    ) -> tuple[CatalogEntry, tuple[str, ...]]:
        size, mtime_ns, _ = stat
        run, depends = self._runs.legacy_run(path, folder)
        name, evidence, problems = self._evidence(path, folder, run)
        if size == 0:
            problems.append(EMPTY_CHECKPOINT)
        if path[len(folder) + 1 :] in self._listing(folder)[1]:
            target = alias_target(path)
            if target is not None:
                problems.append(alias_problem(target))
        created = name.timestamp.astimezone() if name.timestamp else None
        if created is None:
            created = datetime.fromtimestamp(mtime_ns / 1e9).astimezone()
            evidence.sources.setdefault("created_at", Source.MTIME.value)
        entry = CatalogEntry(
            path=path,
            run_dir=facts.run_dir,
            experiment_id=facts.experiment_id,
            name=run.name if run is not None else None,
            created_at=created,
            layout=facts.layout or LayoutKind.NAME_BASED,
            epoch=evidence.values.get("epoch"),
            step=evidence.values.get("step"),
            metrics=evidence.metrics,
            is_best=name.is_best,
            is_last=name.is_last,
            sidecar=state,
            size_bytes=size,
            status=facts.status,
            tags=facts.tags,
            sources=evidence.sources,
            problems=tuple(problems),
            architecture=evidence.values.get("architecture"),
            encoder=evidence.values.get("encoder"),
            decoder=evidence.values.get("decoder"),
            head=evidence.values.get("head"),
            monitor=evidence.values.get("monitor"),
            task=facts.task,
        )
        return entry, depends

    def _evidence(
        self, path: str, folder: str, run: LegacyRun | None
    ) -> tuple[LegacyName, _Evidence, list[str]]:
        """What the file name, the legacy sidecars, the run folder and its config say."""
        name = parse_legacy_name(_relative_to_checkpoints(path, folder, run))
        evidence = _Evidence()
        evidence.add_name(name)
        problems: list[str] = []
        # Legacy sidecars are files beside the checkpoint that are neither
        # checkpoints nor ocr sidecars: one listing of a folder without any
        # spares compat three lookups per checkpoint.
        sidecars = legacy_sidecar_paths(Path(path)) if self._listing(folder)[0] else []
        for sidecar in reversed(sidecars):  # most trusted applied last
            try:
                evidence.add_sidecar(read_legacy_sidecar(sidecar, inside=self._inside))
            except (LegacySidecarInvalidError, OSError) as exc:
                problems.append(str(exc))
        if run is not None:
            config = self._runs.config_model(run.config_dir) if run.config_dir else {}
            # Applied in rising trust: the config beats the folder name, except
            # in era B, where the model subfolder names its own checkpoints'
            # model and the shared .hydra only the folder's last launch.
            for model in (config, run.model) if run.era is Era.B else (run.model, config):
                evidence.add_model(model)
        return name, evidence, problems

    def _listing(self, folder: str) -> tuple[bool, frozenset[str]]:
        """Whether a folder holds anything but checkpoints and their ocr sidecars; its links."""
        found = self._listings.get(folder)
        if found is None:
            try:
                with os.scandir(folder) as listing:
                    entries = list(listing)
            except OSError:
                found = (True, frozenset())  # let compat look for itself
            else:
                found = (
                    not all(entry.name.endswith(_OURS) for entry in entries),
                    frozenset(entry.name for entry in entries if entry.is_symlink()),
                )
            self._listings[folder] = found
        return found


def _from_sidecar(
    path: str, facts: RunFacts, metadata: CheckpointMetadata, size: int, mtime_ns: int
) -> CatalogEntry:
    # Pydantic's JSON string cache already hands out one object for each
    # repeated short string (metric names, model names); the config hash is
    # too long for it, so it is interned here.
    model, training, config = metadata.model, metadata.training, metadata.config
    field_sources = metadata.provenance.field_sources
    written = metadata.checkpoint
    # The checkpoint changed (size or mtime) since its sidecar was written.
    is_stale = (written.size_bytes, written.modified_ns) != (size, mtime_ns)
    # Every field, in the order of CatalogEntry's, through tuple.__new__ (as
    # CatalogEntry.from_row does): twenty keywords cost more than the rest of
    # this function put together. A test checks every field by name.
    values = (
        path,  # path
        facts.layout or LayoutKind.NEW,  # layout
        SidecarState.STALE if is_stale else SidecarState.VALID,  # sidecar
        facts.run_dir,  # run_dir
        metadata.experiment.id,  # experiment_id
        metadata.experiment.name,  # name
        written.created_at,  # created_at
        model.architecture,  # architecture
        model.encoder,  # encoder
        model.decoder,  # decoder
        model.head,  # head
        training.epoch,  # epoch
        training.global_step,  # step
        training.metrics,  # metrics
        training.is_best,  # is_best
        training.is_last,  # is_last
        size,  # size_bytes
        None if config.config_hash is None else sys.intern(config.config_hash),  # config_hash
        facts.status,  # status
        facts.tags,  # tags
        _SIDECAR_SOURCES | field_sources if field_sources else _SIDECAR_SOURCES,  # sources
        (),  # problems
        training.monitor,  # monitor
        facts.task,  # task
    )
    return tuple.__new__(CatalogEntry, values)


@dataclass
class _Evidence:
    """Recovered fields, each from the most trusted source seen so far."""

    values: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def set(self, key: str, value: object, source: str) -> None:
        if value is not None:
            self.values[key] = value
            self.sources[key] = source

    def add_name(self, name: LegacyName) -> None:
        self.set("epoch", name.epoch, _FROM_FILE_NAME)
        self.set("step", name.step, _FROM_FILE_NAME)
        self.metrics.update(name.metrics)

    def add_sidecar(self, sidecar: LegacySidecar) -> None:
        self.set("epoch", sidecar.epoch, _FROM_SIDECAR)
        self.set("step", sidecar.global_step, _FROM_SIDECAR)
        for key in _MODEL_FIELDS:
            self.set(key, getattr(sidecar, key), _FROM_SIDECAR)
        self.set("monitor", sidecar.monitor, _FROM_SIDECAR)
        self.metrics.update(sidecar.metrics)

    def add_model(self, model: dict[str, Recovered[str]]) -> None:
        for key, recovered in model.items():
            # A legacy sidecar beats both the config and the folder name.
            if self.sources.get(key) != _FROM_SIDECAR:
                self.set(key, recovered.value, _SOURCES[recovered.source])


def _parsed(path: str, content: bytes | None, inside: tuple[str, ...]) -> _Sidecar:
    try:
        return parse_sidecar(sidecar_name(path), content, inside=inside)
    except (MetadataInvalidError, MetadataVersionError, OSError) as exc:
        return exc


def _relative_to_checkpoints(path: str, folder: str, run: LegacyRun | None) -> PurePath:
    # Nearly always the checkpoint sits right in the run's checkpoint folder,
    # and the walk spells it as its folder, a separator and its name: string
    # operations settle it.
    if run is None or folder == str(run.checkpoint_dir):
        return PurePath(path[len(folder) + 1 :])
    checkpoint = Path(path)
    if checkpoint.is_relative_to(run.checkpoint_dir):
        return checkpoint.relative_to(run.checkpoint_dir)
    return PurePath(checkpoint.name)
