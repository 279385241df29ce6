"""The ``ocr`` command: argument parsing and the error boundary.

Expected errors (an :class:`~ocr.errors.OcrError`) print one line,
``ocr: error: <cause>. <fix>``, and exit 2; anything else is a bug and keeps
its traceback. ``OCR_FULL_ERROR=1`` re-raises everything.

>>> main(["registry", "list", "/nonexistent/outputs"])
2
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from ocr.cli import _ablation, _catalog, _migrate, _registry, _ui, _validate
from ocr.errors import OcrError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    """The parser of every ``ocr`` sub-command.

    Returns:
        The parser; each leaf sets ``handler`` to the function that runs it.
    """
    parser = argparse.ArgumentParser(
        prog="ocr", description="Experiments of the OCR trainer: registry, catalog, migration."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _ablation.add_commands(commands)
    _catalog.add_commands(commands)
    _migrate.add_commands(commands)
    _registry.add_commands(commands)
    _validate.add_commands(commands)
    _ui.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ocr`` command.

    Args:
        argv: The arguments; defaults to ``sys.argv[1:]``.

    Returns:
        The exit code: 0 on success, 1 when a check fails, 2 on bad input.
    """
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except OcrError as err:
        if os.environ.get("OCR_FULL_ERROR") == "1":
            raise
        sys.stderr.write(f"ocr: error: {err}\n")
        return 2
    return code


def run() -> None:
    """Console entry point: exit with :func:`main`'s code."""
    sys.exit(main())
