"""``ocr ui`` as a user runs it: a real server process, stopped by a real signal."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

READY_TIMEOUT = 120
_IGNORE_SIGINT_THEN_EXEC = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> set[str]:
    """The local addresses listening on ``port``, from the kernel's own tables."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def _servers_on(port: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"streamlit" in command and str(port).encode() in command:
                pids.append(int(entry.name))
    return pids


def _start(
    root: Path, *options: str, sigint_ignored: bool = False
) -> tuple[subprocess.Popen[str], list[str]]:
    """Start ``ocr ui`` and read what it says until it says how to stop it.

    ``sigint_ignored`` starts it as a shell starts a background command: with
    SIGINT ignored (the disposition survives ``exec``).
    """
    command = [sys.executable, "-m", "ocr.cli", "ui", str(root), *options]
    if sigint_ignored:
        command = [sys.executable, "-c", _IGNORE_SIGINT_THEN_EXEC, *command]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # the test plays the terminal: it signals the whole group
    )
    assert process.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT
    said: list[str] = []
    while line := process.stdout.readline():
        said.append(line.rstrip("\n"))
        if line == "  Ctrl-C stops it.\n":
            return process, [text for text in said if text.startswith(("ocr ui:", "  "))]
        assert time.monotonic() < deadline, "ocr ui did not say where it serves"
    pytest.fail(f"ocr ui stopped before serving (exit code {process.wait()})")


def _stopped(process: subprocess.Popen[str]) -> list[str]:
    process.wait(timeout=60)
    assert process.stdout is not None
    with process.stdout:
        return process.stdout.read().splitlines()


@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    ("how", "number"),
    [
        pytest.param("group", signal.SIGINT, id="ctrl-c"),
        pytest.param("process", signal.SIGTERM, id="sigterm"),
        pytest.param("background", signal.SIGINT, id="ctrl-c-when-started-in-the-background"),
    ],
)
def test_ui_serves_on_localhost_only_and_stops_cleanly_when_signalled(
    tmp_path: Path, how: str, number: signal.Signals
) -> None:
    port = _free_port()
    process, said = _start(tmp_path, "--port", str(port), sigint_ignored=how == "background")
    url = f"http://127.0.0.1:{port}"
    try:
        assert said[-4:] == [
            f"ocr ui: {url}",
            f"  serving {tmp_path}",
            "  listening on 127.0.0.1 only: only this machine can reach it",
            "  Ctrl-C stops it.",
        ]
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as answer:  # noqa: S310
            assert answer.read() == b"ok"
        assert _listening(port) == {"0100007F"}  # 127.0.0.1, and no other address
        assert _servers_on(port)
        if how == "process":
            process.send_signal(number)
        else:
            os.killpg(process.pid, number)
        rest = _stopped(process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0
    assert rest[-1] == "ocr ui: stopped"
    assert not _servers_on(port)
    assert not _listening(port)


@pytest.mark.timeout(240)
def test_ui_listens_on_every_interface_and_says_so_when_host_asks(tmp_path: Path) -> None:
    port = _free_port()
    process, said = _start(tmp_path, "--port", str(port), "--host", "0.0.0.0")  # noqa: S104
    try:
        assert "00000000" in _listening(port)
    finally:
        process.send_signal(signal.SIGINT)
        _stopped(process)
    assert said[-4:] == [
        f"ocr ui: http://{socket.gethostname()}:{port}",
        f"  serving {tmp_path}",
        "  listening on every network interface: other machines can reach it",
        "  Ctrl-C stops it.",
    ]
    assert process.returncode == 0
