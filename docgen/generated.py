"""The generated pages: what each holds, writing them, and finding stale ones."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Final

from docgen.api_pages import API_PACKAGES, api_page, render_api_page
from docgen.cli_reference import CLI_PAGE, render_cli_reference
from docgen.page_runner import REPO
from docgen.schema_tables import SCHEMA_PAGE, render_schema_reference

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = ["GENERATED", "stale_pages", "write_pages"]

GENERATED: Final[dict[str, Callable[[], str]]] = {
    CLI_PAGE: render_cli_reference,
    SCHEMA_PAGE: render_schema_reference,
    **{api_page(package): functools.partial(render_api_page, package) for package in API_PACKAGES},
}
"""Each generated page (relative to the repository) and what renders it."""


def write_pages(repo: Path = REPO) -> list[str]:
    """Regenerate every generated page.

    Args:
        repo: The repository.

    Returns:
        The pages written.
    """
    for page, render in GENERATED.items():
        target = repo / page
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(), encoding="utf-8")
    return list(GENERATED)


def stale_pages(repo: Path = REPO) -> list[str]:
    """The generated pages whose committed text differs from what the code gives now.

    Args:
        repo: The repository.

    Returns:
        The stale pages (a missing page is stale).
    """
    stale = []
    for page, render in GENERATED.items():
        target = repo / page
        if not target.is_file() or target.read_text(encoding="utf-8") != render():
            stale.append(page)
    return stale
