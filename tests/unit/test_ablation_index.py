"""The ablation's index: unchanged files are not read again; any change is seen."""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING

import pytest

from ocr.ablation import RunSelection, collect_runs
from ocr.layout import RootLayout, RunLayout
from tests.ablation_trees import RunSpec, hmean_history, trainer_config, write_run, write_sweep

if TYPE_CHECKING:
    from pathlib import Path

__all__: list[str] = []

HOUR_AGO_NS = time.time_ns() - 3_600 * 1_000_000_000


def _age(root: Path) -> None:
    """Date every file an hour back: older than the index's two-second racy window."""
    for folder, _, names in os.walk(root):
        for name in names:
            os.utime(os.path.join(folder, name), ns=(HOUR_AGO_NS, HOUR_AGO_NS))  # noqa: PTH118


def _swap_keeping_stat(path: Path, old: str, new: str) -> None:
    """Change a file's bytes but not its size or mtime: only a cache could still see the old ones."""
    stat = path.stat()
    text = path.read_text()
    assert len(old) == len(new) and old in text
    path.write_text(text.replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "outputs"
    write_sweep(root, "2025-10-18/14-05-00", sweep_id="sweep0001", params={})
    for job, width in enumerate((4, 16)):
        write_run(
            root,
            RunSpec(
                location=f"2025-10-18/14-05-00/{job}",
                config=trainer_config(model__width=width),
                history=hmean_history([0.5, 0.6 + job / 10]),
                sweep_id="sweep0001",
            ),
        )
    write_run(root, RunSpec(location="2025-10-19/09-00-00", history=hmean_history([0.1])))
    _age(root)
    return root


def test_collect_runs_answers_from_the_index_when_nothing_changed(root: Path) -> None:
    first = collect_runs([root])
    config = RunLayout(root / "2025-10-18/14-05-00/0").config_file
    _swap_keeping_stat(config, "width: 4", "width: 5")

    again = collect_runs([root])

    assert RootLayout(root).ablation_index_file.is_file()
    assert again == first
    assert again[0].config["model.width"] == 4  # the index's, not the file's


@pytest.mark.parametrize(
    "change",
    [
        pytest.param("touch", id="mtime"),
        pytest.param("grow", id="size"),
        pytest.param("new-version", id="new-file"),
    ],
)
def test_collect_runs_reads_a_run_again_when_one_of_its_files_changed(
    root: Path, change: str
) -> None:
    collect_runs([root])
    run_dir = root / "2025-10-18/14-05-00/0"
    layout = RunLayout(run_dir)
    if change == "touch":
        _swap_keeping_stat(layout.config_file, "width: 4", "width: 5")
        os.utime(layout.config_file, ns=(HOUR_AGO_NS, HOUR_AGO_NS + 1))
    elif change == "grow":
        layout.config_file.write_text(
            layout.config_file.read_text().replace("width: 4", "width: 50")
        )
        os.utime(layout.config_file, ns=(HOUR_AGO_NS, HOUR_AGO_NS))
    else:
        layout.metrics_file.unlink()
        version = run_dir / "lightning_logs" / "version_0"
        version.mkdir(parents=True)
        (version / "metrics.csv").write_text("epoch,step,hmean\n0,9,0.25\n")

    run = collect_runs([root])[0]

    if change == "new-version":
        assert run.history.points("val/hmean")[0].value == 0.25
    else:
        assert run.config["model.width"] in (5, 50)


def test_collect_runs_keeps_reading_a_file_when_it_changed_moments_ago(root: Path) -> None:
    config = RunLayout(root / "2025-10-18/14-05-00/0").config_file
    os.utime(config)  # just now: a change within the same mtime tick could still follow
    collect_runs([root])
    _swap_keeping_stat(config, "width: 4", "width: 5")

    assert collect_runs([root])[0].config["model.width"] == 5


def test_collect_runs_keeps_other_runs_in_the_index_when_a_selection_reads_some(root: Path) -> None:
    collect_runs([root])
    collect_runs([root], selection=RunSelection(sweep="sweep0001"))
    solo = RunLayout(root / "2025-10-19/09-00-00").metrics_file
    _swap_keeping_stat(solo, "0.1,", "0.2,")

    runs = collect_runs([root])

    assert runs[-1].history.points("val/hmean")[0].value == 0.1  # still answered by the index


def test_collect_runs_rebuilds_the_index_when_it_is_corrupt(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = collect_runs([root])
    index = RootLayout(root).ablation_index_file
    index.write_bytes(index.read_bytes()[:-10])

    with caplog.at_level(logging.WARNING, logger="ocr.ablation"):
        assert collect_runs([root]) == first

    assert (
        f"the ablation index {index} is unreadable (checksum mismatch); rebuilding it"
        in caplog.text
    )
    assert collect_runs([root]) == first
