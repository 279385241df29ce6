"""Writing and removing checkpoint sidecars off the training thread."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ocr.errors import OcrError

if TYPE_CHECKING:
    from pathlib import Path

    from ocr.metadata import CheckpointMetadata

__all__ = ["SidecarWriter"]

_log = logging.getLogger(__name__)


class SidecarWriter:
    """Writes and removes sidecars in order on one background thread.

    One worker keeps operations on a file in the order they were asked for
    (a rotation's removal never overtakes the write it follows).
    """

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []

    def write(self, checkpoint: Path, metadata: CheckpointMetadata, failures: list[str]) -> None:
        self._submit(_write_sidecar, checkpoint, metadata, failures)

    def remove(self, sidecar: Path, failures: list[str]) -> None:
        self._submit(_remove_sidecar, sidecar, failures)

    def drain(self) -> None:
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def close(self) -> None:
        self.drain()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def _submit(self, task: Any, *args: Any) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ocr-sidecar")
        self._pending = [f for f in self._pending if not f.done()]
        self._pending.append(self._executor.submit(task, *args))


def _write_sidecar(checkpoint: Path, metadata: CheckpointMetadata, failures: list[str]) -> None:
    from ocr.metadata import write_metadata  # noqa: PLC0415 (loaded with the callback's model)

    try:
        written = write_metadata(checkpoint, metadata)
    except (OSError, OcrError) as exc:
        # Losing a sidecar must not cost the checkpoint or the training run;
        # it is shouted about and recorded instead.
        message = f"could not write the sidecar of {str(checkpoint)!r}: {exc}"
        _log.error(message)
        failures.append(message)
        return
    _log.debug("wrote sidecar %s at step %d", written.name, metadata.training.global_step)


def _remove_sidecar(sidecar: Path, failures: list[str]) -> None:
    try:
        sidecar.unlink(missing_ok=True)
    except OSError as exc:
        message = f"could not remove the sidecar {str(sidecar)!r}: {exc}"
        _log.error(message)
        failures.append(message)
