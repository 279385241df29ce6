"""Page script: Try and compare (run checkpoints on receipts)."""

from __future__ import annotations

from ocr.ui._try_page import render

__all__: list[str] = []

if __name__ == "__main__":
    render()
