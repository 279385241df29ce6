"""The ablation as a terminal table (rich): groups, effects, noise, runs, exclusions, notes.

rich lays out the wide tables (a sweep of three factors has a dozen columns),
folds cells that do not fit, and leaves colour out when the output is not a
terminal. It is imported when a table is drawn, never when ``ocr`` starts.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Final

from ocr.ablation._cells import (
    GROUP_STATS,
    RUN_STATS,
    effect_line,
    exclusion_line,
    group_row,
    heading,
    noise_line,
    run_row,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import RenderableType
    from rich.table import Table

    from ocr.ablation._result import Ablation

__all__ = ["render_table", "table_renderables"]

DEFAULT_WIDTH: Final = 120
_SIGNIFICANT: Final = 0.05


def table_renderables(ablation: Ablation) -> list[RenderableType]:
    """What the terminal shows, as rich renderables (print them with a ``rich.console.Console``).

    Args:
        ablation: The ablation.

    Returns:
        The heading, the group table, the effects and noise, the run table,
        the excluded runs and the notes.
    """
    from rich.text import Text  # noqa: PLC0415 (rich is imported only to draw)

    parts: list[RenderableType] = [Text(heading(ablation), style="bold")]
    factors = list(ablation.factors)
    if ablation.groups:
        rows = [group_row(group) for group in ablation.groups]
        styles = [
            _group_style(group.is_baseline, row[-1])
            for group, row in zip(ablation.groups, rows, strict=True)
        ]
        parts.append(_table([*factors, *GROUP_STATS], rows, len(factors), styles))
    else:
        parts.append(Text("No run has a value to aggregate.", style="yellow"))
    parts.extend(Text(effect_line(effect)) for effect in ablation.effects)
    parts.append(Text(noise_line(ablation), style="dim"))
    runs = [run_row(outcome) for outcome in ablation.runs]
    run_styles = ["" if outcome.is_included else "dim" for outcome in ablation.runs]
    parts.append(_table(["run", *factors, *RUN_STATS], runs, len(factors) + 3, run_styles))
    if ablation.excluded:
        parts.append(Text("Kept out of the aggregates:", style="bold yellow"))
        parts.extend(Text(f"  {exclusion_line(outcome)}") for outcome in ablation.excluded)
    parts.extend(Text(f"note: {note}", style="dim") for note in ablation.notes)
    return parts


def _group_style(is_baseline: bool, p_cell: str) -> str:
    if is_baseline:
        return "bold"
    significant = p_cell.startswith("<") or (p_cell[:1].isdigit() and float(p_cell) < _SIGNIFICANT)
    return "green" if significant else ""


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int, styles: Sequence[str]
) -> Table:
    from rich import box  # noqa: PLC0415 (rich is imported only to draw)
    from rich.table import Table  # noqa: PLC0415

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for index, name in enumerate(header):
        table.add_column(
            name, justify="right" if index >= numeric_from else "left", overflow="fold"
        )
    for row, style in zip(rows, styles, strict=True):
        table.add_row(*row, style=style or None)
    return table


def render_table(ablation: Ablation, *, width: int = DEFAULT_WIDTH) -> str:
    """The terminal table as plain text (no colour), at a fixed width.

    Args:
        ablation: The ablation.
        width: The width to lay the tables out in.

    Returns:
        The text, ending with a newline.
    """
    from rich.console import Console  # noqa: PLC0415 (rich is imported only to draw)

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    for part in table_renderables(ablation):
        console.print(part)
    return buffer.getvalue()
