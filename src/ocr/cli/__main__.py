"""``python -m ocr.cli``: the ``ocr`` command."""

from __future__ import annotations

from ocr.cli import run

__all__: list[str] = []

if __name__ == "__main__":
    run()
