"""Choosing the receipts to try: synthetic validation pages, or uploads kept in memory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import streamlit as st

from ocr._markdown import prose
from ocr.errors import ImageReadError
from ocr.ui.receipt import Receipt, read_upload, validation_receipt, validation_set

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["choose_receipts"]

_SOURCES: Final = ("Validation pages", "Upload")
_DECODED: Final = "ocr_decoded_uploads"


def choose_receipts(config: Mapping[str, Any] | None) -> list[Receipt]:
    """Draw the receipt choosers and return the receipts chosen.

    Args:
        config: The run config whose validation pages to offer (the first
            buildable checkpoint's), or ``None`` for the reference trainer's.

    Returns:
        The receipts, in the order chosen; an upload that cannot be read is
        reported in the page and left out.
    """
    source = st.segmented_control(
        "Receipts", _SOURCES, default=_SOURCES[0], key="t_source", persist_state="session"
    )
    if source == _SOURCES[1]:
        return _uploads()
    dataset, description = validation_set(config)
    st.caption(f"From {description}; their true boxes are drawn in green and scored.")
    indices = st.multiselect(
        "Pages",
        list(range(len(dataset))),
        default=[0],
        format_func=lambda index: f"val-{index:05d}",
        key="t_pages",
        max_selections=8,
    )
    return [validation_receipt(dataset, index) for index in indices]


def _uploads() -> list[Receipt]:
    files = st.file_uploader(
        "Receipt images (PNG or JPEG); they stay in this session's memory",
        type=["png", "jpg", "jpeg"],
        accept_multiple_files=True,
        key="t_uploads",
    )
    decoded: dict[str, Receipt | str] = st.session_state.setdefault(_DECODED, {})
    current = {upload.file_id for upload in files or []}
    for stale in set(decoded) - current:  # forget what was removed from the uploader
        del decoded[stale]
    receipts: list[Receipt] = []
    for upload in files or []:
        if upload.file_id not in decoded:
            try:
                decoded[upload.file_id] = read_upload(upload.name, upload.getvalue())
            except ImageReadError as err:
                decoded[upload.file_id] = str(err)
        found = decoded[upload.file_id]
        if isinstance(found, str):
            st.error(prose(found))
        else:
            receipts.append(found)
    return receipts
