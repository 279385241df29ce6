"""Lazy re-exports: a package's public names, each imported on first use.

A command-line tool pays for its imports on every call (``ocr --help``
included), so a package whose ``__init__`` re-exports heavy modules (Pydantic
models, OmegaConf) imports them only when one of their names is first read.
The package keeps its ``__all__`` and its ``TYPE_CHECKING`` imports for the
type checker and the documentation; :func:`lazy_exports` gives it the module
``__getattr__`` and ``__dir__`` (PEP 562) that import the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, homes: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose names load on first use.

    Args:
        package: The package's ``__name__``.
        homes: Each module -> the names it defines that the package exports
            lazily (written like the ``from module import ...`` lines they
            replace).

    Returns:
        ``(__getattr__, __dir__)`` to assign at the package's top level; the
        first read of a name imports its home and caches the value in the
        package, so later reads cost nothing.

    >>> getattr_, dir_ = lazy_exports("ocr", {"ocr.errors": ["OcrError"]})
    >>> getattr_("OcrError").__name__
    'OcrError'
    """
    names = {name: module for module, exported in homes.items() for name in exported}

    def __getattr__(name: str) -> Any:  # noqa: N807 (the module hook's name, PEP 562)
        home = names.get(name)
        if home is None:
            msg = f"module {package!r} has no attribute {name!r}"
            raise AttributeError(msg)
        value = getattr(importlib.import_module(home), name)
        vars(importlib.import_module(package))[name] = value
        return value

    def __dir__() -> list[str]:  # noqa: N807 (the module hook's name, PEP 562)
        return sorted({*vars(importlib.import_module(package)), *names})

    return __getattr__, __dir__
