"""The checkpoint catalog: find and filter every checkpoint, new and legacy, fast.

>>> CatalogFilter(encoder="resnet18").encoder
'resnet18'
"""

from __future__ import annotations

from ocr.catalog._catalog import CatalogFilter, CheckpointCatalog
from ocr.catalog._entry import ENTRY_FIELDS, CatalogEntry, LayoutKind, SidecarState

__all__ = [
    "ENTRY_FIELDS",
    "CatalogEntry",
    "CatalogFilter",
    "CheckpointCatalog",
    "LayoutKind",
    "SidecarState",
]
