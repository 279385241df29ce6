"""Collecting the runs of an ablation from the run folders, new and legacy, without writing.

Per run: its record (through the registry), its checkpoints (through the
catalog, which also finds legacy runs), its saved config and overrides, and its
metric history (through the ablation's index, :mod:`ocr.ablation._index`). The
registry, the catalog and the ablation keep their caches under ``<root>/.ocr/``;
nothing is ever written into a run folder.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ocr._gc import paused_gc
from ocr.ablation._index import EvidenceIndex
from ocr.ablation._legacy import legacy_run_files
from ocr.ablation._read import RunFiles, assemble_run
from ocr.ablation._select import RunSelection, SweepMatch, run_entry, where_predicate
from ocr.catalog import CheckpointCatalog, LayoutKind
from ocr.compat._shared import lightning_metric_files
from ocr.errors import OcrError
from ocr.layout import RootLayout, RunLayout
from ocr.registry import ExperimentRecord, ExperimentRegistry, read_record

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime
    from pathlib import Path

    from ocr._typing import StrPath
    from ocr.ablation._run import AblationRun
    from ocr.catalog import CatalogEntry
    from ocr.compat import LegacyFolders

__all__ = ["collect_runs"]


@paused_gc()
def collect_runs(
    roots: Sequence[StrPath],
    *,
    selection: RunSelection | None = None,
    legacy: LegacyFolders | None = None,
) -> list[AblationRun]:
    """Collect the runs under some output roots, with everything an ablation needs.

    Args:
        roots: The output roots (``~`` and links resolved).
        selection: Which runs; every run when ``None``.
        legacy: The legacy sweep and W&B folders to read with every root,
            instead of those beside it (see :class:`ocr.catalog.CheckpointCatalog`).

    Returns:
        Every selected run, in root then folder order (legacy runs after the
        timestamp layout's); a run whose files could not be read is there too,
        with its problem lines.

    Raises:
        AblationSelectionError: ``selection.sweep`` names no sweep, or several.
        CatalogQueryError: ``selection.where`` cannot be parsed.

    >>> import tempfile
    >>> collect_runs([tempfile.mkdtemp()])
    []
    """
    selection = selection or RunSelection()
    catalog = CheckpointCatalog(roots, legacy=legacy)
    checkpoints = _by_run(catalog.scan())
    everyone = [
        *(files for root in catalog.roots for files in _timestamp_run_files(root, checkpoints)),
        *legacy_run_files(catalog, checkpoints),
    ]
    candidates = _select_cheaply(everyone, selection, catalog.roots)
    indexes = {root: EvidenceIndex(root) for root in catalog.roots}
    evidence = [indexes[files.root].evidence(files) for files in candidates]
    for root, index in indexes.items():
        index.save(files.run_dir for files in everyone if files.root == root)
    runs = [assemble_run(files, found) for files, found in zip(candidates, evidence, strict=True)]
    if selection.where is None:
        return runs
    where = where_predicate(
        selection.where,
        {
            str(files.run_dir): found.config
            for files, found in zip(candidates, evidence, strict=True)
        },
    )
    return [run for run, files in zip(runs, candidates, strict=True) if where(_entry_of(files))]


def _by_run(entries: Sequence[CatalogEntry]) -> dict[str, list[CatalogEntry]]:
    grouped: dict[str, list[CatalogEntry]] = defaultdict(list)
    for entry in entries:
        if entry.run_dir is not None:
            grouped[entry.run_dir].append(entry)
    return dict(grouped)


def _timestamp_run_files(
    root: Path, checkpoints: Mapping[str, Sequence[CatalogEntry]]
) -> list[RunFiles]:
    layout = RootLayout(root)
    records = {run.run_dir: run.record for run in ExperimentRegistry(root).runs()}
    found = []
    for run_dir in layout.run_dirs():
        run_layout = RunLayout(run_dir)
        record = records.get(run_dir)
        problem = None
        if record is None and run_layout.record_file.is_file():
            problem = _record_problem(run_layout.record_file)
        metrics_file = run_layout.metrics_file
        metric_files = [metrics_file] if metrics_file.is_file() else lightning_metric_files(run_dir)
        found.append(
            RunFiles(
                name=run_dir.relative_to(root).as_posix(),
                run_dir=run_dir,
                root=root,
                era=None,
                record=record,
                record_problem=problem,
                config_file=run_layout.config_file,
                overrides_file=run_layout.overrides_file,
                metric_files=tuple(metric_files),
                legacy_names=metrics_file not in metric_files,
                checkpoints=tuple(checkpoints.get(str(run_dir), ())),
                created_at=None if record else _launched(layout, run_dir),
            )
        )
    return found


def _launched(layout: RootLayout, run_dir: Path) -> datetime:
    """When a run without a record was launched: its folder's timestamp (local time)."""
    return layout.location_of(run_dir).stamp.launched.astimezone()


def _record_problem(record_file: Path) -> str:
    """Why a record the registry skipped cannot be read."""
    try:
        read_record(record_file)
    except (OcrError, OSError) as exc:
        return str(exc)
    return f"{str(record_file)!r}: the record changed while it was read"


def _select_cheaply(
    candidates: list[RunFiles], selection: RunSelection, roots: Sequence[Path]
) -> list[RunFiles]:
    if selection.sweep is not None:
        sweep_ids = [sweep for files in candidates if (sweep := _sweep_id(files.record))]
        match = SweepMatch.resolve(selection.sweep, roots=roots, sweep_ids=sweep_ids)
        candidates = [files for files in candidates if match.holds(files.run_dir, files.record)]
    return [
        files
        for files in candidates
        if selection.admits(
            created_at=files.record.created_at if files.record else files.created_at,
            tags=files.record.tags if files.record else (),
            name=files.record.name if files.record and files.record.name else files.name,
        )
    ]


def _sweep_id(record: ExperimentRecord | None) -> str | None:
    return record.sweep_id if record is not None else None


def _entry_of(files: RunFiles) -> CatalogEntry:
    layout = files.era or LayoutKind.NEW.value
    return run_entry(
        files.run_dir, checkpoints=files.checkpoints, record=files.record, layout=layout
    )
