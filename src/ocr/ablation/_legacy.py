"""Legacy runs take part through the compat layer: where their evidence is.

The catalog finds legacy checkpoints (eras A to D) and the folder of the run
each belongs to; :func:`~ocr.compat._shared.locate_legacy_run` says which config the
run has (era C: the one joined to it by timestamp through W&B), and Lightning's
own ``lightning_logs/version_<k>/metrics.csv`` hold its history. Their metric
names go through the legacy table (:mod:`ocr.ablation._metric_names`). One
legacy folder is one run: the old tools wrote several launches of one name into
one folder, and nothing tells them apart reliably.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ocr.ablation._read import RunFiles
from ocr.catalog import LayoutKind
from ocr.compat._shared import lightning_metric_files, locate_legacy_run
from ocr.layout import RunLayout

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ocr.catalog import CatalogEntry, CheckpointCatalog

__all__ = ["legacy_run_files"]


def legacy_run_files(
    catalog: CheckpointCatalog, checkpoints: Mapping[str, Sequence[CatalogEntry]]
) -> list[RunFiles]:
    """Where the evidence of each legacy run with checkpoints is.

    Args:
        catalog: The catalog the checkpoints came from (its roots and legacy folders).
        checkpoints: Run folder -> its checkpoints, as the catalog found them.

    Returns:
        One :class:`RunFiles` per legacy run, in folder order.
    """
    found = []
    for run_dir, entries in sorted(checkpoints.items()):
        if entries[0].layout != LayoutKind.NEW:
            files = _legacy_files(catalog, Path(run_dir), entries)
            if files is not None:
                found.append(files)
    return found


def _legacy_files(
    catalog: CheckpointCatalog, run_dir: Path, entries: Sequence[CatalogEntry]
) -> RunFiles | None:
    checkpoint = Path(entries[0].path)
    for root in catalog.roots:
        folders = catalog.legacy_folders(root)
        tops = folders.tops(root)
        if any(checkpoint.is_relative_to(top) for top in tops):
            run = locate_legacy_run(checkpoint, roots=tops, legacy=folders)
            break
    else:
        return None
    if run is None:
        return None
    config_home = run.config_dir.parent if run.config_dir is not None else None
    metric_files = lightning_metric_files(run.folder)
    if not metric_files and config_home is not None and config_home != run.folder:
        metric_files = lightning_metric_files(config_home)  # era C: logs beside the joined config
    times = [entry.created_at for entry in entries if entry.created_at is not None]
    return RunFiles(
        name=_name(run.folder, root),
        run_dir=run_dir,
        root=root,
        era=run.era.value,
        record=None,
        record_problem=None,
        config_file=run.config_file,
        overrides_file=RunLayout(config_home).overrides_file if config_home else None,
        metric_files=tuple(metric_files),
        legacy_names=True,
        checkpoints=tuple(entries),
        created_at=run.timestamp.astimezone() if run.timestamp else min(times, default=None),
    )


def _name(folder: Path, root: Path) -> str:
    """The folder relative to the root, or to the root's parent (``multirun/...``)."""
    base = root if folder.is_relative_to(root) else root.parent
    try:
        return folder.relative_to(base).as_posix()
    except ValueError:
        return folder.as_posix()
