"""``ocr registry list|show|rebuild|mark-stale``."""

from __future__ import annotations

import argparse
import math
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from ocr._json import loads, model_json
from ocr._markdown import escaped
from ocr.cli._args import add_format, add_root, parse_when, resolve_root
from ocr.cli._output import json_text, render_table, write_json_list

if TYPE_CHECKING:
    from ocr.registry import ExperimentRegistry, RegisteredRun

__all__ = ["add_commands"]

_MAX_STALE_MINUTES: Final = 10 * 366 * 24 * 60.0
# The values of ocr.registry.Status and DEFAULT_STALE_AFTER in minutes (a unit
# test holds them equal), spelled here so that building the parser (ocr
# --help) does not import the registry.
STATUSES: Final = ("running", "completed", "failed", "interrupted")
STALE_AFTER_MINUTES: Final = 10.0


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ocr registry ...`` to the command parser.

    Args:
        commands: The top-level sub-command action.
    """
    registry = commands.add_parser("registry", help="experiment records: list, show, rebuild")
    actions = registry.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="list runs, newest first")
    add_root(listing)
    listing.add_argument("--status", choices=STATUSES, help="only runs in this status")
    listing.add_argument("--name", help="only names containing this text")
    listing.add_argument("--tag", help="only runs with this tag")
    listing.add_argument("--task", help="only runs of this task (the launch's task_name)")
    listing.add_argument("--sweep", help="only jobs of this sweep ID")
    listing.add_argument(
        "--since", type=parse_when, help="started at or after (YYYY-MM-DD[THH:MM])"
    )
    listing.add_argument("--until", type=parse_when, help="started before (YYYY-MM-DD[THH:MM])")
    add_format(listing, ("table", "json"))
    listing.set_defaults(handler=_list)

    show = actions.add_parser("show", help="one run's record, by ID or unique ID prefix")
    show.add_argument("id", metavar="ID", help="the run's ID, or a prefix of it no other ID has")
    add_root(show)
    add_format(show, ("text", "json"))
    show.set_defaults(handler=_show)

    rebuild = actions.add_parser("rebuild", help="rebuild the index from the run records")
    add_root(rebuild)
    rebuild.set_defaults(handler=_rebuild)

    stale = actions.add_parser("mark-stale", help="mark dead 'running' runs interrupted")
    add_root(stale)
    stale.add_argument(
        "--stale-after",
        type=_minutes,
        default=STALE_AFTER_MINUTES,
        metavar="MINUTES",
        help="heartbeat age that counts as dead (default: %(default)g)",
    )
    stale.set_defaults(handler=_mark_stale)


def _minutes(text: str) -> float:
    """A heartbeat age in minutes: a finite number above 0, at most ten years."""
    try:
        minutes = float(text)
    except ValueError:
        minutes = math.nan
    if not 0 < minutes <= _MAX_STALE_MINUTES:  # NaN fails too
        msg = f"not a number of minutes above 0 and at most {_MAX_STALE_MINUTES:,.0f}: {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return minutes


def _registry_of(args: argparse.Namespace) -> ExperimentRegistry:
    from ocr.registry import ExperimentRegistry  # noqa: PLC0415 (for these commands only)

    return ExperimentRegistry(resolve_root(args.root))


def _list(args: argparse.Namespace) -> int:
    from ocr.registry import Status  # noqa: PLC0415 (for this command only)

    runs = _registry_of(args).query(
        status=Status(args.status) if args.status else None,
        name=args.name,
        tag=args.tag,
        task=args.task,
        sweep_id=args.sweep,
        since=args.since,
        until=args.until,
    )
    if args.format == "json":
        write_json_list(map(_as_json, runs), sys.stdout)
        return 0
    rows = [
        [
            run.record.id,
            run.record.status.value,
            run.record.name or "-",
            run.record.task_name or "-",
            run.record.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            _best(run),
            str(run.run_dir),
        ]
        for run in runs
    ]
    sys.stdout.write(
        render_table(["id", "status", "name", "task", "started", "best", "run_dir"], rows)
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    run = _registry_of(args).get(args.id)
    if args.format == "json":
        sys.stdout.write(json_text(_as_json(run)))
        return 0
    fields = _as_json(run)
    width = max(map(len, fields))
    for key, value in fields.items():
        sys.stdout.write(f"{key:>{width}}: {escaped(str(value))}\n")
    return 0


def _rebuild(args: argparse.Namespace) -> int:
    count = _registry_of(args).rebuild()
    sys.stdout.write(f"rebuilt the registry index from {count} run records\n")
    return 0


def _mark_stale(args: argparse.Namespace) -> int:
    marked = _registry_of(args).mark_stale(stale_after=timedelta(minutes=args.stale_after))
    for run, reason in marked:
        sys.stdout.write(f"{run.record.id} interrupted: {reason} ({escaped(str(run.run_dir))})\n")
    sys.stdout.write(f"{len(marked)} run(s) marked interrupted\n")
    return 0


def _best(run: RegisteredRun) -> str:
    return ", ".join(f"{k}={v:.4f}" for k, v in run.record.best_metrics.items()) or "-"


def _as_json(run: RegisteredRun) -> dict[str, Any]:
    # Through the model's JSON, which writes a NaN metric as "NaN" (strict JSON).
    record: dict[str, Any] = loads(model_json(run.record))
    return {**record, "path": str(run.run_dir)}
