"""The package seams: who may spell which names, and which module imports which."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from typing import Final

import pytest

import ocr

__all__: list[str] = []

SOURCE: Final = Path(ocr.__file__).parent
MAP: Final = Path(__file__).parents[2] / "docs" / "architecture.md"
STATE_NAMES: Final = frozenset(
    {
        ".ocr",
        "ablation.index",
        "catalog.index",
        "journal.jsonl",
        "locks",
        "made-by-migrate.json",
        "mapping.json",
        "migrate.lock",
        "migrations",
        "originals",
        "partial",
        "plan.json",
        "registry.json",
        "report.json",
        "report.md",
        "weights.json",
    }
)


def _docstrings(tree: ast.Module) -> set[int]:
    """The ids of the string constants that are docstrings (they may name files)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for statement in body:
                if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                    found.add(id(statement.value))
    return found


def _spelled(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstrings(tree)
    return [
        f"{path.relative_to(SOURCE)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and (node.value in STATE_NAMES or node.value.startswith((".ocr/", ".ocr-")))
    ]


def test_only_the_layout_spells_names_under_the_state_folder_when_the_sources_are_read() -> None:
    outside = sorted(p for p in SOURCE.rglob("*.py") if SOURCE / "layout" not in p.parents)
    assert outside, "no sources found"
    assert [hit for path in outside for hit in _spelled(path)] == []


def _imported(module: str) -> set[str]:
    path = SOURCE.joinpath(*module.split(".")[1:]).with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        pytest.param(
            "ocr.catalog._query_lexer",
            {"ocr.catalog._query_evaluator", "ocr.catalog._query_parser"},
            id="lexer",
        ),
        pytest.param(
            "ocr.catalog._query_ast",
            {
                "ocr.catalog._query_evaluator",
                "ocr.catalog._query_lexer",
                "ocr.catalog._query_parser",
            },
            id="ast",
        ),
        pytest.param("ocr.catalog._query_evaluator", {"ocr.catalog._query_parser"}, id="evaluator"),
    ],
)
def test_query_layers_import_only_downwards_when_the_sources_are_read(
    module: str, forbidden: set[str]
) -> None:
    assert _imported(module) & forbidden == set()


def _layers() -> dict[str, int]:
    """The packages docs/architecture.md lists, each with its layer."""
    table = MAP.read_text(encoding="utf-8").split("## Packages", 1)[1].split("\n## ", 1)[0]
    layers: dict[str, int] = {}
    for row in table.splitlines():
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        if len(cells) > 2 and cells[0].isdecimal():
            for package in re.findall(r"`(ocr\.[a-z_.]+)`", cells[1]):
                layers[package] = int(cells[0])
    return layers


def _public_units() -> set[str]:
    return {
        f"ocr.{path.stem if path.is_file() else path.name}"
        for path in SOURCE.iterdir()
        if not path.name.startswith("_")
        and (path.suffix == ".py" or (path / "__init__.py").is_file())
    }


def test_the_architecture_page_lists_every_migrate_module_when_read() -> None:
    section = MAP.read_text(encoding="utf-8").split("## Inside `ocr.migrate`", 1)[1]
    listed = re.findall(r"^\| `(_[a-z_]+\.py)` \|", section.split("\n## ", 1)[0], re.MULTILINE)
    modules = sorted(path.name for path in (SOURCE / "migrate").glob("_*.py"))
    assert sorted(listed) == [name for name in modules if name != "__init__.py"]


def test_the_architecture_page_lists_every_package_when_read() -> None:
    assert set(_layers()) == _public_units()


@pytest.mark.parametrize("package", sorted(_layers()))
def test_each_package_the_architecture_page_lists_imports_when_named(package: str) -> None:
    assert importlib.import_module(package).__name__ == package


def _runtime_dependencies(package: str) -> set[str]:
    top = SOURCE / package.split(".")[1]
    files = sorted(top.rglob("*.py")) if top.is_dir() else [top.with_suffix(".py")]
    found: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ocr."):
                found.add(".".join(node.module.split(".")[:2]))
            elif isinstance(node, ast.Import):
                found.update(
                    ".".join(a.name.split(".")[:2]) for a in node.names if a.name.startswith("ocr.")
                )
    return found - {package}


def test_packages_import_only_their_own_layer_or_below_when_the_sources_are_read() -> None:
    layers = _layers()
    upward = [
        f"{package} (layer {layer}) imports {other} (layer {layers[other]})"
        for package, layer in sorted(layers.items())
        for other in sorted(_runtime_dependencies(package))
        if other in layers and layers[other] > layer
    ]
    assert upward == []
