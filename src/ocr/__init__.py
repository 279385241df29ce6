"""ocr: a clean home for OCR training experiments.

Timestamp run folders, checkpoint sidecars, an experiment registry, a
checkpoint catalog and a migrator for legacy trees. See the README.

The names below are imported on first use, so ``import ocr.cli`` (every
``ocr`` command) does not pay for the layout's Hydra resolvers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocr._lazy import lazy_exports

if TYPE_CHECKING:
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

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ocr.errors": ["OcrError"],
        "ocr.layout": [
            "FolderKind",
            "RootLayout",
            "RunLayout",
            "RunLocation",
            "RunStamp",
            "SweepLayout",
            "allocate_launch_dir",
            "classify_folder",
            "parse_run_path",
        ],
    },
)
