"""Tools that build and check the documentation (not part of the ``ocr`` package).

``python -m docgen write`` regenerates the generated pages (the command-line
reference and the file-format tables); ``python -m docgen check`` says which are
stale; ``python -m docgen run-pages`` runs the shell blocks of the tested pages.
``nox -s docs`` does all of it; see CONTRIBUTING.md.
"""

from __future__ import annotations

__all__: list[str] = []
