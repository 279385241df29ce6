"""``ocr ui``: serve the app with ``streamlit run``, on this machine only unless told otherwise.

The app script ships inside the package (:data:`APP_SCRIPT`); the server is
``python -m streamlit run`` in a child process, told its
roots through :data:`~ocr.ui.scope.SCOPE_ENV_VAR`. It listens on 127.0.0.1
(Streamlit's own default is every interface) unless a host is given, in
headless mode (no browser, no usage statistics, no file watcher). Ctrl-C,
SIGTERM or SIGHUP stop it cleanly: the server, in the same process group,
gets a terminal's signal itself; a signal sent to ``ocr ui`` alone is passed
on once; the command waits for the server to finish.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final, TextIO

from ocr.errors import UiLaunchError
from ocr.ui.scope import SCOPE_ENV_VAR, AppScope

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "APP_SCRIPT",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "MAX_UPLOAD_MB",
    "serve",
    "streamlit_command",
]

APP_SCRIPT: Final = Path(__file__).with_name("app.py")
DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8501
MAX_UPLOAD_MB: Final = 64
_PORTS_TRIED: Final = 50
_GRACE: Final = 3.0
_STOP_WAIT: Final = 15.0
_STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_EVERY_INTERFACE: Final = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 (names, not a bind)


def streamlit_command(host: str, port: int) -> list[str]:
    """The ``streamlit run`` command line of the app.

    Args:
        host: The address to listen on.
        port: The port.

    Returns:
        The command.
    """
    options = {
        "server.address": host,
        "server.port": str(port),
        "server.headless": "true",
        "server.fileWatcherType": "none",
        "server.runOnSave": "false",
        "server.maxUploadSize": str(MAX_UPLOAD_MB),
        "browser.gatherUsageStats": "false",
        "global.developmentMode": "false",
        "client.toolbarMode": "viewer",
    }
    flags = [part for key, value in options.items() for part in (f"--{key}", value)]
    return [sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT), *flags]


def serve(
    scope: AppScope,
    *,
    host: str = DEFAULT_HOST,
    port: int | None = None,
    out: TextIO = sys.stdout,
    ready_timeout: float = 120.0,
) -> int:
    """Serve the app until it is stopped.

    Args:
        scope: The roots to show.
        host: The address to listen on (``0.0.0.0``: every interface).
        port: The port; ``None`` takes the first free one from 8501.
        out: Where to say where the app is.
        ready_timeout: How long to wait for the server to answer.

    Returns:
        0 when stopped by a signal, else the server's exit code.

    Raises:
        UiLaunchError: Streamlit is not installed, the port is taken, the host
            cannot be listened on, or the server stopped before it answered.
    """
    if importlib.util.find_spec("streamlit") is None:
        raise UiLaunchError(
            "the UI needs Streamlit, which is not installed",
            fix='Install it with pip install "ocr[ui]"',
        )
    port = _choose_port(host, port)
    environment = {**os.environ, SCOPE_ENV_VAR: scope.to_json()}
    # The same process group: Ctrl-C in a terminal, or a closing terminal, reaches
    # both; a signal sent to this process alone is passed on (see _stop).
    server = subprocess.Popen(streamlit_command(host, port), env=environment)
    with _signals_raise_interrupt():
        try:
            _wait_until_ready(server, host, port, ready_timeout)
            out.write(_announcement(scope, host, port))
            out.flush()
            code = server.wait()
        except KeyboardInterrupt:
            _stop(server)
            out.write("ocr ui: stopped\n")
            return 0
    return code


def _announcement(scope: AppScope, host: str, port: int) -> str:
    roots = ", ".join(str(root) for root in scope.roots)
    if host in _EVERY_INTERFACE:
        url = f"http://{socket.gethostname()}:{port}"
        reach = "every network interface: other machines can reach it"
    else:
        url = f"http://{_url_host(host)}:{port}"
        reach = f"{host} only" + (": only this machine can reach it" if _is_loopback(host) else "")
    return f"ocr ui: {url}\n  serving {roots}\n  listening on {reach}\n  Ctrl-C stops it.\n"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _is_loopback(host: str) -> bool:
    return host == "localhost" or host.startswith("127.") or host == "::1"


def _choose_port(host: str, port: int | None) -> int:
    if port is not None:
        if not _is_free(host, port):
            raise UiLaunchError(
                f"port {port} on {host!r} is taken", fix="Pass a free one with --port N", value=port
            )
        return port
    for candidate in range(DEFAULT_PORT, DEFAULT_PORT + _PORTS_TRIED):
        if _is_free(host, candidate):
            return candidate
    raise UiLaunchError(
        f"no free port on {host!r} from {DEFAULT_PORT} to {DEFAULT_PORT + _PORTS_TRIED - 1}",
        fix="Pass one with --port N",
    )


def _is_free(host: str, port: int) -> bool:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM
        )[0]
    except socket.gaierror as exc:
        raise UiLaunchError(
            f"cannot listen on host {host!r} ({exc.strerror})",
            fix="Pass an address of this machine with --host, e.g. 127.0.0.1 or 0.0.0.0",
            value=host,
        ) from exc
    with socket.socket(family, kind, proto) as probe:
        try:
            probe.bind(address)
        except OSError:
            return False
    return True


def _wait_until_ready(
    server: subprocess.Popen[bytes], host: str, port: int, timeout: float
) -> None:
    probe = "127.0.0.1" if host in _EVERY_INTERFACE else _url_host(host)
    health = f"http://{probe}:{port}/_stcore/health"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = server.poll()
        if code is not None:
            raise UiLaunchError(
                f"the Streamlit server stopped with exit code {code} before it served the app",
                fix="Read its messages above",
                value=code,
            )
        try:
            with urllib.request.urlopen(health, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass  # not listening yet
        time.sleep(0.2)
    _stop(server)
    raise UiLaunchError(
        f"the Streamlit server did not answer on {health} within {timeout:.0f} s",
        fix="Read its messages above",
    )


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server: it may have had the signal too (Ctrl-C reaches the group), else pass it on."""
    try:
        server.wait(timeout=_GRACE)  # a second SIGINT would cut Streamlit's own shutdown short
        return
    except subprocess.TimeoutExpired:
        server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=_STOP_WAIT)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@contextmanager
def _signals_raise_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP stop the server as Ctrl-C does, and so does Ctrl-C itself.

    A shell that starts a command in the background (``ocr ui &``) has it
    ignore SIGINT, and Python keeps an ignored SIGINT ignored; the command
    promises that Ctrl-C's signal stops it, so it listens for it anyway.
    """

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, interrupt) for number in _STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
