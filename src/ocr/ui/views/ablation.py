"""Page script: Ablation (which factor of a sweep mattered, against the seed noise)."""

from __future__ import annotations

from ocr.ui._ablation_page import render

__all__: list[str] = []

if __name__ == "__main__":
    render()
