"""The app's pages, made once per process so that links can name them.

Each page is a script in :mod:`ocr.ui.views` that calls its page's ``render()``;
a new page is one more script there, one more ``st.Page`` in :func:`pages` and
one more field of :class:`Pages`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple

import streamlit as st

if TYPE_CHECKING:
    from streamlit.navigation.page import StreamlitPage

__all__ = ["VIEWS", "Pages", "pages"]

VIEWS: Final = Path(__file__).parent / "views"


class Pages(NamedTuple):
    """The app's pages, in menu order."""

    checkpoints: StreamlitPage
    try_it: StreamlitPage
    ablation: StreamlitPage


@functools.cache
def pages() -> Pages:
    """The pages (the same objects on every call, as ``st.page_link`` needs)."""
    return Pages(
        checkpoints=st.Page(
            VIEWS / "checkpoints.py",
            title="Checkpoints",
            icon=":material/table_view:",
            url_path="checkpoints",
            default=True,
        ),
        try_it=st.Page(
            VIEWS / "try_it.py",
            title="Try and compare",
            icon=":material/document_scanner:",
            url_path="try",
        ),
        ablation=st.Page(
            VIEWS / "ablation.py",
            title="Ablation",
            icon=":material/monitoring:",
            url_path="ablation",
        ),
    )
