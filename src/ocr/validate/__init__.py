"""Integrity checks over an output root, and their report; never repairs anything.

:func:`validate_root` runs every :class:`Check` and returns a
:class:`ValidationReport`: the checks that ran, what they looked at
(:class:`Counts`) and every :class:`Problem`, each with its check, its kind,
its path (relative to the root's parent) and one line saying what is wrong
and how to fix it. ``ocr validate ROOT`` prints it (text or JSON) and can
write it as Markdown. :func:`validate_pipeline` (``ocr validate --pipeline --
<train command>``) launches a project's own trainer once and checks what it
left. See docs/validate.md. Each name is imported on first use: checking a
root never loads the pipeline check's launcher.

>>> from ocr.validate import Check
>>> Check.SIDECARS.value
'sidecars'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocr._lazy import lazy_exports

if TYPE_CHECKING:
    from ocr.validate._pipeline import SHORT_RUN, PipelineReport, validate_pipeline
    from ocr.validate._pipeline_checks import PipelineCheck, PipelineResult
    from ocr.validate._render import render_json, render_markdown, render_text, write_markdown
    from ocr.validate._report import (
        REPORT_SCHEMA_VERSION,
        Check,
        Counts,
        Problem,
        ProblemKind,
        ValidationReport,
    )
    from ocr.validate._validator import CHECKS, validate_root


__all__ = [
    "CHECKS",
    "REPORT_SCHEMA_VERSION",
    "SHORT_RUN",
    "Check",
    "Counts",
    "PipelineCheck",
    "PipelineReport",
    "PipelineResult",
    "Problem",
    "ProblemKind",
    "ValidationReport",
    "render_json",
    "render_markdown",
    "render_text",
    "validate_pipeline",
    "validate_root",
    "write_markdown",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ocr.validate._pipeline": ["SHORT_RUN", "PipelineReport", "validate_pipeline"],
        "ocr.validate._pipeline_checks": ["PipelineCheck", "PipelineResult"],
        "ocr.validate._render": ["render_json", "render_markdown", "render_text", "write_markdown"],
        "ocr.validate._report": [
            "REPORT_SCHEMA_VERSION",
            "Check",
            "Counts",
            "Problem",
            "ProblemKind",
            "ValidationReport",
        ],
        "ocr.validate._validator": ["CHECKS", "validate_root"],
    },
)
