r"""The report for people: a short text summary, a Markdown file; and the JSON contract.

Every problem takes exactly one line: control characters in paths (a
newline in a folder name, say) are shown escaped, as ``\n``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocr._json import model_json
from ocr._markdown import code_cell, escaped, table_cell
from ocr.atomic import atomic_write_text
from ocr.validate._report import Check

if TYPE_CHECKING:
    from pathlib import Path

    from ocr.validate._report import Counts, ValidationReport

__all__ = ["render_json", "render_markdown", "render_text", "write_markdown"]


def render_json(report: ValidationReport) -> str:
    """The report as JSON (``--format json``; fields documented in docs/validate.md).

    Args:
        report: The report.

    Returns:
        Indented JSON and a newline.
    """
    return model_json(report, indent=2) + "\n"


def render_text(report: ValidationReport) -> str:
    """A short summary, then one line per problem: ``<path>: <kind>: <message>``.

    Args:
        report: The report.

    Returns:
        The text, ending with a newline.
    """
    verdict = "ok, every check holds" if report.ok else _count(len(report.problems), "problem")
    lines = [
        f"root: {escaped(report.root)}",
        f"checked: {', '.join(report.checks)}",
        f"found: {_found(report.counts)}",
        f"result: {verdict}",
        *(
            escaped(f"{problem.path}: {problem.kind}: {problem.message}")
            for problem in report.problems
        ),
    ]
    return "\n".join(lines) + "\n"


def render_markdown(report: ValidationReport) -> str:
    """The report as Markdown: a summary table per check, then a table of problems.

    Args:
        report: The report.

    Returns:
        The Markdown text.
    """
    counts = report.counts
    looked_at = {
        Check.CATALOG: _count(counts.checkpoints, "checkpoint"),
        Check.SIDECARS: _count(counts.sidecars, "sidecar"),
        Check.CONFIG_HASHES: _count(counts.config_hashes, "config hash", "config hashes"),
        Check.RECORDS: f"{_count(counts.runs, 'run')}, {_count(counts.records, 'record')}",
        Check.MAPPINGS: (
            f"{_count(counts.mappings, 'mapping file')}, "
            f"{_count(counts.mapping_entries, 'entry', 'entries')}"
        ),
    }
    verdict = "ok" if report.ok else f"failed, {_count(len(report.problems), 'problem')}"
    lines = [
        "# Validation report",
        "",
        f"- Root: {code_cell(report.root)}",
        f"- Result: **{verdict}**",
        "",
        "| check | looked at | problems |",
        "|---|---|---|",
        *(
            f"| {check} | {looked_at[check]} | {len(report.problems_of(check))} |"
            for check in report.checks
        ),
        "",
        "## Problems",
        "",
    ]
    if report.ok:
        lines.append("None.")
    else:
        lines += ["| check | kind | path | problem |", "|---|---|---|---|"]
        lines += [
            f"| {p.check} | {p.kind} | {code_cell(p.path)} | {table_cell(p.message)} |"
            for p in report.problems
        ]
    return "\n".join(lines) + "\n"


def write_markdown(report: ValidationReport, target: Path) -> None:
    """Write :func:`render_markdown` to a file, atomically.

    Args:
        report: The report.
        target: The Markdown file; its folder must exist.

    Raises:
        OSError: The folder is missing or not writable (the target is untouched).
    """
    atomic_write_text(target, render_markdown(report))


def _found(counts: Counts) -> str:
    return ", ".join(
        [
            _count(counts.checkpoints, "checkpoint"),
            _count(counts.sidecars, "sidecar"),
            _count(counts.config_hashes, "config hash", "config hashes"),
            _count(counts.runs, "run"),
            _count(counts.records, "record"),
            f"{_count(counts.mappings, 'mapping file')} "
            f"({_count(counts.mapping_entries, 'entry', 'entries')})",
        ]
    )


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"
