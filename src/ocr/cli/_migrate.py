"""``ocr migrate plan|apply|status|rollback ROOT``: legacy trees into the new layout."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Final

from ocr._json import model_json
from ocr._markdown import escaped
from ocr.cli._args import add_format, add_legacy_folders, add_root, resolve_root
from ocr.cli._output import json_text, render_table

if TYPE_CHECKING:
    import argparse

    from ocr.migrate import MigrationReport

__all__ = ["add_commands"]

# The values of ocr.migrate.Mode (a unit test holds them equal), spelled here
# so that building the parser (ocr --help) does not import the migrator.
MODES: Final = ("move", "copy")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ocr migrate ...`` to the command parser.

    Args:
        commands: The top-level sub-command action.
    """
    migrate = commands.add_parser(
        "migrate", help="move legacy trees into the timestamp layout (plan, apply, rollback)"
    )
    actions = migrate.add_subparsers(dest="action", required=True, metavar="ACTION")

    plan = actions.add_parser("plan", help="dry run: print what apply would do; write nothing")
    _add_tree_options(plan)
    add_format(plan, ("text", "json", "markdown"))
    plan.set_defaults(handler=_plan)

    apply = actions.add_parser("apply", help="migrate (or resume an interrupted migration)")
    _add_tree_options(apply)
    add_format(apply, ("text", "json", "markdown"))
    apply.set_defaults(handler=_apply)

    status = actions.add_parser("status", help="list the root's migrations and their state")
    add_root(status)
    add_format(status, ("table", "json"))
    status.set_defaults(handler=_status)

    rollback = actions.add_parser("rollback", help="undo the newest migration exactly")
    add_root(rollback)
    rollback.add_argument("--migration", metavar="ID", help="the migration to undo (the newest)")
    add_format(rollback, ("text", "json"))
    rollback.set_defaults(handler=_rollback)


def _add_tree_options(parser: argparse.ArgumentParser) -> None:
    add_root(parser)
    parser.add_argument(
        "--mode",
        choices=MODES,
        default=MODES[0],
        help="move (rename; the default) or copy (verified; the legacy tree stays)",
    )
    add_legacy_folders(parser)


def _plan(args: argparse.Namespace) -> int:
    from ocr import migrate  # noqa: PLC0415 (the migrator is imported for these commands only)

    root = resolve_root(args.root)
    migrations, unreadable = migrate.survey_migrations(root)
    for unfinished in migrations:
        if unfinished.state is not migrate.MigrationState.APPLIED:
            sys.stderr.write(
                f"ocr: note: migration {unfinished.migration_id} is {unfinished.state.value} "
                f"({unfinished.steps_done}/{unfinished.steps} steps); `ocr migrate apply` "
                "finishes it before planning anything new\n"
            )
    migrate.refuse_unreadable(unreadable)  # a new plan over a half-moved tree would be wrong
    plan = migrate.plan_migration(
        root,
        mode=migrate.Mode(args.mode),
        multirun=args.multirun,
        wandb=args.wandb,
    )
    migrate.check_plan(root, plan)  # what apply would refuse, the dry run refuses too
    _print_report(migrate.build_report(plan, state="planned", seconds=None), args.format)
    return 0


def _apply(args: argparse.Namespace) -> int:
    from ocr import migrate  # noqa: PLC0415 (the migrator is imported for these commands only)

    report = migrate.apply_migration(
        resolve_root(args.root),
        mode=migrate.Mode(args.mode),
        multirun=args.multirun,
        wandb=args.wandb,
    )
    _print_report(report, args.format)
    return 0


def _status(args: argparse.Namespace) -> int:
    from ocr import migrate  # noqa: PLC0415 (the migrator is imported for these commands only)

    migrations, unreadable = migrate.survey_migrations(resolve_root(args.root))
    rows: list[dict[str, object]] = [
        {
            "migration_id": m.migration_id,
            "state": m.state.value,
            "created_at": m.created_at,
            "mode": m.mode.value,
            "runs": m.runs,
            "steps": m.steps,
            "steps_done": m.steps_done,
        }
        for m in migrations
    ]
    rows += [
        {
            "migration_id": damaged.migration_id,
            "state": "unreadable",
            "created_at": None,
            "mode": None,
            "runs": None,
            "steps": None,
            "steps_done": None,
        }
        for damaged in unreadable
    ]
    for damaged in unreadable:
        sys.stderr.write(f"ocr: warning: {damaged.refusal()}\n")
    if args.format == "json":
        sys.stdout.write(json_text(rows))
    elif not rows:
        sys.stdout.write("No migrations under this root.\n")
    else:
        header = list(rows[0])
        cells = [["-" if row[k] is None else str(row[k]) for k in header] for row in rows]
        sys.stdout.write(render_table(header, cells))
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from ocr import migrate  # noqa: PLC0415 (the migrator is imported for these commands only)

    root = resolve_root(args.root)
    plan = migrate.rollback_migration(root, migration_id=args.migration)
    if args.format == "json":
        rolled_back = {
            "migration_id": plan.migration_id,
            "state": "rolled_back",
            "runs": len(plan.runs),
            "steps_undone": len(plan.actions),
        }
        sys.stdout.write(json_text(rolled_back))
    else:
        sys.stdout.write(
            f"Migration {plan.migration_id} rolled back: {len(plan.runs)} runs back where "
            f"they were under {escaped(str(root))}.\n"
        )
    return 0


def _print_report(report: MigrationReport, output_format: str) -> None:
    from ocr.migrate import render_markdown, render_text  # noqa: PLC0415 (loaded already)

    if output_format == "json":
        sys.stdout.write(model_json(report, indent=2) + "\n")
    elif output_format == "markdown":
        sys.stdout.write(render_markdown(report))
    else:
        sys.stdout.write(render_text(report))
