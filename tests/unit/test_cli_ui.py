"""``ocr ui``'s bad input, and the server's choices, without starting a server."""

from __future__ import annotations

import importlib.util
import socket
import sys
from typing import TYPE_CHECKING

import pytest

from ocr.cli import main
from ocr.errors import UiLaunchError
from ocr.ui.scope import AppScope
from ocr.ui.server import APP_SCRIPT, serve, streamlit_command

if TYPE_CHECKING:
    from pathlib import Path


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


def test_ui_refuses_in_one_line_when_a_root_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ui", str(tmp_path / "nope")]) == 2

    assert _error_line(capsys) == (
        f"ocr: error: output root {str(tmp_path / 'nope')!r} is not a folder "
        f"({str(tmp_path / 'nope')!r}). Pass the folder that holds your runs (default: ./outputs)\n"
    )


def test_ui_refuses_legacy_folders_when_given_several_roots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ui", str(tmp_path), str(tmp_path), "--no-wandb"]) == 2

    assert _error_line(capsys) == (
        "ocr: error: --multirun/--wandb and --no-multirun/--no-wandb choose the legacy folders "
        "of one ROOT, but 2 were given. Scan one ROOT with them, or leave them out\n"
    )


@pytest.mark.parametrize(
    "port",
    [
        pytest.param("0", id="zero"),
        pytest.param("70000", id="too-high"),
        pytest.param("http", id="text"),
    ],
)
def test_ui_refuses_a_port_when_it_is_not_a_port_number(
    tmp_path: Path, port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["ui", str(tmp_path), "--port", port])

    assert raised.value.code == 2
    assert capsys.readouterr().err.endswith(
        f"ocr ui: error: argument --port: not a port number: {port!r} (use 1 to 65535)\n"
    )


def test_ui_refuses_in_one_line_when_the_port_is_taken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        assert main(["ui", str(tmp_path), "--port", str(port)]) == 2

    assert _error_line(capsys) == (
        f"ocr: error: port {port} on '127.0.0.1' is taken. Pass a free one with --port N\n"
    )


def test_ui_refuses_in_one_line_when_the_host_is_not_an_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ui", str(tmp_path), "--host", "no such host.invalid"]) == 2

    assert _error_line(capsys).startswith(
        "ocr: error: cannot listen on host 'no such host.invalid' ("
    )


def test_serve_refuses_in_one_line_when_streamlit_is_not_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "streamlit" else found(name, *a),
    )

    with pytest.raises(UiLaunchError) as raised:
        serve(AppScope((tmp_path,)))

    assert str(raised.value) == (
        'the UI needs Streamlit, which is not installed. Install it with pip install "ocr[ui]"'
    )


def test_streamlit_is_run_headless_on_the_packaged_app_when_started() -> None:
    command = streamlit_command("127.0.0.1", 8600)

    assert command[:5] == [sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT)]
    assert APP_SCRIPT.is_file()
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert options["--server.address"] == "127.0.0.1"
    assert options["--server.port"] == "8600"
    assert options["--server.headless"] == "true"
    assert options["--browser.gatherUsageStats"] == "false"
