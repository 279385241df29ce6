"""The app's page scripts, one file per page (Streamlit runs each as a script).

Each script only calls its page's ``render()``; the pages are listed in
:mod:`ocr.ui._navigation`. An ``ablation.py`` page joins them there.
"""

from __future__ import annotations

__all__: list[str] = []
