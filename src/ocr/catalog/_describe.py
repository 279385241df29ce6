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
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Final

from ocr.catalog._entry import CatalogEntry, LayoutKind, SidecarState
from ocr.compat import (
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
)
from ocr.layout import RunLayout
from ocr.metadata import CheckpointMetadata, read_metadata
from ocr.naming import sidecar_name
from ocr.registry import ExperimentRecord, read_record

if TYPE_CHECKING:
    from collections.abc import Sequence

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
# One shared dict for every sidecar entry: treated as read-only, written once.
_SIDECAR_SOURCES: Final = dict.fromkeys(_MODEL_FIELDS, Source.SIDECAR.value)


@dataclass(frozen=True)
class _FolderFacts:
    """What every checkpoint of one folder shares: its run and what the run says."""

    run: LegacyRun | None
    depends: tuple[str, ...]
    run_dir: str | None
    layout: LayoutKind
    status: str | None
    tags: tuple[str, ...]


@dataclass
class Describer:
    """Describes checkpoints under some roots, caching what run folders say.

    Strings that repeat across entries (names, metric keys, folders) are
    interned and shared, which keeps the index small and fast to load.

    Args:
        roots: The catalog roots (with their legacy ``multirun/``/``wandb/`` siblings).
    """

    roots: Sequence[Path]
    _folders: dict[str, _FolderFacts] = field(default_factory=dict)
    _records: dict[Path, ExperimentRecord | None] = field(default_factory=dict)
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
        facts = self._facts(path, folder)
        if has_sidecar:
            try:
                metadata = read_metadata(Path(sidecar_name(path)))
            except (MetadataInvalidError, MetadataVersionError, OSError) as exc:
                entry = self._from_legacy(Path(path), facts, size, mtime_ns, SidecarState.INVALID)
                return entry._replace(problems=(str(exc),)), facts.depends
            state = _sidecar_state(metadata, size, mtime_ns)
            return _from_sidecar(path, facts, metadata, size, state), facts.depends
        entry = self._from_legacy(Path(path), facts, size, mtime_ns, SidecarState.MISSING)
        return entry, facts.depends

    def _facts(self, path: str, folder: str) -> _FolderFacts:
        # Every checkpoint of one folder belongs to the same run, and depends
        # on the same folders (its own, the run's, the config's, wandb's).
        facts = self._folders.get(folder)
        if facts is None:
            run = locate_legacy_run(Path(path), roots=self.roots)
            depends = {folder}
            if run is not None:
                depends.update(str(p) for p in (run.folder, run.config_dir, run.wandb_dir) if p)
            record = self._record(run.folder) if run is not None else None
            facts = _FolderFacts(
                run=run,
                depends=tuple(sorted(map(sys.intern, depends))),
                run_dir=sys.intern(str(run.folder)) if run is not None else None,
                layout=_LAYOUTS[run.era] if run is not None else LayoutKind.NAME_BASED,
                status=record.status.value if record is not None else None,
                tags=tuple(record.tags) if record is not None else (),
            )
            self._folders[folder] = facts
        return facts

    def _from_legacy(
        self,
        checkpoint: Path,
        facts: _FolderFacts,
        size: int,
        mtime_ns: int,
        state: SidecarState,
    ) -> CatalogEntry:
        run = facts.run
        evidence = _Evidence()
        relative = _relative_to_checkpoints(checkpoint, run)
        name = parse_legacy_name(relative)
        evidence.add_name(name)
        problems: list[str] = []
        for path in reversed(legacy_sidecar_paths(checkpoint)):  # most trusted applied last
            try:
                evidence.add_sidecar(read_legacy_sidecar(path))
            except (LegacySidecarInvalidError, OSError) as exc:
                problems.append(str(exc))
        record = None
        if run is not None:
            evidence.add_model(run.model)
            if run.config_dir is not None:
                evidence.add_model(self._config_model(run.config_dir))
            record = self._record(run.folder)
        created = name.timestamp.astimezone() if name.timestamp else None
        if created is None:
            created = datetime.fromtimestamp(mtime_ns / 1e9).astimezone()
            evidence.sources.setdefault("created_at", Source.MTIME.value)
        return CatalogEntry(
            path=str(checkpoint),
            run_dir=facts.run_dir,
            experiment_id=record.id if record is not None else None,
            name=run.name if run is not None else None,
            created_at=created,
            layout=facts.layout,
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

    def _record(self, folder: Path) -> ExperimentRecord | None:
        if folder not in self._records:
            record_file = RunLayout(folder).record_file
            record = None
            if record_file.is_file():
                try:
                    record = read_record(record_file)
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
    model, training = metadata.model, metadata.training
    intern = sys.intern
    field_sources = metadata.provenance.field_sources
    return CatalogEntry(
        path=path,
        run_dir=facts.run_dir,
        experiment_id=_interned(metadata.experiment.id),
        name=_interned(metadata.experiment.name),
        created_at=metadata.checkpoint.created_at,
        layout=facts.layout if facts.run is not None else LayoutKind.NEW,
        architecture=_interned(model.architecture),
        encoder=_interned(model.encoder),
        decoder=_interned(model.decoder),
        head=_interned(model.head),
        epoch=training.epoch,
        step=training.global_step,
        metrics={intern(key): value for key, value in training.metrics.items()},
        is_best=training.is_best,
        is_last=training.is_last,
        sidecar=state,
        size_bytes=size,
        config_hash=_interned(metadata.config.config_hash),
        status=facts.status,
        tags=facts.tags,
        sources=_SIDECAR_SOURCES | field_sources if field_sources else _SIDECAR_SOURCES,
    )


def _interned(text: str | None) -> str | None:
    return None if text is None else sys.intern(text)


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
