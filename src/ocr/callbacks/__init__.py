"""Lightning callbacks: checkpoints with sidecars, and the experiment record.

An existing trainer adds both to its ``Trainer(callbacks=[...])``; inside a
Hydra job they find the run folder by themselves.
"""

from __future__ import annotations

from ocr.callbacks._checkpoint import UniqueModelCheckpoint
from ocr.callbacks._recorder import ExperimentRecorder

__all__ = ["ExperimentRecorder", "UniqueModelCheckpoint"]
