"""Which layout a tree (and each checkpoint in it) has: ocr's own, or a legacy era."""

from __future__ import annotations

import enum

__all__ = ["LayoutKind"]


class LayoutKind(enum.StrEnum):
    """Which folder layout a checkpoint or run was found in.

    ``new`` is the timestamp layout of this package; the others are the legacy
    eras of docs/legacy-formats.md, whose letters are aliases of the same
    members (``LayoutKind.A is LayoutKind.NAME_BASED``). The values are the
    strings the catalog's JSON, the index and migration plans hold.

    >>> LayoutKind.C is LayoutKind.TAGGED, LayoutKind("sweep") is LayoutKind.D
    (True, True)
    """

    NEW = "new"
    NAME_BASED = "name_based"
    MODEL_SUBFOLDER = "model_subfolder"
    TAGGED = "tagged"
    SWEEP = "sweep"
    A = "name_based"  # flat experiment folders, names carry the model
    B = "model_subfolder"  # checkpoints/<arch>_<encoder>/
    C = "tagged"  # <tag>-<arch>_<phase>_<YYYYmmdd_HHMMSS>/, config elsewhere
    D = "sweep"  # multirun/<date>/<time>/<n>/
    E = "new"  # the timestamp layout
