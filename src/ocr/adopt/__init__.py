"""Adoption: an existing Lightning + Hydra trainer gets ocr's layout with one defaults line.

``- ocr`` in the primary config's defaults list brings ``hydra/ocr_layout``
(the timestamp layout and :class:`LaunchCallback`), ocr's settings (``ocr.*``)
and its two Lightning callbacks. :class:`LaunchCallback` makes that hold
whatever order the defaults list has: at start-up it adopts the composed
config (:func:`adopt_config`), and it records every job. See docs/adopt.md.
"""

from __future__ import annotations

from ocr.adopt._adoption import adopt_config
from ocr.adopt._launch import LaunchCallback

__all__ = ["LaunchCallback", "adopt_config"]
