"""ocr: a clean home for OCR training experiments.

Timestamp run folders, checkpoint sidecars, an experiment registry, a
checkpoint catalog and a migrator for legacy trees. See the README.
"""

from __future__ import annotations

from ocr.errors import OcrError
from ocr.layout import (
    FolderKind,
    RootLayout,
    RunLayout,
    RunLocation,
    RunStamp,
    SweepLayout,
    allocate_launch_dir,
    classify_folder,
    parse_run_path,
)

__all__ = [
    "FolderKind",
    "OcrError",
    "RootLayout",
    "RunLayout",
    "RunLocation",
    "RunStamp",
    "SweepLayout",
    "allocate_launch_dir",
    "classify_folder",
    "parse_run_path",
]
