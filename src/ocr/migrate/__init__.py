"""Move legacy output trees into the timestamp layout, losing nothing.

``plan_migration`` (a dry run: writes nothing), ``apply_migration`` (move or
copy; resumes a migration a crash interrupted), ``rollback_migration`` (back
to the exact old tree: paths, bytes, mtimes) and ``list_migrations``. Every
step is journaled before it runs; see docs/migrate.md for the guarantees and
the files a migration leaves.
"""

from __future__ import annotations

from ocr.migrate._journal import MigrationState
from ocr.migrate._migration import apply_migration, plan_migration, rollback_migration
from ocr.migrate._model import (
    Action,
    ActionKind,
    LeftInPlace,
    MigrationPlan,
    Mode,
    PlannedRun,
    TimestampSource,
)
from ocr.migrate._report import MigrationReport, build_report, render_markdown, render_text
from ocr.migrate._run import check_plan
from ocr.migrate._state import (
    MigrationSummary,
    UnreadableMigration,
    list_migrations,
    refuse_unreadable,
    survey_migrations,
)

__all__ = [
    "Action",
    "ActionKind",
    "LeftInPlace",
    "MigrationPlan",
    "MigrationReport",
    "MigrationState",
    "MigrationSummary",
    "Mode",
    "PlannedRun",
    "TimestampSource",
    "UnreadableMigration",
    "apply_migration",
    "build_report",
    "check_plan",
    "list_migrations",
    "plan_migration",
    "refuse_unreadable",
    "render_markdown",
    "render_text",
    "rollback_migration",
    "survey_migrations",
]
