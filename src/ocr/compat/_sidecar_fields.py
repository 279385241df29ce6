"""Reading the fields of a legacy sidecar: typed, lenient, and reporting every problem.

Legacy sidecars are not guaranteed correct, so a reader must neither stop at
the first bad field nor trust a field's type. :class:`SidecarFields` reads
dotted fields with the type each should have and collects what is wrong.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

__all__ = ["SidecarFields"]

_MODES: Final = frozenset({"min", "max"})
_ADDITIONAL_METRICS: Final = "additional_metrics"


class SidecarFields:
    """Typed reads of dotted fields (``training.epoch``), collecting every problem.

    A missing or ``null`` field reads as ``None``; a field of the wrong type
    reads as ``None`` too and adds a problem, so one pass reports them all.

    Args:
        raw: The file's top-level mapping.
    """

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.problems: list[str] = []

    def node(self, dotted: str) -> object:
        """The value at ``dotted``; ``None`` when missing or ``null``."""
        value: object = self.raw
        walked: list[str] = []
        for part in dotted.split("."):
            if value is None:
                return None
            if not isinstance(value, dict):
                self._wrong(".".join(walked), "a mapping", value)
                return None
            walked.append(part)
            value = value.get(part)
        return value

    def count(self, dotted: str) -> int | None:
        """An integer >= 0."""
        value = self.node(dotted)
        if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            return value
        self._wrong(dotted, "an integer >= 0", value)
        return None

    def text(self, dotted: str) -> str | None:
        """A string; an empty one reads as ``None``."""
        value = self.node(dotted)
        if value is None or isinstance(value, str):
            return value or None
        self._wrong(dotted, "a string", value)
        return None

    def mode(self, dotted: str) -> str | None:
        """``min`` or ``max``."""
        value = self.text(dotted)
        if value is None or value in _MODES:
            return value
        self._wrong(dotted, "'min' or 'max'", value)
        return None

    def time(self, dotted: str) -> datetime | None:
        """A datetime, or an ISO 8601 string of one."""
        value = self.node(dotted)
        if value is None or isinstance(value, datetime):
            return value
        parsed = _parse_iso(value) if isinstance(value, str) else None
        if parsed is None:
            self._wrong(dotted, "an ISO 8601 date and time", value)
        return parsed

    def metrics(self, dotted: str) -> dict[str, float]:
        """Numeric values of a mapping, its ``additional_metrics`` merged in; ``null`` skipped."""
        node = self.node(dotted)
        if node is None:
            return {}
        if not isinstance(node, dict):
            self._wrong(dotted, "a mapping", node)
            return {}
        metrics: dict[str, float] = {}
        extra = node.get(_ADDITIONAL_METRICS)
        if isinstance(extra, dict):
            self._numbers(f"{dotted}.{_ADDITIONAL_METRICS}", extra, metrics)
        elif extra is not None:
            self._wrong(f"{dotted}.{_ADDITIONAL_METRICS}", "a mapping", extra)
        # The named metrics come last, so they win over an additional one of the same name.
        named = {name: value for name, value in node.items() if name != _ADDITIONAL_METRICS}
        self._numbers(dotted, named, metrics)
        return metrics

    def _numbers(self, dotted: str, node: dict[Any, Any], into: dict[str, float]) -> None:
        for name, value in node.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                into[str(name)] = float(value)
            elif value is not None:
                self._wrong(f"{dotted}.{name}", "a number", value)

    def _wrong(self, dotted: str, expected: str, value: object) -> None:
        problem = f"field {dotted!r} must be {expected}, got {value!r}"
        # A wrong parent node is met once per field below it; say it once.
        if problem not in self.problems:
            self.problems.append(problem)


def _parse_iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
