"""The ``ocr ui`` app: Streamlit's entry script (``streamlit run`` and ``AppTest`` run this file).

Pages: **Checkpoints** (pick, inspect, compare by metadata), **Try and
compare** (run 1 to 4 checkpoints on receipts) and **Ablation** (``ocr
ablation``'s tables and plot). ``ocr ui`` passes the output
roots in the ``OCR_UI_SCOPE`` variable (:mod:`ocr.ui.scope`); started any other
way, the app shows ``./outputs``. Expected errors (:class:`~ocr.errors.OcrError`)
are shown in the page with ``st.error``; ``OCR_FULL_ERROR=1`` raises them.
"""

from __future__ import annotations

import os

import streamlit as st

from ocr._markdown import prose
from ocr.errors import OcrError
from ocr.ui._navigation import pages

__all__ = ["main"]


def main() -> None:
    """Run the app once (Streamlit runs the script again on every interaction)."""
    st.set_page_config(
        page_title="ocr checkpoints", page_icon=":material/receipt_long:", layout="wide"
    )
    page = st.navigation(list(pages()))
    try:
        page.run()
    except OcrError as err:
        if os.environ.get("OCR_FULL_ERROR") == "1":
            raise
        st.error(prose(str(err)))


if __name__ == "__main__":
    main()
