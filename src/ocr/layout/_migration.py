"""Every file of one migration's folder, ``<root>/.ocr/migrations/<id>/``.

The migrator writes them (plan first, then the journal, kept originals and,
once applied, the mapping and the reports); compat and validate read the
mapping. :meth:`ocr.layout.RootLayout.migration` gives the layout of one
migration, :meth:`ocr.layout.RootLayout.migrations` every one present.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["MIGRATION_ID_PATTERN", "MigrationLayout"]

MIGRATION_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
"""A migration's ID: a plain folder name (letters, digits, ``.``, ``_``, ``-``)."""

_PARTIAL_BESIDE_PREFIX: Final = ".ocr-partial-"


@dataclass(frozen=True)
class MigrationLayout:
    """Every path of one migration.

    Args:
        folder: The migration's folder, ``<root>/.ocr/migrations/<id>``.

    >>> from pathlib import Path
    >>> from ocr.layout import RootLayout
    >>> migration = RootLayout(Path("/data/outputs")).migration("m1")
    >>> migration.plan_file.as_posix(), migration.mapping_file.as_posix()
    ('/data/outputs/.ocr/migrations/m1/plan.json', '/data/outputs/.ocr/migrations/m1/mapping.json')
    """

    folder: Path

    @property
    def migration_id(self) -> str:
        """The migration's ID: its folder's name."""
        return self.folder.name

    @property
    def plan_file(self) -> Path:
        """The plan, written before the first step."""
        return self.folder / "plan.json"

    @property
    def journal_file(self) -> Path:
        """The write-ahead journal of the steps done and undone."""
        return self.folder / "journal.jsonl"

    @property
    def originals_dir(self) -> Path:
        """The original bytes of every file the migration rewrote or replaced."""
        return self.folder / "originals"

    def original_file(self, number: int) -> Path:
        """Where the ``number``-th kept original goes.

        Args:
            number: 1 for the first file kept, then 2, 3, ...

        Returns:
            ``<folder>/originals/<number>``.
        """
        return self.originals_dir / str(number)

    @property
    def partial_dir(self) -> Path:
        """Where things are made before they are whole (on the root's filesystem)."""
        return self.folder / "partial"

    def partial_dir_beside(self, top: Path) -> Path:
        """The scratch folder of this migration at the top of a tree on another filesystem.

        Args:
            top: A folder the migration writes in (a legacy sweep folder, say).

        Returns:
            ``<top>/.ocr-partial-<id>``.
        """
        return top / f"{_PARTIAL_BESIDE_PREFIX}{self.migration_id}"

    @property
    def mapping_file(self) -> Path:
        """The old-to-new mapping compat translates paths with."""
        return self.folder / "mapping.json"

    @property
    def report_json_file(self) -> Path:
        """The report, as JSON."""
        return self.folder / "report.json"

    @property
    def report_markdown_file(self) -> Path:
        """The report, as Markdown."""
        return self.folder / "report.md"
