"""The Streamlit UI (``ocr ui``): pick a checkpoint, see what it is, try it on a receipt.

The app script is :mod:`ocr.ui.app`; its pages are private modules, and the
logic they call lives in plain, tested modules: :mod:`~ocr.ui.scope` (what the
app may read), :mod:`~ocr.ui.filters` and :mod:`~ocr.ui.table` (the picker),
:mod:`~ocr.ui.details` (inspecting), :mod:`~ocr.ui.compatibility` (can it be
built here), :mod:`~ocr.ui.detector` (building and caching models),
:mod:`~ocr.ui.receipt`, :mod:`~ocr.ui.prediction`, :mod:`~ocr.ui.thresholds`
and :mod:`~ocr.ui.overlay` (trying them), :mod:`~ocr.ui.server` (``ocr ui``).
Nothing is imported here: Streamlit and torch are optional (``pip install ocr[ui]``).
"""

from __future__ import annotations

__all__: list[str] = []
