"""``ocr validate --pipeline``: run the project's own training command once, check it from outside.

The command runs in a temporary output root (``++ocr.output_root=...``) for one
tiny epoch (``++trainer.max_epochs=1`` and two batches of each kind), then each
check looks only at files: the launch landed in the layout, its record says
``completed``, every checkpoint has a valid sidecar, ``ocr validate`` holds on
the root, no empty launch folder was left, and nothing new appeared in the
watched folders (the working directory by default: the project's old output
folders, ``lightning_logs/``, ...). This is what a team runs after adopting,
and in CI.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from pydantic import BaseModel, ConfigDict, computed_field

from ocr._markdown import escaped
from ocr.errors import InputPathError
from ocr.validate._pipeline_checks import PipelineCheck, PipelineResult, check_launch, snapshot

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["SHORT_RUN", "PipelineCheck", "PipelineReport", "PipelineResult", "validate_pipeline"]

SHORT_RUN: Final = (
    "++trainer.max_epochs=1",
    "++trainer.limit_train_batches=2",
    "++trainer.limit_val_batches=2",
    "++trainer.limit_test_batches=2",
    "++trainer.num_sanity_val_steps=0",
)
"""The overrides that make the launch one tiny epoch (``--as-is`` leaves them out)."""
_ROOT_NAME: Final = "outputs"
_QUOTE_OR_END: Final = re.compile(r'(\\*)("|$)')


class PipelineReport(BaseModel):
    """Every check of one pipeline validation; its JSON is ``--format json``'s contract."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: Literal[1] = 1
    command: list[str]
    output_root: str
    results: list[PipelineResult]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """Whether every check holds."""
        return all(result.ok for result in self.results)

    def render_text(self) -> str:
        """The command as launched, one line per check, then the verdict.

        Returns:
            The text, ending with a newline.
        """
        width = max(len(check.value) for check in PipelineCheck)
        failed = sum(not result.ok for result in self.results)
        lines = [
            f"launched: {shlex.join(self.command)}",
            *(
                escaped(f"{'ok' if r.ok else 'FAIL':<4}  {r.check.value:<{width}}  {r.message}")
                for r in self.results
            ),
            f"result: {'ok, every check holds' if not failed else f'{failed} check(s) failed'}",
        ]
        return "\n".join(lines) + "\n"


def validate_pipeline(
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    watch: Sequence[Path] = (),
    as_is: bool = False,
    timeout: float | None = None,
    keep: bool = False,
) -> PipelineReport:
    """Launch a training command once in a temporary output root and check the result.

    Args:
        command: The project's training command (``python train.py``, any overrides).
        cwd: Where to run it; defaults to the current folder.
        watch: Folders where the launch must leave nothing new, besides ``cwd``.
        as_is: Run the command as given, without the short-run overrides.
        timeout: Seconds the launch may take.
        keep: Keep the temporary output root (the report names it).

    Returns:
        The report; ``report.ok`` when every check holds.

    Raises:
        InputPathError: No command was given, or it cannot be started.
    """
    if not command:
        raise InputPathError(
            "no training command given",
            fix="Pass it after --, e.g. ocr validate --pipeline -- python train.py",
        )
    workdir = (cwd or Path.cwd()).resolve()
    watched = [workdir, *(folder.resolve() for folder in watch)]
    temporary = Path(tempfile.mkdtemp(prefix="ocr-pipeline-"))
    root = temporary / _ROOT_NAME
    launched = [*command, _override("ocr.output_root", str(root)), *([] if as_is else SHORT_RUN)]
    try:
        before = snapshot(watched)
        done = _run(launched, workdir, timeout)
        results = check_launch(done, root=root, watched=watched, before=before)
    finally:
        if not keep:
            shutil.rmtree(temporary, ignore_errors=True)
    return PipelineReport(command=launched, output_root=str(root), results=results)


def _run(
    command: list[str], workdir: Path, timeout: float | None
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command, cwd=workdir, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        return subprocess.CompletedProcess(
            command, -1, "", f"did not finish within {exc.timeout:g} s"
        )
    except OSError as exc:
        raise InputPathError(
            f"cannot start the training command {command[0]!r}: {exc.strerror}",
            fix="Pass a command that runs from this folder, e.g. python train.py",
            path=Path(command[0]),
        ) from exc


def _override(key: str, value: str) -> str:
    r"""A Hydra override that sets (or adds) ``key``; the value quoted, so any path parses.

    In Hydra's quoted values a backslash escapes only a quote (or another
    backslash before one, or at the end); every other backslash is literal.

    >>> print(_override("ocr.output_root", '/tmp/a "b"'))
    ++ocr.output_root="/tmp/a \"b\""
    """
    escaped = _QUOTE_OR_END.sub(lambda m: m[1] * 2 + ("\\" + m[2] if m[2] else ""), value)
    return f'++{key}="{escaped}"'
