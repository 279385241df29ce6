"""The page runner: blocks and markers, loose output checks, and running a page for real."""

from __future__ import annotations

import tempfile
import time
from typing import TYPE_CHECKING

import pytest

from docgen.blocks import Block, BlockSyntaxError, OutputBlock, parse_blocks
from docgen.loose import DISPLAY_DIR, as_shown, loosen, missing_lines
from docgen.page_runner import block_failure, run_page

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(autouse=True)
def _pages_run_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A page that fails keeps its folder for inspection; keep those out of /tmp.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


PAGE = """\
# A page

```bash
echo one > one.txt
```

<!-- not-run: needs a GPU cluster -->
```bash
nvidia-smi
```

<!-- exit: 3 -->
```bash
exit 3
```

- a list item with a block:

    ```python
    print(open("one.txt").read().strip())
    ```

    <!-- output -->
    ```text
    one
    ```

```yaml
not: run
```
"""


def test_blocks_carry_their_markers_and_output_when_parsed() -> None:
    blocks = parse_blocks(PAGE, page="page.md")
    assert [(b.language, b.line, b.skip_reason, b.expected_exit) for b in blocks] == [
        ("bash", 3, None, 0),
        ("bash", 8, "needs a GPU cluster", 0),
        ("bash", 13, None, 3),
        ("python", 19, None, 0),
    ]
    assert blocks[3].code == 'print(open("one.txt").read().strip())\n'
    assert blocks[3].output == OutputBlock(first=24, end=25, indent="    ", text="one\n")


@pytest.mark.parametrize(
    ("page", "message"),
    [
        pytest.param(
            "<!-- not-run: -->\n```bash\nls\n```\n",
            "page.md:2: unknown marker <!-- not-run: -->; use <!-- not-run: REASON -->, "
            "<!-- exit: N --> or, above a text block, <!-- output -->",
            id="not-run-without-a-reason",
        ),
        pytest.param(
            "<!-- skip -->\n```bash\nls\n```\n",
            "page.md:2: unknown marker <!-- skip -->; use <!-- not-run: REASON -->, "
            "<!-- exit: N --> or, above a text block, <!-- output -->",
            id="unknown-marker",
        ),
        pytest.param(
            "```sh\nls\n```\n",
            "page.md:1: a 'sh' block in a tested page; use bash (run) or text (shown)",
            id="sh-block",
        ),
        pytest.param(
            "<!-- output -->\n```text\nx\n```\n",
            "page.md:2: <!-- output --> must follow a block that runs (and has no output yet)",
            id="output-first",
        ),
        pytest.param(
            "```bash\nls\n```\n<!-- output -->\n```yaml\nx\n```\n",
            "page.md:5: <!-- output --> must stand above a ```text block",
            id="output-not-text",
        ),
        pytest.param(
            "<!-- exit: 1 -->\n```text\nx\n```\n",
            "page.md:2: marker <!-- exit: 1 --> above a text block",
            id="marker-on-a-shown-block",
        ),
        pytest.param("```bash\nls\n", "page.md:1: the code block is never closed", id="unclosed"),
    ],
)
def test_a_malformed_page_is_refused_with_its_line_when_parsed(page: str, message: str) -> None:
    with pytest.raises(BlockSyntaxError) as raised:
        parse_blocks(page, page="page.md")
    assert str(raised.value) == message


def test_output_is_shown_as_a_terminal_shows_it_when_it_has_progress_and_colours() -> None:
    real = "\x1b[1mtitle\x1b[0m\nstep 1\rstep 2\n/scratch/ocr-docs-x1/outputs/a  \n\n"
    assert as_shown(real, "/scratch/ocr-docs-x1") == f"title\nstep 2\n{DISPLAY_DIR}/outputs/a\n"


@pytest.mark.parametrize(
    ("line", "loose"),
    [
        pytest.param(
            "2026-12-07 02:42  dbnet  0.9797  1m9764msqt8gr536",
            "<when> dbnet <n> <id>",
            id="table-row",
        ),
        pytest.param(
            "outputs/2025-10-18/14-03-22_1/checkpoints/epoch=03-step=000120.ckpt",
            "outputs/<date>/<time>/checkpoints/epoch=<n>-step=<n>.ckpt",
            id="checkpoint-path",
        ),
        pytest.param(
            "Migration 20261207T030558-90e27e migrated: 8 runs, 1.74 s",
            "Migration <when> migrated: <n> runs, <n> s",
            id="migration",
        ),
        pytest.param(
            '"created_at": "2026-12-07T02:43:16.407202Z",',
            '"created_at": "<when>",',
            id="iso-time",
        ),
    ],
)
def test_what_varies_between_runs_is_loosened_when_compared(line: str, loose: str) -> None:
    assert loosen(line) == loose


def test_missing_lines_are_those_shown_but_not_printed_when_checked() -> None:
    shown = "a 1\n\nb 2\nb 2\nc 3\n"
    assert missing_lines(shown, "warning\na 7\nb   8\nb 9\nc 9\n") == []
    assert missing_lines(shown, "c 3\nb 2\na 1\nb 4\n") == []  # jobs side by side: any order
    assert missing_lines(shown, "a 1\nb 2\nc 3\n") == ["b 2"]
    assert missing_lines(shown, "a 1\nc 3\nd 2\n") == ["b 2", "b 2"]


def _block(expected_exit: int = 0, shown: str | None = None) -> Block:
    output = None if shown is None else OutputBlock(1, 2, "", shown)
    return Block("bash", 7, "true\n", expected_exit=expected_exit, output=output)


@pytest.mark.parametrize(
    ("block", "code", "output", "reason"),
    [
        pytest.param(_block(), 1, "boom\n", "exit code 1, expected 0; the output ends:", id="exit"),
        pytest.param(
            _block(2),
            2,
            'Traceback (most recent call last):\n  File "x"\n',
            "the output holds a traceback or a failed Hydra job:",
            id="traceback",
        ),
        pytest.param(
            _block(),
            0,
            '  File "<string>", line 1\nSyntaxError: invalid syntax\n',
            "the output holds a traceback or a failed Hydra job:",
            id="syntax-error",
        ),
        pytest.param(
            _block(),
            0,
            "ocr: error: output root 'x' is not a folder\n",
            "the output holds an error line:",
            id="error-line",
        ),
        pytest.param(
            _block(shown="result: ok\n"),
            0,
            "result: 2 problems\n",
            "the page shows output the command no longer prints:",
            id="stale-output",
        ),
    ],
)
def test_a_block_fails_with_its_reason_when_its_run_went_wrong(
    block: Block, code: int, output: str, reason: str
) -> None:
    failure = block_failure(block, code, output, output, check_output=True)
    assert failure is not None and failure.startswith(reason)


def test_a_block_passes_when_it_ends_as_expected() -> None:
    error = "ocr: error: bad input. Fix it\n"
    assert block_failure(_block(2), 2, error, error, check_output=True) is None
    assert block_failure(_block(shown="x 1\n"), 0, "x 2\n", "x 2\n", check_output=True) is None


def test_a_page_runs_in_one_fresh_folder_and_its_output_blocks_update_when_asked(
    tmp_path: Path,
) -> None:
    page = tmp_path / "page.md"
    page.write_text(PAGE.replace("    one\n", "    two\n"))
    checked = run_page("page.md", repo=tmp_path)
    assert (checked.ran, checked.skipped, checked.updated) == (3, 1, False)
    assert len(checked.failures) == 1
    assert checked.failures[0].startswith("page.md:19: the page shows output the command no")
    updated = run_page("page.md", update=True, repo=tmp_path)
    assert (updated.failures, updated.updated) == ([], True)
    assert page.read_text() == PAGE
    assert run_page("page.md", repo=tmp_path).failures == []


def test_a_page_stops_at_its_first_failing_block_when_run(tmp_path: Path) -> None:
    (tmp_path / "page.md").write_text("```bash\nfalse\n```\n\n```bash\ntouch never\n```\n")
    result = run_page("page.md", repo=tmp_path)
    assert result.ran == 1
    assert result.failures[0].startswith("page.md:1: exit code 1, expected 0")


def test_the_sites_contributing_page_is_contributing_md_with_its_links_made_relative() -> None:
    from types import SimpleNamespace

    from docgen.mkdocs_hooks import on_page_markdown

    page = SimpleNamespace(file=SimpleNamespace(src_uri="contributing.md"))
    text = on_page_markdown("placeholder", page)
    assert text.startswith("# Contributing to ocr\n")
    assert "](docs/" not in text
    assert "[House style](style.md)" in text
    assert "[README](index.md)" in text
    other = SimpleNamespace(file=SimpleNamespace(src_uri="index.md"))
    assert on_page_markdown("as it is", other) == "as it is"


def test_a_block_that_runs_too_long_is_stopped_with_its_processes_when_timed_out(
    tmp_path: Path,
) -> None:
    page = '```bash\n(sleep 1; touch "$OCR_REPO/late") &\nsleep 30\n```\n'
    (tmp_path / "page.md").write_text(page)
    result = run_page("page.md", repo=tmp_path, timeout=0.3)
    assert result.failures[0].startswith("page.md:1: exit code -1, expected 0; the output ends:")
    assert "(stopped after 0.3 s)" in result.failures[0]
    time.sleep(1.5)
    assert not (tmp_path / "late").exists()  # the background process was stopped too
