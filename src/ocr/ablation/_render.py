"""The ablation as Markdown, CSV, JSON and LaTeX text (the terminal table is in ``_terminal``).

Markdown holds everything the terminal shows (groups, effects, noise, runs,
exclusions, notes); CSV and LaTeX hold the group table, ready for a
spreadsheet or a paper; JSON holds everything, in the documented shape.
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Final

from ocr._markdown import code_cell, table_cell
from ocr.ablation._cells import (
    BASELINE,
    GROUP_STATS,
    RUN_STATS,
    effect_line,
    exclusion_line,
    group_row,
    heading,
    noise_line,
    run_row,
)
from ocr.ablation._json import ablation_json, group_json

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ocr.ablation._result import Ablation, GroupResult

__all__ = ["render_csv", "render_json", "render_latex", "render_markdown"]

_CSV_STATS: Final = (
    "n",
    "mean",
    "std",
    "min",
    "max",
    "is_baseline",
    "delta",
    "delta_pct",
    "p_value",
)
_LATEX_SPECIALS: Final = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
        "<": r"$<$",
        ">": r"$>$",
        "\n": " ",
    }
)


def render_json(ablation: Ablation) -> str:
    """The ablation as indented, strict JSON text (see :func:`ocr.ablation.ablation_json`).

    Args:
        ablation: The ablation.

    Returns:
        The JSON text, ending with a newline.
    """
    data = ablation_json(ablation)
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render_markdown(ablation: Ablation) -> str:
    """The ablation as Markdown: heading, group table, effects, noise, runs, exclusions, notes.

    Args:
        ablation: The ablation.

    Returns:
        The Markdown text.
    """
    lines = [f"## Ablation of {table_cell(ablation.metric)}", "", table_cell(heading(ablation)), ""]
    factors = list(ablation.factors)
    if ablation.groups:
        rows = [group_row(group) for group in ablation.groups]
        lines += [*_markdown_table([*factors, *GROUP_STATS], rows, numeric_from=len(factors)), ""]
    else:
        lines += ["No run has a value to aggregate.", ""]
    lines += ["**Effects**", "", *(f"- {table_cell(effect_line(e))}" for e in ablation.effects)]
    lines += ["", table_cell(noise_line(ablation)), "", "**Runs**", ""]
    runs = [run_row(outcome) for outcome in ablation.runs]
    lines += _markdown_table(["run", *factors, *RUN_STATS], runs, numeric_from=len(factors) + 3)
    if ablation.excluded:
        lines += ["", "**Kept out of the aggregates**", ""]
        lines += [f"- {table_cell(exclusion_line(outcome))}" for outcome in ablation.excluded]
    if ablation.notes:
        lines += ["", "**Notes**", "", *(f"- {table_cell(note)}" for note in ablation.notes)]
    return "\n".join(lines) + "\n"


def _markdown_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, numeric_from: int
) -> list[str]:
    align = ["---" if i < numeric_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(map(table_cell, header)) + " |", "| " + " | ".join(align) + " |"]
    for row in rows:
        cells = [
            code_cell(cell) if i == 0 and header[0] == "run" else table_cell(cell)
            for i, cell in enumerate(row)
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def render_csv(ablation: Ablation) -> str:
    """The group table as CSV: factor columns, then n, mean, std, min, max, baseline and change.

    Numbers are written in full precision; an unknown value is an empty cell.

    Args:
        ablation: The ablation.

    Returns:
        The CSV text.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*ablation.factors, *_CSV_STATS])
    for group in ablation.groups:
        data = group_json(group, ablation.factors)
        versus = data["versus_baseline"] or {}
        values = [
            data["n"],
            data["mean"],
            data["std"],
            data["min"],
            data["max"],
            "true" if group.is_baseline else "false",
            versus.get("delta"),
            versus.get("delta_pct"),
            versus.get("p_value"),
        ]
        factors = group_row(group)[: len(ablation.factors)]
        writer.writerow([*factors, *("" if value is None else value for value in values)])
    return buffer.getvalue()


def render_latex(ablation: Ablation) -> str:
    """The group table as a LaTeX ``tabular`` (booktabs rules), with the noise in a comment.

    Args:
        ablation: The ablation.

    Returns:
        The LaTeX text.
    """
    factors = [_latex(key) for key in ablation.factors]
    header = [*factors, "$n$", r"mean $\pm$ std", "min", "max", r"$\Delta$", r"$\Delta$\,\%", "$p$"]
    spec = "l" * len(factors) + "r" * (len(header) - len(factors))
    lines = [
        f"% ocr ablation: {_latex(heading(ablation))}",
        f"% {_latex(noise_line(ablation))}",
        rf"\begin{{tabular}}{{{spec}}}",
        r"\toprule",
        " & ".join(header) + r" \\",
        r"\midrule",
        *(" & ".join(_latex_row(group)) + r" \\" for group in ablation.groups),
        r"\bottomrule",
        r"\end{tabular}",
    ]
    return "\n".join(lines) + "\n"


def _latex_row(group: GroupResult) -> list[str]:
    cells = [_latex(cell) for cell in group_row(group)]
    mean_at = len(group.factors) + 1
    cells[mean_at] = "$" + group_row(group)[mean_at].replace("±", r"\pm") + "$"
    if group.is_baseline:
        cells[mean_at + 3] = rf"\emph{{{BASELINE}}}"
    return cells


def _latex(text: str) -> str:
    return text.translate(_LATEX_SPECIALS).replace("±", r"$\pm$").replace("Δ", r"$\Delta$")
