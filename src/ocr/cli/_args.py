"""Arguments shared by ``ocr`` sub-commands, parsed once at the boundary."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ocr.errors import UsageConflictError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ocr.compat import LegacyFolders

__all__ = [
    "DEFAULT_ROOT",
    "add_format",
    "add_legacy_folders",
    "add_root",
    "legacy_folders",
    "parse_when",
    "resolve_root",
]

DEFAULT_ROOT: Final = "outputs"


def add_root(parser: argparse.ArgumentParser) -> None:
    """Add the optional ROOT argument (default ``./outputs``).

    Args:
        parser: The sub-command parser.
    """
    parser.add_argument(
        "root", nargs="?", default=DEFAULT_ROOT, metavar="ROOT", help="the output root"
    )


def add_format(parser: argparse.ArgumentParser, choices: Sequence[str]) -> None:
    """Add ``--format`` with a fixed set of choices; the first is the default.

    Args:
        parser: The sub-command parser.
        choices: The output formats.
    """
    parser.add_argument(
        "--format", choices=list(choices), default=choices[0], help="how to print the result"
    )


def add_legacy_folders(parser: argparse.ArgumentParser) -> None:
    """Add ``--multirun DIR | --no-multirun`` and ``--wandb DIR | --no-wandb``.

    Each lands in ``args.multirun`` / ``args.wandb`` as
    :meth:`ocr.compat.LegacyFolders.choose` takes it: ``True`` (the folder
    beside ROOT, the default), ``False`` (none) or the folder given.

    Args:
        parser: The sub-command parser.
    """
    for name, what in (("multirun", "legacy sweep"), ("wandb", "W&B")):
        choice = parser.add_mutually_exclusive_group()
        choice.add_argument(
            f"--{name}",
            metavar="DIR",
            type=Path,
            default=True,
            help=f"the {what} folder (default: {name}/ beside ROOT, when it exists)",
        )
        choice.add_argument(
            f"--no-{name}", dest=name, action="store_false", help=f"leave the {what} folder out"
        )


def resolve_root(root: str) -> Path:
    """Resolve a user-given output root once, at the boundary.

    Args:
        root: The path as typed.

    Returns:
        The absolute folder.

    Raises:
        InputPathError: It does not exist or is not a folder.
    """
    from ocr.layout import RootLayout  # noqa: PLC0415 (not for the parser: ocr --help stays fast)

    return RootLayout.existing(root).root


def legacy_folders(roots: Sequence[Path], args: argparse.Namespace) -> LegacyFolders | None:
    """The legacy folders ``--multirun``/``--wandb`` name (:func:`add_legacy_folders`).

    Args:
        roots: The resolved roots.
        args: The parsed arguments.

    Returns:
        The folders, or ``None`` for those beside each root (the default).

    Raises:
        UsageConflictError: The options are given with several roots.
        InputPathError: They name a folder that is missing, a link, or overlaps the root.
    """
    if args.multirun is True and args.wandb is True:
        return None
    if len(roots) != 1:
        raise UsageConflictError(
            f"--multirun/--wandb and --no-multirun/--no-wandb choose the legacy folders of one "
            f"ROOT, but {len(roots)} were given",
            fix="Scan one ROOT with them, or leave them out",
        )
    from ocr.compat import LegacyFolders  # noqa: PLC0415 (not for the parser: ocr --help stays fast)

    return LegacyFolders.choose(roots[0], multirun=args.multirun, wandb=args.wandb)


def parse_when(text: str) -> datetime:
    """Parse a date or date-time typed on the command line (local time).

    Args:
        text: ``YYYY-MM-DD`` or an ISO date-time.

    Returns:
        A timezone-aware time.

    Raises:
        argparse.ArgumentTypeError: The text is not a date.
    """
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        msg = f"not a date: {text!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)"
        raise argparse.ArgumentTypeError(msg) from exc
    return when.astimezone() if when.tzinfo is None else when
