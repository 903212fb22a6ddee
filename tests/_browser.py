"""Shared helpers for real-browser tests (Debian chromium driven by Playwright).

Playwright cannot download browsers here; we launch the system ``/usr/bin/chromium``.
Every test that uses a browser is marked ``browser`` and is skipped with a clear reason only
when chromium is absent (``scripts/test.sh`` installs it, so in CI it is never skipped).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("WZGEO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
#: streamlit-folium's map iframe in a Streamlit page
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
#: the marks of a module of app browser tests (``pytestmark = BROWSER_MARKS``): ``browser``,
#: and the warnings of the Streamlit server's pipes left open by :func:`streamlit_server`
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def require_chromium() -> None:
    """Skip (with the reason) when Debian chromium is not installed."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed; run scripts/test.sh, which installs it")


@contextlib.contextmanager
def browser() -> Iterator[object]:
    """Yield a Playwright ``Browser`` running Debian chromium headless."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def streamlit_server(
    app: Path,
    *,
    env: dict[str, str] | None = None,
    timeout_s: float = 60.0,
    poll_s: float = 0.05,
    base_url_path: str = "",
) -> Iterator[str]:
    """Run ``streamlit run APP`` on a free port; yield its base URL once it answers
    (``http://127.0.0.1:PORT/BASE`` with ``server.baseUrlPath = base_url_path``).

    The health endpoint is polled every ``poll_s`` seconds (the app benchmark times the
    server start with it, so the interval bounds that measurement's resolution).
    """
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    if base_url_path:
        cmd += ["--server.baseUrlPath", base_url_path]
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}" + (f"/{base_url_path.strip('/')}" if base_url_path else "")
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else ""
                raise RuntimeError(f"streamlit exited early ({proc.returncode}):\n{out}")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"streamlit did not answer on {url} in {timeout_s} s")
            time.sleep(poll_s)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def save_screenshot(page: object, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ (used on failure)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
