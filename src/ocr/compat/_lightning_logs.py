"""The metric files Lightning's own logger left in a run folder (``lightning_logs/``).

Lightning's default ``CSVLogger`` writes ``lightning_logs/version_<k>/metrics.csv``,
one version per launch; a run resumed after a crash continues in the next
version. Only names are read here; the files are parsed by whoever asks.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from ocr.compat._vocabulary import LIGHTNING_LOGS_DIR_NAME, LIGHTNING_VERSION_PREFIX
from ocr.layout import RunLayout

__all__ = ["lightning_metric_files"]

_METRICS_FILE_NAME: Final = RunLayout(Path()).metrics_file.name


def lightning_metric_files(run_folder: Path) -> list[Path]:
    """The ``metrics.csv`` files of a run folder's Lightning versions, oldest first.

    Args:
        run_folder: A run folder (a legacy experiment folder, or any run).

    Returns:
        ``<run_folder>/lightning_logs/version_<k>/metrics.csv`` for every
        version that has one, in version-number order; none when there is no
        such folder.
    """
    logs = run_folder / LIGHTNING_LOGS_DIR_NAME
    try:
        entries = list(os.scandir(logs))
    except OSError:  # no lightning_logs (the usual case), or unreadable: no files to offer
        return []
    versions = []
    for entry in entries:
        number = entry.name.removeprefix(LIGHTNING_VERSION_PREFIX)
        if entry.name.startswith(LIGHTNING_VERSION_PREFIX) and number.isdigit():
            metrics = Path(entry.path) / _METRICS_FILE_NAME
            if entry.is_dir(follow_symlinks=False) and metrics.is_file():
                versions.append((int(number), metrics))
    return [path for _, path in sorted(versions)]
