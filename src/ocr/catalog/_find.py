"""One call for everything ``ocr catalog`` can ask: :class:`CheckpointQuery` in, entries out.

The command line, the UI, the ablation tools and a team's own scripts all ask
the catalog the same way: build a :class:`CheckpointQuery` (flag filters, a
``--where`` expression, ``best(...)``, sorting, the slow weights path) and call
:meth:`ocr.catalog.CheckpointCatalog.find`. The expressions are parsed when the
query is made, so a typo fails before any tree is walked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ocr.catalog._selection import CatalogFilter, select_entries

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ocr.catalog._catalog import CheckpointCatalog
    from ocr.catalog._config_lookup import RunConfigLookup
    from ocr.catalog._entry import CatalogEntry

__all__ = ["CheckpointQuery", "QueryResult", "run_query"]


@dataclass(frozen=True)
class CheckpointQuery:
    """What to find: every given part must hold.

    Args:
        filters: Flag-style filters (encoder, dates, minimum metrics, ...).
        where: A ``--where`` expression (docs/catalog-query.md).
        best: ``best(<key>[, by=[<key>, ...]])``: keep the best entry per group.
        best_mode: With ``best``: ``max`` when higher is better, ``min`` when lower is.
        sort: A metric name to sort by; entries without it go last.
        descending: With ``sort``: highest first (the default).
        read_weights: Slow, legacy only: fill unknown model parts from the
            checkpoints' state-dict shapes (``torch.load(weights_only=True)``,
            cached), before any filter looks at the entries.
        rescan: Ignore the catalog's indexes.

    Raises:
        CatalogQueryError: ``where`` or ``best`` cannot be parsed, or
            ``best_mode`` is neither ``max`` nor ``min``.

    >>> CheckpointQuery(where="model.encoder = 'resnet18'", sort="val/hmean").sort
    'val/hmean'
    """

    filters: CatalogFilter = field(default_factory=CatalogFilter)
    where: str | None = None
    best: str | None = None
    best_mode: Literal["max", "min"] = "max"
    sort: str | None = None
    descending: bool = True
    read_weights: bool = False
    rescan: bool = False

    def __post_init__(self) -> None:
        # Fail fast: a malformed expression is refused before a tree is walked.
        if self.where is not None or self.best is not None:
            _parse_expressions(self)


@dataclass(frozen=True)
class QueryResult:
    """What a query found.

    Args:
        entries: The matching checkpoints (sorted, or best first with ``best``).
        problems: One line per file that could not be read on the way (a run
            config, a checkpoint's weights); the entries are still right.
    """

    entries: list[CatalogEntry]
    problems: list[str]


def run_query(catalog: CheckpointCatalog, query: CheckpointQuery) -> QueryResult:
    """Run a query over a catalog (what :meth:`CheckpointCatalog.find` does).

    Args:
        catalog: The catalog.
        query: What to find.

    Returns:
        The entries and the problems met.
    """
    predicates: list[Callable[[CatalogEntry], bool]] = [query.filters]
    entries = catalog.scan(rescan=query.rescan)
    problems: list[str] = []
    if query.read_weights:
        from ocr.catalog._weights import read_weights  # noqa: PLC0415 (torch: when asked)

        entries, problems = read_weights(entries, roots=catalog.roots)
    if query.where is None and query.best is None:
        found = select_entries(entries, *predicates, sort=query.sort, descending=query.descending)
        return QueryResult(entries=found, problems=[*catalog.notices(), *problems])
    from ocr.catalog._query_evaluator import best_per_group  # noqa: PLC0415
    from ocr.catalog._query_parser import parse_best, parse_where  # noqa: PLC0415

    configs: RunConfigLookup = catalog.config_lookup()  # config.* keys read run configs
    if query.where is not None:
        where = parse_where(query.where, config_lookup=configs)
        predicates.append(where)
        problems.extend(_unknown_metrics(where.bare_metrics, entries))
    found = select_entries(entries, *predicates, sort=query.sort, descending=query.descending)
    if query.best is not None:
        metric, by = parse_best(query.best)
        found = best_per_group(found, metric, by=by, mode=query.best_mode, config_lookup=configs)
    return QueryResult(entries=found, problems=[*catalog.notices(), *problems, *configs.problems])


def _parse_expressions(query: CheckpointQuery) -> None:
    """Parse a query's ``where`` and ``best``, raising what a malformed one raises."""
    # The expression language loads only for a query that has an expression.
    from ocr.catalog._query_evaluator import best_per_group  # noqa: PLC0415
    from ocr.catalog._query_parser import parse_best, parse_where  # noqa: PLC0415

    if query.where is not None:
        parse_where(query.where)
    if query.best is not None:
        metric, by = parse_best(query.best)
        best_per_group([], metric, by=by, mode=query.best_mode)


def _unknown_metrics(names: Sequence[str], entries: Sequence[CatalogEntry]) -> list[str]:
    """A line for each bare metric name no scanned checkpoint has: likely a misspelt key."""
    logged = {name for entry in entries for name in entry.metrics}
    return [
        f"the query names {name!r}, which is no field and no metric of any checkpoint here; "
        f"check its spelling (a metric is also metrics.`{name}`)"
        for name in names
        if name not in logged
    ]
