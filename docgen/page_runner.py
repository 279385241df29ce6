"""Run the blocks of the tested pages, each page in a fresh folder, and check them.

Every runnable block of a page runs in order in one fresh temporary folder (so
a page can build a tree, then query it), with ``OCR_REPO`` set to the
repository, ``TZ=UTC`` and, unless set, ``OMP_NUM_THREADS=1``. A block fails when it exits with another code than it expects,
or when its output holds a traceback or, unless it expects to fail, an
``ocr: error:`` line. A block's output block must match its real output
loosely (:mod:`docgen.loose`); ``--update`` rewrites output blocks instead.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from docgen.blocks import Block, parse_blocks
from docgen.loose import as_shown, missing_lines

__all__ = ["BLOCK_TIMEOUT", "REPO", "TESTED_PAGES", "PageResult", "block_failure", "run_page"]

REPO: Final = Path(__file__).resolve().parents[1]
TESTED_PAGES: Final = (
    "README.md",
    "docs/workflow.md",
    "docs/walkthrough.md",
    "docs/migration-guide.md",
    "docs/scripts-and-ci.md",
)
"""The pages whose blocks ``nox -s docs`` runs, relative to the repository."""

BLOCK_TIMEOUT: Final = 600.0
"""Seconds a block may take by default (`run-pages --block-timeout` changes it)."""
_ALWAYS_WRONG: Final = re.compile(
    r"Traceback \(most recent call last\)|^(SyntaxError|IndentationError): |^Error executing job",
    re.M,
)
_ERROR_LINE: Final = re.compile(r"^(ocr|ocr-train): error:", re.M)
_CLEAN_ENV: Final = ("OCR_LEGACY", "OCR_FULL_ERROR", "HYDRA_FULL_ERROR", "OCR_MIGRATE_KILL_AT")


@dataclass
class PageResult:
    """What running one page found.

    Args:
        page: The page, relative to the repository.
        ran: Blocks run.
        skipped: Blocks marked not-run.
        seconds: Time taken.
        failures: One message per failed block.
        updated: Whether output blocks were rewritten.
    """

    page: str
    ran: int = 0
    skipped: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    updated: bool = False


def run_page(
    page: str, *, update: bool = False, repo: Path = REPO, timeout: float = BLOCK_TIMEOUT
) -> PageResult:
    """Run one page's blocks in a fresh folder; check (or rewrite) their output blocks.

    Args:
        page: The page, relative to ``repo``.
        update: Rewrite the output blocks with the real output instead of checking them.
        repo: The repository the page belongs to.
        timeout: Seconds a block may take.

    Returns:
        What happened. The folder is removed when every block passed.
    """
    path = repo / page
    text = path.read_text(encoding="utf-8")
    result = PageResult(page)
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="ocr-docs-")).resolve()  # as the commands print it
    env = _environment(repo)
    rewrites: dict[int, tuple[int, list[str]]] = {}
    for block in parse_blocks(text, page=page):
        if block.skip_reason is not None:
            result.skipped += 1
            continue
        result.ran += 1
        code, output = _execute(block, workdir, env, timeout)
        shown = as_shown(output, str(workdir))
        failure = block_failure(block, code, output, shown, check_output=not update)
        if failure is not None:
            result.failures.append(f"{page}:{block.line}: {failure}\n  (its folder: {workdir})")
            break
        if update and block.output is not None:
            rewrites[block.output.first] = (block.output.end, _indented(shown, block.output.indent))
    result.seconds = time.perf_counter() - started
    if not result.failures:
        shutil.rmtree(workdir, ignore_errors=True)
        if rewrites:
            result.updated = _rewrite(path, text, rewrites)
    return result


def block_failure(
    block: Block, code: int, output: str, shown: str, *, check_output: bool
) -> str | None:
    """Why a block that ran failed, or ``None`` when it passed.

    Args:
        block: The block.
        code: Its exit code.
        output: Its real output.
        shown: The same output as a page shows it.
        check_output: Compare it with the block's output block.

    Returns:
        The reason, with the end of the output, or ``None``.
    """
    tail = "\n".join("    " + line for line in shown.splitlines()[-30:])
    if code != block.expected_exit:
        return f"exit code {code}, expected {block.expected_exit}; the output ends:\n{tail}"
    if _ALWAYS_WRONG.search(output):
        return f"the output holds a traceback or a failed Hydra job:\n{tail}"
    if block.expected_exit == 0 and _ERROR_LINE.search(output):
        return f"the output holds an error line:\n{tail}"
    if check_output and block.output is not None:
        missing = missing_lines(block.output.text, shown)
        if missing:
            lines = "\n".join("    " + line for line in missing)
            return (
                f"the page shows output the command no longer prints:\n{lines}\n"
                f"  real output:\n{tail}\n"
                "  Refresh the page's output blocks with: nox -s docs -- --update"
            )
    return None


def _environment(repo: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _CLEAN_ENV}
    bin_dir = str(Path(sys.executable).parent)
    # One thread per training: the pages' trainings are tiny, and parallel sweep
    # jobs with two OpenMP threads each spin-wait for one another on two cores.
    env.setdefault("OMP_NUM_THREADS", "1")
    env.update(
        OCR_REPO=str(repo),
        PATH=os.pathsep.join([bin_dir, env.get("PATH", "")]),
        TZ="UTC",
        NO_COLOR="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def _execute(block: Block, workdir: Path, env: dict[str, str], timeout: float) -> tuple[int, str]:
    if block.language == "bash":
        command = ["bash", "-e", "-o", "pipefail", "-c", block.code]
    else:
        command = [sys.executable, "-c", block.code]
    # A session of its own, so that a block that times out is stopped with every
    # process it started (a sweep's launcher workers too).
    with subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    ) as process:
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            text = output.decode(errors="replace")
            return -1, f"{text}\n(stopped after {timeout:g} s)"
    return process.returncode, output.decode(errors="replace")


def _indented(shown: str, indent: str) -> list[str]:
    return [indent + line if line else line for line in shown.splitlines()]


def _rewrite(path: Path, text: str, rewrites: dict[int, tuple[int, list[str]]]) -> bool:
    """Replace output blocks' content (first line index -> (closing fence index, lines))."""
    lines = text.splitlines()
    for first in sorted(rewrites, reverse=True):
        end, new = rewrites[first]
        lines[first:end] = new
    updated = "\n".join(lines) + ("\n" if text.endswith("\n") else "")
    if updated == text:
        return False
    path.write_text(updated, encoding="utf-8")
    return True
