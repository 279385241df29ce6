"""The documentation is self-contained, and the migration guide lists every error with its fix."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import ocr.errors
from docgen.blocks import parse_blocks
from docgen.page_runner import TESTED_PAGES
from ocr.validate import ProblemKind

REPO = Path(__file__).parents[2]
GUIDE = REPO / "docs" / "migration-guide.md"
# Each page with a troubleshooting table, and where the errors it lists are made.
TROUBLESHOOTING_SOURCES = {
    "docs/migration-guide.md": (
        "src/ocr/migrate",
        "src/ocr/validate",
        "src/ocr/cli",
        "src/ocr/compat/_legacy_folders.py",
        "src/ocr/compat/_mapping.py",
        "src/ocr/layout/_paths.py",
    ),
    "docs/ablation.md": ("src/ocr/ablation", "src/ocr/cli/_ablation.py"),
}
# Listed on their own page rather than in the migration guide's table.
ELSEWHERE = ("src/ocr/cli/_ablation.py",)
OUTSIDE = re.compile(r"\.\./shared|shared/|LEGACY_FORMATS\.md|DESIGN\.md|STYLE\.md")


def _shipped_text_files() -> list[Path]:
    files = [REPO / "README.md", REPO / "CONTRIBUTING.md", REPO / "mkdocs.yml"]
    for folder in ("docs", "src", "tests", "fixtures", "docgen", "configs"):
        files += [
            path
            for path in (REPO / folder).rglob("*")
            if path.suffix in {".md", ".py", ".yaml", ".yml", ".txt"} and path.is_file()
        ]
    return files


def test_nothing_points_outside_the_repository_when_the_docs_ship() -> None:
    this_file = Path(__file__).resolve()
    offenders = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in _shipped_text_files()
        if path.resolve() != this_file
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []


def _cause_pieces(call: ast.Call) -> list[str] | None:
    """The literal parts of an error's cause (its first argument), in order."""
    if not call.args:
        return None
    cause = call.args[0]
    if isinstance(cause, ast.Constant) and isinstance(cause.value, str):
        return [cause.value]
    if isinstance(cause, ast.JoinedStr):
        pieces = [
            part.value
            for part in cause.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        ]
        return [piece for piece in pieces if piece.strip(" '\"().,:")]
    return None


def _error_messages(sources: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    error_names = {
        name
        for name in ocr.errors.__all__
        if isinstance(getattr(ocr.errors, name), type)
        and issubclass(getattr(ocr.errors, name), ocr.errors.OcrError)
    }
    messages = []
    for source in sources:
        root = REPO / source
        for path in sorted([root] if root.is_file() else root.rglob("*.py")):
            if root.is_dir() and str(path.relative_to(REPO)) in ELSEWHERE:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in error_names
                    and (pieces := _cause_pieces(node)) is not None
                ):
                    messages.append((f"{path.relative_to(REPO)}:{node.lineno}", pieces))
    return messages


def _has_in_order(line: str, pieces: list[str]) -> bool:
    position = 0
    for piece in pieces:
        found = line.find(piece.strip(), position)
        if found < 0:
            return False
        position = found + len(piece.strip())
    return True


@pytest.mark.parametrize("page", sorted(TROUBLESHOOTING_SOURCES))
def test_every_error_a_command_prints_is_in_its_troubleshooting_table(page: str) -> None:
    table = (REPO / page).read_text(encoding="utf-8").split("## Troubleshooting", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    messages = _error_messages(TROUBLESHOOTING_SOURCES[page])
    assert len(messages) >= 10
    missing = [
        f"{where}: {' ... '.join(pieces)}"
        for where, pieces in messages
        if not any(_has_in_order(row, pieces) for row in rows)
    ]
    assert missing == [], f"add a row for each to the troubleshooting table of {page}"


def test_every_validate_problem_kind_is_in_the_troubleshooting_table() -> None:
    table = GUIDE.read_text(encoding="utf-8").split("## Troubleshooting", 1)[1]
    listed = set(re.findall(r"^\| `([a-z-]+)` \|", table, re.M))
    assert {kind.value for kind in ProblemKind} <= listed


@pytest.mark.parametrize("page", [pytest.param(page, id=page) for page in TESTED_PAGES])
def test_a_tested_page_has_well_formed_blocks_and_reasons_when_committed(page: str) -> None:
    blocks = parse_blocks((REPO / page).read_text(encoding="utf-8"), page=page)
    assert any(block.skip_reason is None for block in blocks)
    for block in blocks:
        assert block.skip_reason is None or len(block.skip_reason.split()) >= 3, block.line
        assert block.output is None or block.output.text.strip(), (
            f"{page}:{block.line}: an empty output block; fill it with: nox -s docs -- --update"
        )


@pytest.mark.parametrize(
    "page",
    [pytest.param("README.md", id="readme"), pytest.param("CONTRIBUTING.md", id="contributing")],
)
def test_every_relative_link_points_at_a_file_of_the_repository_when_read_on_its_own(
    page: str,
) -> None:
    text = (REPO / page).read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    relative = [target for target in targets if "://" not in target]
    assert relative
    assert [target for target in relative if not (REPO / target).exists()] == []
