"""``python -m docgen write|check|run-pages`` (run from the repository top).

- ``write``: regenerate the generated pages (CLI reference, file formats).
- ``check``: exit 1 naming every generated page that is stale.
- ``run-pages [--update] [PAGE ...]``: run the tested pages' blocks (default:
  every tested page); ``--update`` rewrites their output blocks.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from docgen.generated import stale_pages, write_pages
from docgen.page_runner import BLOCK_TIMEOUT, TESTED_PAGES, run_page

if TYPE_CHECKING:
    from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run one docgen command.

    Args:
        argv: The arguments (default: the command line).

    Returns:
        The exit code: 0 when all is well, 1 otherwise.
    """
    parser = argparse.ArgumentParser(prog="python -m docgen")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("write", help="regenerate the generated pages")
    commands.add_parser("check", help="fail when a generated page is stale")
    pages = commands.add_parser("run-pages", help="run the tested pages' blocks")
    pages.add_argument("--update", action="store_true", help="rewrite the output blocks")
    pages.add_argument(
        "--block-timeout",
        type=float,
        default=BLOCK_TIMEOUT,
        metavar="SECONDS",
        help="seconds a block may take (default: %(default)g)",
    )
    pages.add_argument("pages", nargs="*", metavar="PAGE", default=list(TESTED_PAGES))
    args = parser.parse_args(argv)
    if args.command == "write":
        for page in write_pages():
            print(f"wrote {page}")
        return 0
    if args.command == "check":
        stale = stale_pages()
        for page in stale:
            print(f"{page} is stale; regenerate it with: python -m docgen write")
        return 1 if stale else 0
    return _run_pages(args.pages, update=args.update, timeout=args.block_timeout)


def _run_pages(pages: Sequence[str], *, update: bool, timeout: float) -> int:
    failed = False
    for page in pages:
        result = run_page(page, update=update, timeout=timeout)
        state = "updated" if result.updated else ("FAILED" if result.failures else "ok")
        print(
            f"{page}: {result.ran} blocks run, {result.skipped} not run, "
            f"{result.seconds:.1f} s: {state}",
            flush=True,
        )
        for failure in result.failures:
            print(failure, file=sys.stderr)
        failed = failed or bool(result.failures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
