"""``ocr validate ROOT`` and ``ocr validate --pipeline -- COMMAND``: exit 0 when all holds, 1 when not."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ocr.cli._args import add_format
from ocr.errors import InputPathError, UsageConflictError
from ocr.layout import resolve_user_path

if TYPE_CHECKING:
    import argparse

__all__ = ["add_commands"]


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ocr validate`` to the command parser.

    Args:
        commands: The top-level sub-command action.
    """
    parser = commands.add_parser(
        "validate",
        help="check an output root's integrity, or a training pipeline (exit 1 when a check fails)",
        usage="ocr validate ROOT [--format text|json] [--report PATH]\n"
        "       ocr validate --pipeline [--watch DIR] [--as-is] [--timeout S] [--keep] "
        "[--format text|json] -- COMMAND...",
        description="Check that every checkpoint is in the catalog and has a true sidecar, "
        "config hashes match, every run has its record and every migration mapping points at "
        "something. Nothing is repaired. With --pipeline, launch the training COMMAND once (one "
        "tiny epoch, in a temporary output root) and check from outside that it landed in the "
        "layout, with a record and a sidecar per checkpoint, and left nothing elsewhere. Exit 0 "
        "when every check holds, 1 otherwise.",
    )
    parser.add_argument(
        "target",
        nargs="*",
        metavar="ROOT | COMMAND",
        help="the output root; with --pipeline, the training command after --",
    )
    add_format(parser, ("text", "json"))
    parser.add_argument("--report", metavar="PATH", help="also write the report as Markdown here")
    parser.add_argument(
        "--pipeline", action="store_true", help="launch COMMAND (after --) and check the launch"
    )
    parser.add_argument(
        "--watch",
        metavar="DIR",
        action="append",
        type=Path,
        default=[],
        help="with --pipeline: a folder where the launch must leave nothing (besides this one)",
    )
    parser.add_argument(
        "--as-is",
        action="store_true",
        help="with --pipeline: no short-run overrides (one epoch, two batches)",
    )
    parser.add_argument("--timeout", type=float, metavar="S", help="with --pipeline: seconds")
    parser.add_argument(
        "--keep", action="store_true", help="with --pipeline: keep the temporary output root"
    )
    parser.set_defaults(handler=_validate)


def _validate(args: argparse.Namespace) -> int:
    if args.pipeline:
        return _pipeline(args)
    if len(args.target) != 1:
        raise UsageConflictError(
            f"ocr validate takes one ROOT, got {len(args.target)}",
            fix="Pass the output root (ocr validate outputs), or check a training command with "
            "ocr validate --pipeline -- python train.py",
            value=args.target,
        )
    # The validator is imported for this command only: ocr --help stays fast.
    from ocr.validate import render_json, render_text, validate_root, write_markdown  # noqa: PLC0415

    # The report's place is checked before the checks run, so a typo costs nothing.
    target = _report_target(args.report) if args.report else None
    report = validate_root(args.target[0])
    if target is not None:
        try:
            write_markdown(report, target)
        except OSError as exc:
            raise InputPathError(
                f"cannot write the report {str(target)!r}: {exc.strerror}",
                fix="Pass a writable file path to --report",
                path=target,
            ) from exc
    sys.stdout.write(render_json(report) if args.format == "json" else render_text(report))
    return 0 if report.ok else 1


def _pipeline(args: argparse.Namespace) -> int:
    from ocr.validate import validate_pipeline  # noqa: PLC0415 (for this command only)

    report = validate_pipeline(
        args.target, watch=args.watch, as_is=args.as_is, timeout=args.timeout, keep=args.keep
    )
    if args.format == "json":
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(report.render_text())
    return 0 if report.ok else 1


def _report_target(text: str) -> Path:
    """Where the Markdown report goes: a regular file (replaced) or a new path.

    The report is written by an atomic replace, which would turn a FIFO or a
    device (``/dev/null``) into a regular file: anything but a regular file
    (links resolved) is refused, before the checks run.
    """
    target = resolve_user_path(text)
    if target.is_dir() or not target.parent.is_dir():
        raise InputPathError(
            f"report path {text!r} is not a file in an existing folder ({str(target)!r})",
            fix="Pass a file path whose folder exists to --report",
            path=target,
        )
    if os.path.lexists(target) and not target.is_file():
        raise InputPathError(
            f"report path {text!r} is not a regular file ({str(target)!r} is a device, FIFO "
            "or socket), and writing the report would replace it",
            fix="Pass a regular file or a new path to --report",
            path=target,
        )
    return target
