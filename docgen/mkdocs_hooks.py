"""MkDocs hooks: the site's Contributing page is the repository's CONTRIBUTING.md.

CONTRIBUTING.md lives at the repository top (where contributors look for it)
and links to ``docs/<page>.md``; the site shows the same text at
``contributing.md``, with those links made relative to ``docs/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

__all__ = ["on_page_markdown"]

_REPO: Final = Path(__file__).resolve().parents[1]
_INCLUDED: Final = {"contributing.md": "CONTRIBUTING.md"}
_DOCS_LINK: Final = re.compile(r"\]\(docs/")
_README_LINK: Final = re.compile(r"\]\(README\.md(#[^)]*)?\)")


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """Replace an including page's text by the repository file it stands for.

    Args:
        markdown: The page's Markdown.
        page: The MkDocs page.

    Returns:
        The Markdown to render.
    """
    source = _INCLUDED.get(page.file.src_uri)
    if source is None:
        return markdown
    text = (_REPO / source).read_text(encoding="utf-8")
    text = _DOCS_LINK.sub("](", text)
    return _README_LINK.sub(lambda m: f"](index.md{m.group(1) or ''})", text)
