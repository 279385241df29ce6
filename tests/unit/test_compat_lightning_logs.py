"""The metric files Lightning's own logger left in a run folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocr.compat._shared import lightning_metric_files

if TYPE_CHECKING:
    from pathlib import Path

__all__: list[str] = []


def test_lightning_metric_files_lists_versions_in_number_order_when_several(tmp_path: Path) -> None:
    logs = tmp_path / "lightning_logs"
    for version in ("version_10", "version_2", "version_0", "version_x", "other"):
        (logs / version).mkdir(parents=True)
        (logs / version / "metrics.csv").write_text("epoch,step\n")
    (logs / "version_3").mkdir()  # a launch that died before logging anything
    (logs / "version_4").write_text("not a folder")

    assert lightning_metric_files(tmp_path) == [
        logs / "version_0" / "metrics.csv",
        logs / "version_2" / "metrics.csv",
        logs / "version_10" / "metrics.csv",
    ]


def test_lightning_metric_files_is_empty_when_the_run_has_no_lightning_logs(tmp_path: Path) -> None:
    assert lightning_metric_files(tmp_path) == []
    assert lightning_metric_files(tmp_path / "missing") == []
