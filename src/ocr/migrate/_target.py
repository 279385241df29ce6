"""Where one legacy experiment goes, and everything that travels with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import datetime
    from pathlib import Path

    from ocr.migrate._discover import LegacyUnit, WandbRun
    from ocr.migrate._inventory import Inventory
    from ocr.migrate._model import TimestampSource

__all__ = ["Target", "Transfer"]


@dataclass(frozen=True)
class Transfer:
    """One file or folder moving (or copied) from ``old`` to ``new``.

    Args:
        old: Where it is.
        new: Where it goes.
        inventory: The inventory it belongs to.
        inside: Its path inside that inventory (``""`` when it is the inventory's folder).
    """

    old: Path
    new: Path
    inventory: Inventory
    inside: str

    def files(self) -> Iterator[tuple[Path, Path, str]]:
        """Every regular file it carries: old path, new path, path in the inventory."""
        return self._carried(self.inventory.files)

    def links(self) -> Iterator[tuple[Path, Path, str]]:
        """Every link it carries: old path, new path, path in the inventory."""
        return self._carried(self.inventory.links)

    def _carried(self, paths: Iterable[str]) -> Iterator[tuple[Path, Path, str]]:
        for relative in paths:
            if not self.inside:
                yield self.old / relative, self.new / relative, relative
            elif relative == self.inside:
                yield self.old, self.new, relative
            elif relative.startswith(self.inside + "/"):
                rest = relative[len(self.inside) + 1 :]
                yield self.old / rest, self.new / rest, relative

    def brings(self, path: Path) -> bool:
        """Whether a file or link will be at ``path`` once this transfer is done."""
        new, asked = str(self.new), str(path)  # plain strings: called for every new file
        if asked == new:
            rest = ""
        elif asked.startswith(new + "/"):
            rest = asked[len(new) + 1 :]
        else:
            return False
        inside = "/".join(part for part in (self.inside, rest) if part)
        return self.inventory.holds(inside)


@dataclass
class Target:
    """One new run (or sweep) folder and what goes into it.

    Args:
        unit: The legacy experiment.
        folder: The new folder.
        launched: Its timestamp.
        evidence: Where the timestamp came from.
        merged: A config-only folder merged into it (era C).
        wandb: The W&B runs moving into it.
        transfers: Everything that moves into it.
        notes: What the report should say about it.
        experiment_ids: The registry IDs it gets.
    """

    unit: LegacyUnit
    folder: Path
    launched: datetime
    evidence: TimestampSource
    merged: LegacyUnit | None = None
    wandb: list[WandbRun] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    experiment_ids: list[str] = field(default_factory=list)

    def brings(self, path: Path) -> bool:
        """Whether a file or link will be at ``path`` once the moves are done."""
        return any(transfer.brings(path) for transfer in self.transfers)

    def new_place(self, old: Path) -> Path | None:
        """Where a legacy path will be once the moves are done, if it moves with this target."""
        for transfer in self.transfers:
            if old == transfer.old or old.is_relative_to(transfer.old):
                return transfer.new / old.relative_to(transfer.old)
        return None

    @property
    def inventories(self) -> list[Inventory]:
        """The inventories of everything that moves in."""
        unique = {id(t.inventory): t.inventory for t in self.transfers}
        return list(unique.values())
