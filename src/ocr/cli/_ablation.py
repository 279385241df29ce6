"""``ocr ablation``: which factor mattered, and by how much, from the run folders."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ocr.cli._args import (
    DEFAULT_ROOT,
    add_format,
    add_legacy_folders,
    legacy_folders,
    parse_when,
    resolve_root,
)
from ocr.errors import (
    AblationOptionError,
    AblationSelectionError,
    ExtraNotInstalledError,
    InputPathError,
)

if TYPE_CHECKING:
    import argparse

    from ocr.ablation import Ablation

__all__ = ["add_commands"]

_FORMATS: Final = ("table", "markdown", "csv", "json", "latex")
_MACHINE_FORMATS: Final = frozenset({"csv", "json", "latex"})
_FALLBACK_SIZE: Final = (120, 24)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ocr ablation`` to the command parser.

    Args:
        commands: The top-level sub-command action.
    """
    parser = commands.add_parser(
        "ablation",
        help="compare runs: which factor mattered, by how much, against the seed noise",
        description="Compare the runs of a sweep (or any selection): per group of runs that "
        "share every factor but the seed, n, mean ± std, min, max and the change against a "
        "baseline with Welch's t-test. See docs/ablation.md.",
    )
    parser.add_argument("roots", nargs="*", default=[DEFAULT_ROOT], metavar="ROOT")
    parser.add_argument("--sweep", metavar="ID", help="a sweep ID (or prefix) or its folder")
    parser.add_argument("--where", metavar="EXPR", help="a catalog expression, checked per run")
    parser.add_argument("--since", type=parse_when, help="started at or after (YYYY-MM-DD[THH:MM])")
    parser.add_argument("--until", type=parse_when, help="started before (YYYY-MM-DD[THH:MM])")
    parser.add_argument("--tag", action="append", default=[], help="a tag the run must have")
    parser.add_argument("--name", help="text the experiment name contains")
    parser.add_argument("--by", metavar="KEY[,KEY...]", help="the factors (default: detected)")
    parser.add_argument("--metric", metavar="M", help="default: the monitored one, or val/hmean")
    parser.add_argument("--mode", choices=["max", "min"], help="default: min for losses")
    parser.add_argument("--value", choices=["best", "last"], default="best", help="per run")
    parser.add_argument("--seed-key", metavar="KEY", help="repeats differ in it (default: seed)")
    parser.add_argument("--baseline", metavar="KEY=VALUE[,KEY=VALUE]", help="the baseline group")
    add_legacy_folders(parser)
    add_format(parser, _FORMATS)
    parser.add_argument("--plot", metavar="FILE.png", help="also draw the ablation into a PNG")
    parser.set_defaults(handler=_ablation)


def _ablation(args: argparse.Namespace) -> int:
    _require_extras(table=args.format == "table", plot=args.plot is not None)
    from ocr import ablation  # noqa: PLC0415 (loaded only for this command)

    roots = [resolve_root(root) for root in args.roots]
    plot = _plot_path(args.plot) if args.plot is not None else None
    selection = ablation.RunSelection(
        sweep=args.sweep,
        where=args.where,
        since=args.since,
        until=args.until,
        tags=tuple(args.tag),
        name=args.name,
    )
    runs = ablation.collect_runs(roots, selection=selection, legacy=legacy_folders(roots, args))
    if not runs:
        raise AblationSelectionError(
            f"no runs selected under {', '.join(repr(str(root)) for root in roots)}",
            fix="Check the ROOT and the selection options (ocr registry list shows the runs)",
        )
    result = ablation.analyse(
        runs,
        metric=args.metric,
        mode=args.mode,
        value=args.value,
        by=_keys(args.by) if args.by is not None else None,
        seed_key=args.seed_key,
        baseline=_baseline(args.baseline) if args.baseline is not None else None,
    )
    _print(result, args.format)
    if plot is not None:
        ablation.plot_ablation(result, plot)
        stream = sys.stderr if args.format in _MACHINE_FORMATS else sys.stdout
        stream.write(f"plot: {plot}\n")
    return 0


def _require_extras(*, table: bool, plot: bool) -> None:
    needed = [*(["rich"] if table else []), *(["matplotlib"] if plot else [])]
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise ExtraNotInstalledError(
            f"ocr ablation needs {', '.join(missing)}, which is not installed",
            fix="Install the ablation extra: pip install 'ocr[ablation]'",
            value=missing,
        )


def _plot_path(text: str) -> Path:
    path = Path(text).expanduser()
    if path.suffix.lower() != ".png":
        raise AblationOptionError(
            f"--plot {text!r} is not a .png file name",
            fix="Give a file name ending in .png, e.g. --plot ablation.png",
            value=text,
        )
    if not path.parent.resolve().is_dir():
        raise InputPathError(
            f"--plot {text!r}: the folder {str(path.parent)!r} does not exist",
            fix="Create the folder first, or write the plot elsewhere",
            path=path.parent,
        )
    return path.resolve()


def _keys(text: str) -> list[str]:
    keys = [key.strip() for key in text.split(",") if key.strip()]
    if not keys:
        raise AblationOptionError(
            f"--by {text!r} names no key", fix="Name config keys, e.g. --by model.encoder,seed"
        )
    return keys


def _baseline(text: str) -> dict[str, str]:
    baseline = {}
    for part in text.split(","):
        key, separator, value = part.partition("=")
        if not separator or not key.strip():
            raise AblationOptionError(
                f"--baseline {text!r}: {part.strip()!r} is not KEY=VALUE",
                fix="Name the baseline group, e.g. --baseline model.encoder=tiny_resnet",
                value=text,
            )
        baseline[key.strip()] = value.strip()
    return baseline


def _print(result: Ablation, fmt: str) -> None:
    from ocr import ablation  # noqa: PLC0415 (loaded only for this command)

    if fmt == "table":
        _print_table(result)
        return
    render = {
        "markdown": ablation.render_markdown,
        "csv": ablation.render_csv,
        "json": ablation.render_json,
        "latex": ablation.render_latex,
    }[fmt]
    sys.stdout.write(render(result))
    if fmt in _MACHINE_FORMATS and fmt != "json":
        for outcome in result.excluded:
            sys.stderr.write(f"ocr: warning: {outcome.run.name}: {outcome.exclusion}\n")
        for note in result.notes:
            sys.stderr.write(f"ocr: note: {note}\n")


def _print_table(result: Ablation) -> None:
    from rich.console import Console  # noqa: PLC0415 (rich is imported only to draw)

    from ocr.ablation import render_table, table_renderables  # noqa: PLC0415

    console = Console()
    if not console.is_terminal:  # piped: plain text, as wide as COLUMNS or 120
        sys.stdout.write(
            render_table(result, width=shutil.get_terminal_size(_FALLBACK_SIZE).columns)
        )
        return
    for part in table_renderables(result):
        console.print(part)
