"""One checkpoint -> one catalog entry, from its sidecar or from legacy evidence.

Never opens a checkpoint: an ocr sidecar is read when there is one (and
checked against the checkpoint's size and mtime); otherwise the legacy
evidence is gathered through ``ocr.compat`` (legacy sidecars, the nearby
Hydra config, the file and folder names). Every recovered field says where
it came from. What a run folder says (its record, its config) is read once
per scan and shared by all its checkpoints.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from ocr.catalog._entry import CatalogEntry, LayoutKind, SidecarState
from ocr.catalog._sidecar import read_sidecar
from ocr.compat import (
    MULTIRUN_DIR_NAME,
    WANDB_DIR_NAME,
    Era,
    LegacyName,
    LegacyRun,
    LegacySidecar,
    Recovered,
    Source,
    legacy_sidecar_paths,
    locate_legacy_run,
    model_from_hydra_config,
    parse_legacy_name,
    read_legacy_sidecar,
)
from ocr.errors import (
    LegacySidecarInvalidError,
    MetadataInvalidError,
    MetadataVersionError,
    OcrError,
    RunPathParseError,
)
from ocr.layout import RunLayout, parse_run_path
from ocr.naming import sidecar_name
from ocr.registry import ExperimentRecord, read_record

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ocr.metadata import CheckpointMetadata

__all__ = ["Describer"]

_log = logging.getLogger(__name__)
_LAYOUTS: Final = {
    Era.A: LayoutKind.NAME_BASED,
    Era.B: LayoutKind.MODEL_SUBFOLDER,
    Era.C: LayoutKind.TAGGED,
    Era.D: LayoutKind.SWEEP,
    Era.E: LayoutKind.NEW,
}
_MODEL_FIELDS: Final = ("architecture", "encoder", "decoder", "head")
# A run's checkpoint folder, relative to the run folder, with a separator before it.
_CHECKPOINT_DIR: Final = f"{os.sep}{RunLayout(Path()).checkpoint_dir}"
# One shared dict for every sidecar entry: treated as read-only, written once.
_SIDECAR_SOURCES: Final = dict.fromkeys(_MODEL_FIELDS, Source.SIDECAR.value)


class _FolderFacts(NamedTuple):
    """What every checkpoint of one folder shares: its run and what the run's record says."""

    run_dir: str | None
    layout: LayoutKind | None  # None when the folder is in no run
    status: str | None
    tags: tuple[str, ...]
    depends: tuple[str, ...]  # the folder and its run folder


@dataclass
class Describer:
    """Describes checkpoints under some roots, caching what run folders say.

    Strings that repeat across entries (names, metric keys, folders) are
    shared objects, which keeps the index small and fast to load (marshal
    writes and reads each once).

    Args:
        roots: The catalog root first, then its legacy ``multirun/``/``wandb/`` siblings.
    """

    roots: Sequence[Path]
    _folders: dict[str, _FolderFacts] = field(default_factory=dict)
    _legacy_runs: dict[str, tuple[LegacyRun | None, tuple[str, ...]]] = field(default_factory=dict)
    _records: dict[str, ExperimentRecord | None] = field(default_factory=dict)
    _configs: dict[Path, dict[str, Recovered[str]]] = field(default_factory=dict)

    def describe(
        self, path: str, folder: str, *, size: int, mtime_ns: int, has_sidecar: bool
    ) -> tuple[CatalogEntry, tuple[str, ...]]:
        """Describe one checkpoint.

        Args:
            path: The checkpoint file, as the walk spelled it.
            folder: Its folder, as the walk spelled it.
            size: Its size in bytes (from the walk's stat).
            mtime_ns: Its modification time (from the walk's stat).
            has_sidecar: Whether the walk saw its ocr sidecar.

        Returns:
            The entry, and the folders whose changes would change it (for the
            incremental index).
        """
        if not has_sidecar:
            state = SidecarState.MISSING
            return self._from_legacy(path, folder, size=size, mtime_ns=mtime_ns, state=state)
        try:
            metadata = read_sidecar(sidecar_name(path))
        except (MetadataInvalidError, MetadataVersionError, OSError) as exc:
            state = SidecarState.INVALID
            entry, depends = self._from_legacy(
                path, folder, size=size, mtime_ns=mtime_ns, state=state
            )
            return entry._replace(problems=(str(exc),)), depends
        facts = self._facts(path, folder)
        state = _sidecar_state(metadata, size, mtime_ns)
        return _from_sidecar(path, facts, metadata, size, state), facts.depends

    def _facts(self, path: str, folder: str) -> _FolderFacts:
        # Every checkpoint of one folder belongs to the same run. A sidecar
        # entry depends on its folder and its run's (the record); a legacy
        # one also on the config's and wandb's (see _legacy).
        facts = self._folders.get(folder)
        if facts is None:
            layout: LayoutKind | None = LayoutKind.NEW
            run_dir = self._new_run_dir(folder)
            if run_dir is None:
                run, _ = self._legacy(path, folder)
                run_dir = str(run.folder) if run is not None else None
                layout = _LAYOUTS[run.era] if run is not None else None
            record = self._record(run_dir) if run_dir is not None else None
            depends = {folder} if run_dir is None else {folder, run_dir}
            facts = _FolderFacts(
                run_dir=sys.intern(run_dir) if run_dir is not None else None,
                layout=layout,
                status=record.status.value if record is not None else None,
                tags=tuple(record.tags) if record is not None else (),
                depends=_interned_folders(depends),
            )
            self._folders[folder] = facts
        return facts

    def _new_run_dir(self, folder: str) -> str | None:
        """The run folder of a new-layout checkpoint folder, as the walk spells folders.

        It is the run folder :func:`~ocr.compat.locate_legacy_run` finds (era
        E), found without legacy support, and with string operations instead
        of ``Path`` ones: the cold scan pays this for every folder. The names
        come from ``layout``. Any other folder, or any folder of a root compat
        reads by its name (``multirun``, ``wandb``), is left to compat.
        """
        root = self.roots[0]
        if not folder.endswith(_CHECKPOINT_DIR) or root.name in (MULTIRUN_DIR_NAME, WANDB_DIR_NAME):
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

    def _legacy(self, path: str, folder: str) -> tuple[LegacyRun | None, tuple[str, ...]]:
        """The run compat finds for a folder, and what its legacy entries depend on."""
        found = self._legacy_runs.get(folder)
        if found is None:
            run = locate_legacy_run(Path(path), roots=self.roots)
            depends = {folder}
            if run is not None:
                depends.update(str(p) for p in (run.folder, run.config_dir, run.wandb_dir) if p)
            found = self._legacy_runs[folder] = (run, _interned_folders(depends))
        return found

    def _from_legacy(
        self, path: str, folder: str, *, size: int, mtime_ns: int, state: SidecarState
    ) -> tuple[CatalogEntry, tuple[str, ...]]:
        facts = self._facts(path, folder)
        run, depends = self._legacy(path, folder)
        checkpoint = Path(path)
        evidence = _Evidence()
        relative = _relative_to_checkpoints(checkpoint, run)
        name = parse_legacy_name(relative)
        evidence.add_name(name)
        problems: list[str] = []
        for sidecar in reversed(legacy_sidecar_paths(checkpoint)):  # most trusted applied last
            try:
                evidence.add_sidecar(read_legacy_sidecar(sidecar))
            except (LegacySidecarInvalidError, OSError) as exc:
                problems.append(str(exc))
        record = None
        if run is not None:
            evidence.add_model(run.model)
            if run.config_dir is not None:
                evidence.add_model(self._config_model(run.config_dir))
            record = self._record(str(run.folder))
        created = name.timestamp.astimezone() if name.timestamp else None
        if created is None:
            created = datetime.fromtimestamp(mtime_ns / 1e9).astimezone()
            evidence.sources.setdefault("created_at", Source.MTIME.value)
        entry = CatalogEntry(
            path=path,
            run_dir=facts.run_dir,
            experiment_id=record.id if record is not None else None,
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
            **{key: evidence.values.get(key) for key in _MODEL_FIELDS},
        )
        return entry, depends

    def _record(self, folder: str) -> ExperimentRecord | None:
        if folder not in self._records:
            record = None
            try:
                record = read_record(RunLayout(Path(folder)).record_file)
            except FileNotFoundError:
                pass  # a run without a record (legacy, or not recorded): nothing to say
            except (OcrError, OSError) as exc:
                _log.warning("ignoring an unreadable experiment record: %s", exc)
            self._records[folder] = record
        return self._records[folder]

    def _config_model(self, config_dir: Path) -> dict[str, Recovered[str]]:
        if config_dir not in self._configs:
            self._configs[config_dir] = model_from_hydra_config(
                RunLayout(config_dir.parent).config_file
            )
        return self._configs[config_dir]


def _from_sidecar(
    path: str,
    facts: _FolderFacts,
    metadata: CheckpointMetadata,
    size: int,
    state: SidecarState,
) -> CatalogEntry:
    # Pydantic's JSON string cache already hands out one object for each
    # repeated short string (metric names, model names); the config hash is
    # too long for it, so it is interned here.
    model, training, config = metadata.model, metadata.training, metadata.config
    field_sources = metadata.provenance.field_sources
    return CatalogEntry(
        path=path,
        run_dir=facts.run_dir,
        experiment_id=metadata.experiment.id,
        name=metadata.experiment.name,
        created_at=metadata.checkpoint.created_at,
        layout=facts.layout or LayoutKind.NEW,
        architecture=model.architecture,
        encoder=model.encoder,
        decoder=model.decoder,
        head=model.head,
        epoch=training.epoch,
        step=training.global_step,
        metrics=training.metrics,
        is_best=training.is_best,
        is_last=training.is_last,
        sidecar=state,
        size_bytes=size,
        config_hash=None if config.config_hash is None else sys.intern(config.config_hash),
        status=facts.status,
        tags=facts.tags,
        sources=_SIDECAR_SOURCES | field_sources if field_sources else _SIDECAR_SOURCES,
    )


def _interned_folders(folders: set[str]) -> tuple[str, ...]:
    return tuple(sorted(map(sys.intern, folders)))


@dataclass
class _Evidence:
    """Recovered fields, each from the most trusted source seen so far."""

    values: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def set(self, key: str, value: object, source: Source) -> None:
        if value is not None:
            self.values[key] = value
            self.sources[key] = source.value

    def add_name(self, name: LegacyName) -> None:
        self.set("epoch", name.epoch, Source.FILE_NAME)
        self.set("step", name.step, Source.FILE_NAME)
        self.metrics.update(name.metrics)

    def add_sidecar(self, sidecar: LegacySidecar) -> None:
        self.set("epoch", sidecar.epoch, Source.SIDECAR)
        self.set("step", sidecar.global_step, Source.SIDECAR)
        for key in _MODEL_FIELDS:
            self.set(key, getattr(sidecar, key), Source.SIDECAR)
        self.metrics.update(sidecar.metrics)

    def add_model(self, model: dict[str, Recovered[str]]) -> None:
        for key, recovered in model.items():
            # The config beats the folder name; a legacy sidecar beats both.
            if self.sources.get(key) != Source.SIDECAR.value:
                self.set(key, recovered.value, recovered.source)


def _sidecar_state(metadata: CheckpointMetadata, size: int, mtime_ns: int) -> SidecarState:
    info = metadata.checkpoint
    if (info.size_bytes, info.modified_ns) != (size, mtime_ns):
        return SidecarState.STALE
    return SidecarState.VALID


def _relative_to_checkpoints(checkpoint: Path, run: LegacyRun | None) -> PurePath:
    if run is not None and checkpoint.is_relative_to(run.checkpoint_dir):
        return checkpoint.relative_to(run.checkpoint_dir)
    return PurePath(checkpoint.name)
