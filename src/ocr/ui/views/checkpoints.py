"""Page script: Checkpoints (pick, inspect, compare by metadata)."""

from __future__ import annotations

from ocr.ui._picker_page import render

__all__: list[str] = []

if __name__ == "__main__":
    render()
