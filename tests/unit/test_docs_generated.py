"""The generated documentation pages are current, and the site's navigation holds every page."""

from __future__ import annotations

import argparse
import difflib
from pathlib import Path

import pytest
import yaml

from docgen.api_pages import API_PACKAGES, api_page
from docgen.cli_reference import render_cli_reference
from docgen.generated import GENERATED, stale_pages, write_pages
from ocr.cli import build_parser

REPO = Path(__file__).parents[2]
REGENERATE = ".nox/tests-3-11/bin/python -m docgen write"


@pytest.mark.parametrize("page", [pytest.param(page, id=page) for page in GENERATED])
def test_a_generated_page_is_current_when_committed(page: str) -> None:
    committed = (REPO / page).read_text(encoding="utf-8")
    current = GENERATED[page]()
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            current.splitlines(keepends=True),
            fromfile=f"{page} (committed)",
            tofile=f"{page} (from the code)",
        )
    )
    assert committed == current, f"{page} is stale; regenerate it with: {REGENERATE}\n{diff}"


def test_stale_pages_names_a_page_when_it_differs_or_is_missing(tmp_path: Path) -> None:
    assert stale_pages(tmp_path) == list(GENERATED)
    assert write_pages(tmp_path) == list(GENERATED)
    assert stale_pages(tmp_path) == []
    cli_page = tmp_path / "docs" / "reference" / "cli.md"
    cli_page.write_text(cli_page.read_text() + "edited by hand\n")
    assert stale_pages(tmp_path) == ["docs/reference/cli.md"]


def test_the_cli_reference_lists_every_command_and_option_when_generated() -> None:
    page = render_cli_reference()
    pending = [("ocr", build_parser())]
    while pending:
        name, parser = pending.pop()
        assert f"`{name}`" in page, name
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue  # every command has -h; the page says so once
            for flag in action.option_strings:
                assert f"`{flag}`" in page, f"{name} {flag}"
            if isinstance(action, argparse._SubParsersAction):
                pending += [(f"{name} {sub}", child) for sub, child in action.choices.items()]
    assert "## `ocr-train`" in page
    assert "| `model` | `dbnet_fpn`, `dbnet_tiny` |" in page


def test_the_cli_usage_shows_choices_and_exclusive_options_when_generated() -> None:
    page = render_cli_reference()
    assert (
        "ocr migrate apply [ROOT] [--mode move|copy] [--multirun DIR | --no-multirun] "
        "[--wandb DIR | --no-wandb] [--format text|json|markdown]"
    ) in page
    assert "ocr registry show ID [ROOT] [--format text|json]" in page
    assert (
        "| `--min` `METRIC=V` |  | Only checkpoints whose METRIC is at least V. Repeatable. |"
        in page
    )
    assert (
        "| `--stale-after` `MINUTES` | `10` | Heartbeat age that counts as dead (default: 10) |"
        in page
    )


def _nav_pages(nav: object) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [page for item in nav for page in _nav_pages(item)]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in _nav_pages(value)]
    return []


def test_every_page_is_in_the_site_navigation_when_the_site_is_built() -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = _nav_pages(config["nav"])
    docs = REPO / "docs"
    pages = sorted(path.relative_to(docs).as_posix() for path in docs.rglob("*.md"))
    assert sorted(nav) == pages
    api = [page for page in nav if page.startswith("reference/api/")]
    assert api == [api_page(package).removeprefix("docs/") for package in API_PACKAGES]
