"""The layout machinery the migrator, validate, compat and the locks share.

Not a public API: users ask :mod:`ocr.layout` for the layouts of a root, a run
and a sweep; these helpers may change with the packages that use them.
"""

from __future__ import annotations

from ocr.layout._enclosing import EnclosingRoot, enclosing_root
from ocr.layout._migration import MIGRATION_ID_PATTERN
from ocr.layout._names import free_run_path, in_layout_run, is_date_name, run_location
from ocr.layout._paths import LOCK_SUFFIX

__all__ = [
    "LOCK_SUFFIX",
    "MIGRATION_ID_PATTERN",
    "EnclosingRoot",
    "enclosing_root",
    "free_run_path",
    "in_layout_run",
    "is_date_name",
    "run_location",
]
