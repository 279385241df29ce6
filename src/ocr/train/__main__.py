"""``python -m ocr.train``: run the reference trainer."""

from __future__ import annotations

from ocr.train.entry import main

__all__: list[str] = []

if __name__ == "__main__":
    main()
