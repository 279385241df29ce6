"""``ocr ui``: browse, inspect and try checkpoints in a web app (Streamlit)."""

from __future__ import annotations

import argparse
import sys
from typing import Final

from ocr.cli._args import DEFAULT_ROOT, add_legacy_folders, legacy_folders, resolve_root

__all__ = ["add_commands"]

_MAX_PORT: Final = 65535


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ocr ui`` to the command parser.

    Args:
        commands: The top-level sub-command action.
    """
    parser = commands.add_parser(
        "ui",
        help="browse, inspect and try checkpoints in a web app (needs ocr[ui])",
        description="Start the checkpoint app (Streamlit) on the roots, new and legacy alike. "
        "It listens on 127.0.0.1 only unless --host says otherwise; Ctrl-C stops it.",
    )
    parser.add_argument("roots", nargs="*", default=[DEFAULT_ROOT], metavar="ROOT")
    parser.add_argument(
        "--port", type=_port, default=None, help="the port (default: the first free one from 8501)"
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default 127.0.0.1: this machine only; "
        "0.0.0.0: every interface)",
    )
    add_legacy_folders(parser)
    parser.set_defaults(handler=_ui)


def _port(text: str) -> int:
    if text.isdigit() and 1 <= int(text) <= _MAX_PORT:
        return int(text)
    msg = f"not a port number: {text!r} (use 1 to {_MAX_PORT})"
    raise argparse.ArgumentTypeError(msg)


def _ui(args: argparse.Namespace) -> int:
    from ocr.ui.scope import AppScope  # noqa: PLC0415 (the UI's imports, only for this command)
    from ocr.ui.server import serve  # noqa: PLC0415

    roots = [resolve_root(root) for root in args.roots]
    scope = AppScope(tuple(roots), legacy_folders(roots, args))
    return serve(scope, host=args.host, port=args.port, out=sys.stdout)
