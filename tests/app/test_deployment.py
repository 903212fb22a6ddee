"""The shipped deployment is safe by default: ``streamlit run app.py`` (as the README says)
listens on this machine only and looks up nothing on the internet at start-up."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests._browser import free_port

REPO = Path(__file__).resolve().parents[2]


def test_streamlit_run_app_py_listens_on_localhost_only_and_calls_nobody(
    tmp_path: Path,
) -> None:
    port = free_port()
    seen: list[bytes] = []
    proxy = socket.socket()
    proxy.bind(("127.0.0.1", 0))
    proxy.listen(8)
    proxy.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = proxy.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    seen.append(conn.recv(200) or b"(connected)")
                except OSError:
                    seen.append(b"(connected)")

    threading.Thread(target=serve, daemon=True).start()
    proxy_url = f"http://127.0.0.1:{proxy.getsockname()[1]}"
    env = {
        **os.environ,
        # the port only (README: `streamlit run app.py`); address comes from .streamlit/
        "STREAMLIT_SERVER_PORT": str(port),
        "STREAMLIT_SERVER_HEADLESS": "true",
        # any lookup on the internet would have to pass through this "proxy"
        "HTTP_PROXY": proxy_url,
        "HTTPS_PROXY": proxy_url,
        "http_proxy": proxy_url,
        "https_proxy": proxy_url,
        "NO_PROXY": "",
        "no_proxy": "",
        "WZGEO_STORE": str(tmp_path / "store.sqlite"),
        "WZGEO_USERS": str(tmp_path / "users.toml"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            try:
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                with opener.open(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "streamlit did not start"
            time.sleep(0.1)
        time.sleep(1.0)  # the start-up message (and any lookup) follows the first answer
        listening = {
            c.laddr.ip
            for c in psutil.Process(proc.pid).net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN
        }
        assert listening, "no listening socket found"
        assert listening <= {"127.0.0.1", "::1"}, listening
        # not reachable through this machine's other addresses
        others = {
            a.address
            for addrs in psutil.net_if_addrs().values()
            for a in addrs
            if a.family == socket.AF_INET and not a.address.startswith("127.")
        }
        for ip in others:
            with pytest.raises(OSError), socket.create_connection((ip, port), timeout=2):
                pass
    finally:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate(timeout=15)
        stop.set()
        proxy.close()
    assert "External URL" not in out and "Network URL" not in out, out
    assert seen == [], f"start-up called out: {seen!r}\n{out}"
