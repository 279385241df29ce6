"""``ocr catalog``: find, filter and sort checkpoints."""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Final

from ocr._markdown import shown_bytes
from ocr.cli._args import (
    DEFAULT_ROOT,
    add_format,
    add_legacy_folders,
    legacy_folders,
    parse_when,
    resolve_root,
)
from ocr.cli._entry_json import write_entries_json
from ocr.cli._output import render_table

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ocr.catalog import CatalogEntry

__all__ = ["add_commands"]

_USUAL_MONITOR: Final = "val/hmean"
_TABLE_COLUMNS: Final = (
    "created_at",
    "name",
    "architecture",
    "encoder",
    "decoder",
    "epoch",
    "step",
)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ocr catalog`` to the command parser.

    Args:
        commands: The top-level sub-command action.
    """
    parser = commands.add_parser(
        "catalog",
        help="find and filter checkpoints (new and legacy)",
        description="Find and filter checkpoints. Unknown values are shown as '-' (null in JSON).",
    )
    parser.add_argument(
        "roots", nargs="*", default=[DEFAULT_ROOT], metavar="ROOT", help="output roots to scan"
    )
    for flag, dest in (
        ("--arch", "architecture"),
        ("--encoder", None),
        ("--decoder", None),
        ("--head", None),
    ):
        what = dest or flag[2:]
        parser.add_argument(flag, dest=what, help=f"only checkpoints whose {what} is this name")
    parser.add_argument("--since", type=parse_when, help="created at or after (YYYY-MM-DD[THH:MM])")
    parser.add_argument("--until", type=parse_when, help="created before (YYYY-MM-DD[THH:MM])")
    parser.add_argument(
        "--min",
        action="append",
        default=[],
        type=_threshold,
        metavar="METRIC=V",
        help="only checkpoints whose METRIC is at least V",
    )
    parser.add_argument("--status", help="the run's registry status")
    parser.add_argument("--task", help="the run's task (task_name: train, eval, ...)")
    parser.add_argument("--tag", action="append", default=[], help="a tag the run must have")
    parser.add_argument("--search", help="text in the path, name or model names")
    parser.add_argument(
        "--where",
        help="an expression, e.g. \"metrics.val/hmean > 0.9 and model.encoder = 'resnet18'\"",
    )
    parser.add_argument(
        "--best", help="best per group, e.g. 'best(metrics.val/hmean, by=[model.encoder])'"
    )
    parser.add_argument(
        "--best-mode", choices=["max", "min"], default="max", help="with --best: which end is best"
    )
    parser.add_argument("--sort", metavar="METRIC", help="sort by a metric, highest first")
    parser.add_argument("--ascending", action="store_true", help="with --sort: lowest first")
    parser.add_argument("--rescan", action="store_true", help="ignore the index and rescan")
    parser.add_argument(
        "--read-weights",
        action="store_true",
        help="slow: where a legacy checkpoint's model is still unknown, read its state-dict"
        " shapes (torch.load weights_only=True, cached; needs torch)",
    )
    add_legacy_folders(parser)
    add_format(parser, ("table", "json", "csv"))
    parser.set_defaults(handler=_catalog)


def _threshold(text: str) -> tuple[str, float]:
    metric, sep, value = text.rpartition("=")
    if sep and metric:
        try:
            number = float(value)
        except ValueError:
            pass  # reported below, with the expected form
        else:
            if not math.isnan(number):
                return metric, number
    msg = f"not METRIC=VALUE: {text!r} (e.g. val/hmean=0.9)"
    raise argparse.ArgumentTypeError(msg)


def _catalog(args: argparse.Namespace) -> int:
    # The catalog is imported for this command only: ocr --help stays fast.
    from ocr.catalog import CatalogFilter, CheckpointCatalog, CheckpointQuery  # noqa: PLC0415
    from ocr.compat import LEGACY_ENV_VAR, is_legacy_enabled  # noqa: PLC0415

    roots = [resolve_root(root) for root in args.roots]
    query = CheckpointQuery(
        filters=CatalogFilter(
            architecture=args.architecture,
            encoder=args.encoder,
            decoder=args.decoder,
            head=args.head,
            since=args.since,
            until=args.until,
            min_metrics=dict(args.min),
            status=args.status,
            task=args.task,
            tags=tuple(args.tag),
            search=args.search,
        ),
        where=args.where,
        best=args.best,
        best_mode=args.best_mode,
        sort=args.sort,
        descending=not args.ascending,
        read_weights=args.read_weights,
        rescan=args.rescan,
    )
    if args.read_weights and not is_legacy_enabled():
        sys.stderr.write(
            "ocr: note: --read-weights reads nothing while legacy support is off "
            f"({LEGACY_ENV_VAR}=0)\n"
        )
    found = CheckpointCatalog(roots, legacy=legacy_folders(roots, args)).find(query)
    if args.format == "json":
        write_entries_json(found.entries, sys.stdout)
    else:
        sys.stdout.write(_render(found.entries, args.format, sort=args.sort))
    for problem in found.problems:
        sys.stderr.write(f"ocr: warning: {problem}\n")
    return 0


def _render(entries: Sequence[CatalogEntry], fmt: str, *, sort: str | None) -> str:
    from ocr.catalog import ENTRY_FIELDS  # noqa: PLC0415 (loaded by the command already)

    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(ENTRY_FIELDS)
        for entry in entries:
            row = entry.as_json()
            writer.writerow([_csv_cell(row[name]) for name in ENTRY_FIELDS])
        return buffer.getvalue()
    metric = sort or _most_monitored(entries)
    header = [*_TABLE_COLUMNS, metric, "sidecar", "path"]
    rows = [
        [
            *(_cell(getattr(entry, column)) for column in _TABLE_COLUMNS),
            _cell(entry.metrics.get(metric)),
            str(entry.sidecar),
            entry.path,
        ]
        for entry in entries
    ]
    return render_table(header, rows) + f"{len(entries)} checkpoint(s)\n"


def _most_monitored(entries: Sequence[CatalogEntry]) -> str:
    """The metric the listed runs' checkpointing watched most often (``val/hmean`` if none)."""
    monitors = Counter(entry.monitor for entry in entries if entry.monitor)
    return monitors.most_common(1)[0][0] if monitors else _USUAL_MONITOR


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return shown_bytes(json.dumps(value, ensure_ascii=False))
    return shown_bytes(str(value))
