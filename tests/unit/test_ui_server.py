"""The server's start-up and shutdown decisions, on real child processes (no Streamlit)."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

import ocr.ui.server
from ocr.errors import UiLaunchError
from ocr.ui.server import _choose_port, _stop, _wait_until_ready


def _child(code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)


def test_start_is_refused_in_one_line_when_the_server_stops_before_serving() -> None:
    server = _child("raise SystemExit(3)")
    server.communicate()

    with pytest.raises(UiLaunchError) as raised:
        _wait_until_ready(server, "127.0.0.1", 1, timeout=30)

    assert str(raised.value) == (
        "the Streamlit server stopped with exit code 3 before it served the app. Read its "
        "messages above"
    )


def test_start_gives_up_and_stops_the_server_when_it_never_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ocr.ui.server, "_GRACE", 0.1)
    # Python keeps SIGINT ignored when its parent ignored it (a shell's background job),
    # while Streamlit installs its own handler: the stand-in answers Ctrl-C as Streamlit does.
    server = _child(
        "import signal, time\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    assert server.stdout is not None
    assert server.stdout.readline() == b"ready\n"

    with pytest.raises(UiLaunchError) as raised:
        _wait_until_ready(server, "0.0.0.0", 9, timeout=0.5)  # noqa: S104 (probed on 127.0.0.1)
    server.communicate()

    assert str(raised.value) == (
        "the Streamlit server did not answer on http://127.0.0.1:9/_stcore/health within 0 s. "
        "Read its messages above"
    )
    assert server.returncode == -signal.SIGINT


def test_stop_kills_the_server_when_it_ignores_the_interrupt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ocr.ui.server, "_STOP_WAIT", 0.5)
    monkeypatch.setattr(ocr.ui.server, "_GRACE", 0.1)
    server = _child(
        "import signal, sys, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    assert server.stdout is not None
    with server.stdout:
        assert server.stdout.readline() == b"ready\n"  # its handler is in place

        _stop(server)

    assert server.returncode == -signal.SIGKILL
    _stop(server)  # a stopped server is left alone


def test_no_port_is_chosen_when_every_port_tried_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr.ui.server, "_is_free", lambda host, port: False)

    with pytest.raises(UiLaunchError) as raised:
        _choose_port("127.0.0.1", None)

    assert str(raised.value) == (
        "no free port on '127.0.0.1' from 8501 to 8550. Pass one with --port N"
    )


def test_the_first_free_port_from_8501_is_chosen_when_none_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ocr.ui.server, "_is_free", lambda host, port: port >= 8503)

    assert _choose_port("127.0.0.1", None) == 8503
