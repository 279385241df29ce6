"""The foreign project is a fixture to launch, not tests to collect (nor modules to doctest)."""

from __future__ import annotations

collect_ignore = ["foreign_project"]
