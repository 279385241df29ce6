"""The plan's steps as they are collected, phase by phase."""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from ocr.migrate._model import (
    Action,
    ActionKind,
    CopyAction,
    MkdirAction,
    MoveAction,
    RelinkAction,
    RewriteAction,
    RmdirAction,
    WriteAction,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from ocr.layout import MigrationLayout

__all__ = ["PHASES", "Steps"]

_STEPS: Final[Mapping[ActionKind, type[Action]]] = {
    ActionKind.MKDIR: MkdirAction,
    ActionKind.RMDIR: RmdirAction,
    ActionKind.MOVE: MoveAction,
    ActionKind.COPY: CopyAction,
    ActionKind.WRITE: WriteAction,
    ActionKind.REWRITE: RewriteAction,
    ActionKind.RELINK: RelinkAction,
}
PHASES: Final = ("folders", "moves", "configs", "rewrites", "writes", "cleanup")
"""In this order each step finds what it needs: folders before moves before
copies of moved configs, rewrites of moved files, new files beside them, and
only then the removal of emptied legacy folders."""


@dataclass
class Steps:
    """Collects actions by phase, with paths relative to ``base``.

    Args:
        base: The output root's parent.
        migration: The migration's own folder (for kept originals).
    """

    base: Path
    migration: MigrationLayout
    phases: dict[str, list[Action]] = field(default_factory=lambda: defaultdict(list))
    _kept: int = 0

    def rel(self, path: Path) -> str:
        """A path relative to ``base``, POSIX."""
        # String slicing: called for every step of trees with thousands of files.
        text, base = str(path), str(self.base)
        if not text.startswith(base + os.sep):
            return path.relative_to(self.base).as_posix()  # raises ValueError
        return text[len(base) + 1 :].replace(os.sep, "/")

    def add(
        self,
        phase: str,
        kind: ActionKind,
        path: Path,
        purpose: str,
        *,
        source: Path | None = None,
        text: str | None = None,
        keep_original: bool = False,
        replacements: list[tuple[str, str]] | None = None,
        link_targets: tuple[str, str] | None = None,
    ) -> None:
        """Add one step.

        Args:
            phase: One of :data:`PHASES`.
            kind: What it does.
            path: What it creates or changes.
            purpose: What it is for, in words.
            source: Where a move or copy comes from.
            text: A written file's content.
            keep_original: Keep the file's original bytes for rollback (a
                rewrite, or a write over an existing file).
            replacements: A rewrite's old path -> new path.
            link_targets: A relinked link's old and new target.
        """
        fields: dict[str, Any] = {"path": self.rel(path), "purpose": purpose, "text": text}
        if keep_original:
            self._kept += 1
            fields["backup"] = self.rel(self.migration.original_file(self._kept))
        if source is not None:
            fields["source"] = self.rel(source)
        if replacements is not None:
            fields["replacements"] = replacements
        if link_targets is not None:
            fields["old_target"], fields["new_target"] = link_targets
        step = _STEPS[kind]
        # Built from paths this module made relative itself; model_construct
        # skips re-validating them (plan.json is validated when read back).
        wanted = {name: value for name, value in fields.items() if name in step.model_fields}
        self.phases[phase].append(step.model_construct(**wanted))

    def ordered(self) -> list[Action]:
        """Every step, phase by phase."""
        return [action for phase in PHASES for action in self.phases.get(phase, [])]
