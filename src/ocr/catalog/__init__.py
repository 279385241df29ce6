"""The checkpoint catalog: find and filter every checkpoint, new and legacy, fast.

The public way to search is one call: :meth:`CheckpointCatalog.find` with a
:class:`CheckpointQuery` (what ``ocr catalog``, the UI and the ablation tools
use). :func:`parse_where`, :func:`parse_best` and :func:`best_per_group` are
there for callers who build their own selection over entries;
:func:`read_checkpoint` opens one checkpoint with torch's weights-only loader
(what ``--read-weights`` and the UI's inference use).

>>> CheckpointQuery(filters=CatalogFilter(encoder="resnet18")).filters.encoder
'resnet18'
"""

from __future__ import annotations

from ocr.catalog._catalog import CheckpointCatalog
from ocr.catalog._checkpoint_file import read_checkpoint
from ocr.catalog._config_lookup import RunConfigLookup
from ocr.catalog._entry import ENTRY_FIELDS, CatalogEntry, LayoutKind, SidecarState
from ocr.catalog._find import CheckpointQuery, QueryResult
from ocr.catalog._query_evaluator import best_per_group, resolve_key
from ocr.catalog._query_parser import parse_best, parse_where
from ocr.catalog._selection import CatalogFilter, sort_by_metric
from ocr.catalog._weights import read_weights

__all__ = [
    "ENTRY_FIELDS",
    "CatalogEntry",
    "CatalogFilter",
    "CheckpointCatalog",
    "CheckpointQuery",
    "LayoutKind",
    "QueryResult",
    "RunConfigLookup",
    "SidecarState",
    "best_per_group",
    "parse_best",
    "parse_where",
    "read_checkpoint",
    "read_weights",
    "resolve_key",
    "sort_by_metric",
]
