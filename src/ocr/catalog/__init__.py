"""The checkpoint catalog: find and filter every checkpoint, new and legacy, fast.

The public way to search is one call: :meth:`CheckpointCatalog.find` with a
:class:`CheckpointQuery` (what ``ocr catalog``, the UI and the ablation tools
use). :func:`parse_where`, :func:`parse_best` and :func:`best_per_group` are
there for callers who build their own selection over entries;
:func:`read_checkpoint` opens one checkpoint with torch's weights-only loader
(what ``--read-weights`` and the UI's inference use). Each name is imported on
first use: a warm ``ocr catalog`` loads neither Pydantic nor the describer.

>>> from ocr.catalog import CatalogFilter, CheckpointQuery
>>> CheckpointQuery(filters=CatalogFilter(encoder="resnet18")).filters.encoder
'resnet18'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocr._lazy import lazy_exports

if TYPE_CHECKING:
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

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ocr.catalog._catalog": ["CheckpointCatalog"],
        "ocr.catalog._checkpoint_file": ["read_checkpoint"],
        "ocr.catalog._config_lookup": ["RunConfigLookup"],
        "ocr.catalog._entry": [
            "ENTRY_FIELDS",
            "CatalogEntry",
            "LayoutKind",
            "SidecarState",
        ],
        "ocr.catalog._find": [
            "CheckpointQuery",
            "QueryResult",
        ],
        "ocr.catalog._query_evaluator": ["best_per_group", "resolve_key"],
        "ocr.catalog._query_parser": ["parse_best", "parse_where"],
        "ocr.catalog._selection": ["CatalogFilter", "sort_by_metric"],
        "ocr.catalog._weights": ["read_weights"],
    },
)
