"""What the app's pages share: the scope, the model cache, each session's selection and maps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import streamlit as st

from ocr.ui.detector import ModelCache
from ocr.ui.prediction import ProbabilityCache
from ocr.ui.scope import AppScope

if TYPE_CHECKING:
    from ocr.catalog import CatalogEntry

__all__ = [
    "MAX_SELECTED",
    "model_cache",
    "probability_cache",
    "scope",
    "selected",
    "set_selected",
]

MAX_SELECTED: Final = 4
_SELECTION: Final = "ocr_selection"
_MAPS: Final = "ocr_probability_maps"


def scope() -> AppScope:
    """The folders ``ocr ui`` was started on (read each run: it is one variable)."""
    return AppScope.from_environ()


@st.cache_resource(show_spinner=False)
def model_cache() -> ModelCache:
    """The models every session shares, built once per checkpoint version."""
    return ModelCache()


def probability_cache() -> ProbabilityCache:
    """This session's probability maps (uploads never leave the session)."""
    if _MAPS not in st.session_state:
        st.session_state[_MAPS] = ProbabilityCache()
    cache: ProbabilityCache = st.session_state[_MAPS]
    return cache


def selected() -> list[CatalogEntry]:
    """The checkpoints ticked in the picker (1 to :data:`MAX_SELECTED`), in table order."""
    entries: list[CatalogEntry] = st.session_state.get(_SELECTION, [])
    return entries


def set_selected(entries: list[CatalogEntry]) -> None:
    """Remember the picker's ticked checkpoints for the other pages."""
    st.session_state[_SELECTION] = entries[:MAX_SELECTED]
