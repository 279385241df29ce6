"""What a migration tells a person: the report, and a progress bar while it runs.

The report (counts, the old-to-new mapping, every step, every warning) is one
model with three renderings: JSON (``--format json``, and ``report.json`` in
the migration's folder), Markdown (``report.md``) and a short text summary.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING, Final

from pydantic import NonNegativeInt

from ocr._markdown import code_cell, escaped
from ocr.migrate._model import (
    ActionKind,
    CopyAction,
    FrozenModel,
    LeftInPlace,
    Mode,
    MoveAction,
    PlannedRun,
)

if TYPE_CHECKING:
    from typing import TextIO

    from ocr.migrate._model import MigrationPlan

__all__ = [
    "MigrationReport",
    "Progress",
    "ReportCounts",
    "StepLine",
    "build_report",
    "render_markdown",
    "render_text",
]

_BAR_WIDTH: Final = 30
_DRAW_EVERY_SECONDS: Final = 0.1


class ReportCounts(FrozenModel):
    """How much a migration moves and writes."""

    runs: NonNegativeInt
    runs_by_era: dict[str, NonNegativeInt]
    checkpoints: NonNegativeInt
    files: NonNegativeInt
    bytes: NonNegativeInt
    sidecars_written: NonNegativeInt
    records_written: NonNegativeInt
    files_rewritten: NonNegativeInt
    steps: NonNegativeInt
    left_in_place: NonNegativeInt
    warnings: NonNegativeInt


class StepLine(FrozenModel):
    """One step, as the report lists it."""

    kind: ActionKind
    path: str
    source: str | None
    purpose: str


class MigrationReport(FrozenModel):
    """What a migration did (or, for a plan, would do).

    Args:
        migration_id: Its ID.
        root: The output root.
        mode: Move or copy.
        state: ``planned`` (a dry run), ``applied``, ``nothing_to_do``, ``rolled_back``.
        seconds: How long it took (``None`` for a plan).
        counts: The totals.
        runs: Every new folder: old folders, timestamp and its evidence, notes.
        mapping: Old path -> new path.
        steps: Every step.
        left_in_place: What stays where it is, and why.
        warnings: What a person should look at.
    """

    migration_id: str | None
    root: str
    mode: Mode
    state: str
    seconds: float | None
    counts: ReportCounts
    runs: list[PlannedRun]
    mapping: dict[str, str]
    steps: list[StepLine]
    left_in_place: list[LeftInPlace]
    warnings: list[str]


def build_report(plan: MigrationPlan, *, state: str, seconds: float | None) -> MigrationReport:
    """Build the report of a plan.

    Args:
        plan: The plan.
        state: What happened to it.
        seconds: How long it took, if it ran.

    Returns:
        The report.
    """
    kinds = Counter((action.kind, action.purpose) for action in plan.actions)
    counts = ReportCounts(
        runs=len(plan.runs),
        runs_by_era=dict(sorted(Counter(run.era for run in plan.runs).items())),
        checkpoints=sum(run.checkpoints for run in plan.runs),
        files=sum(run.files for run in plan.runs),
        bytes=sum(run.size_bytes for run in plan.runs),
        sidecars_written=kinds[(ActionKind.WRITE, "sidecar")],
        records_written=kinds[(ActionKind.WRITE, "record")],
        files_rewritten=sum(n for (kind, _), n in kinds.items() if kind is ActionKind.REWRITE),
        steps=len(plan.actions),
        left_in_place=len(plan.left_in_place),
        warnings=len(plan.warnings),
    )
    return MigrationReport(
        migration_id=plan.migration_id if plan.actions else None,
        root=plan.root,
        mode=plan.mode,
        state=state,
        seconds=seconds,
        counts=counts,
        runs=plan.runs,
        mapping=plan.mapping,
        steps=[
            StepLine(
                kind=a.kind,
                path=a.path,
                source=a.source if isinstance(a, MoveAction | CopyAction) else None,
                purpose=a.purpose,
            )
            for a in plan.actions
        ],
        left_in_place=plan.left_in_place,
        warnings=plan.warnings,
    )


def render_text(report: MigrationReport) -> str:
    """A few lines for the terminal: what moves where, what stays, warnings.

    One item per line: control characters in paths (a newline in a folder
    name) are shown escaped.

    Args:
        report: The report.

    Returns:
        The text, ending with a newline.
    """
    counts = report.counts
    lines = [_headline(report)]
    for run in report.runs:
        lines.append(
            f"  {escaped(', '.join(run.sources))} -> {escaped(run.target)}  "
            f"[{run.era}; {run.launched:%Y-%m-%d %H:%M:%S} from {run.timestamp_source.value}; "
            f"{run.checkpoints} checkpoints, {run.files} files]"
        )
        lines.extend(f"      note: {escaped(note)}" for note in run.notes)
    lines.extend(
        f"  left in place: {escaped(item.path)} ({item.reason})" for item in report.left_in_place
    )
    lines.extend(f"  warning: {escaped(warning)}" for warning in report.warnings)
    if report.runs:
        lines.append(
            f"{counts.runs} runs, {counts.checkpoints} checkpoints, {counts.files} files, "
            f"{_size(counts.bytes)}; {counts.sidecars_written} sidecars, "
            f"{counts.records_written} records, {counts.files_rewritten} rewritten files, "
            f"{counts.steps} steps"
            + (f", {report.seconds:.2f} s" if report.seconds is not None else "")
        )
    return "\n".join(lines) + "\n"


def render_markdown(report: MigrationReport) -> str:
    """The report as Markdown (``report.md``).

    Args:
        report: The report.

    Returns:
        The Markdown text.
    """
    counts = report.counts
    lines = [
        f"# Migration {report.migration_id or '(none)'}",
        "",
        f"- root: {code_cell(report.root)}",
        f"- mode: {report.mode.value}",
        f"- state: {report.state}",
        f"- time taken: {report.seconds:.2f} s" if report.seconds is not None else "- dry run",
        "",
        "| runs | by era | checkpoints | files | bytes | sidecars | records | rewritten | steps "
        "| left in place | warnings |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {counts.runs} | {_eras(counts.runs_by_era)} | {counts.checkpoints} | {counts.files} "
        f"| {counts.bytes} | {counts.sidecars_written} | {counts.records_written} "
        f"| {counts.files_rewritten} | {counts.steps} | {counts.left_in_place} "
        f"| {counts.warnings} |",
        "",
        "## Runs",
        "",
        "| old | new | era | timestamp | evidence | checkpoints | notes |",
        "|---|---|---|---|---|---:|---|",
    ]
    lines.extend(
        f"| {_code(', '.join(run.sources))} | {_code(run.target)} | {run.era} "
        f"| {run.launched:%Y-%m-%d %H:%M:%S} | {run.timestamp_source.value} | {run.checkpoints} "
        f"| {_code('; '.join(run.notes))} |"
        for run in report.runs
    )
    lines += ["", "## Mapping", "", "| old | new |", "|---|---|"]
    lines.extend(f"| {_code(old)} | {_code(new)} |" for old, new in report.mapping.items())
    lines += ["", "## Left in place", ""]
    lines.extend(f"- {_code(item.path)}: {item.reason}" for item in report.left_in_place)
    lines += ["", "## Warnings", ""]
    lines.extend(f"- {_code(warning)}" for warning in report.warnings)
    lines += ["", "## Steps", "", "| # | step | path | from | purpose |", "|---:|---|---|---|---|"]
    lines.extend(
        f"| {number} | {step.kind.value} | {_code(step.path)} | {_code(step.source or '')} "
        f"| {step.purpose} |"
        for number, step in enumerate(report.steps, start=1)
    )
    return "\n".join(lines) + "\n"


def _headline(report: MigrationReport) -> str:
    if report.state == "nothing_to_do":
        return f"Nothing to migrate under {escaped(report.root)}: no legacy experiment left."
    verb = {"planned": "would migrate (dry run; nothing written)", "applied": "migrated"}.get(
        report.state, report.state
    )
    return f"Migration {report.migration_id} {verb}: {escaped(report.root)} ({report.mode.value})"


def _eras(by_era: dict[str, int]) -> str:
    return ", ".join(f"{era} {count}" for era, count in by_era.items())


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size} bytes"


def _code(text: str) -> str:
    return code_cell(text) if text else ""


class Progress:
    """``[#####.....]  45%  4500/10000 steps`` redrawn in place, at most ten times a second.

    Args:
        stream: Where to draw; nothing is drawn unless it is a terminal.
        label: What is counted.
    """

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.enabled = stream.isatty()
        self._drawn = 0.0

    def update(self, done: int, total: int) -> None:
        """Show that ``done`` of ``total`` are done."""
        now = time.monotonic()
        if not self.enabled or (now - self._drawn < _DRAW_EVERY_SECONDS and done < total):
            return
        self._drawn = now
        filled = _BAR_WIDTH * done // max(total, 1)
        percent = 100 * done // max(total, 1)
        bar = "#" * filled + "." * (_BAR_WIDTH - filled)
        self.stream.write(f"\r[{bar}] {percent:3d}%  {done}/{total} {self.label}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
