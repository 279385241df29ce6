"""The checkpoint catalog: find and filter every checkpoint, new and legacy, fast.

>>> CatalogFilter(encoder="resnet18").encoder
'resnet18'
"""

from __future__ import annotations

from ocr.catalog._catalog import (
    CatalogFilter,
    CheckpointCatalog,
    select_entries,
    sort_by_metric,
)
from ocr.catalog._config_lookup import RunConfigLookup
from ocr.catalog._entry import ENTRY_FIELDS, CatalogEntry, LayoutKind, SidecarState
from ocr.catalog._weights import WEIGHTS_CACHE_NAME, read_weights

__all__ = [
    "ENTRY_FIELDS",
    "WEIGHTS_CACHE_NAME",
    "CatalogEntry",
    "CatalogFilter",
    "CheckpointCatalog",
    "LayoutKind",
    "RunConfigLookup",
    "SidecarState",
    "read_weights",
    "select_entries",
    "sort_by_metric",
]
