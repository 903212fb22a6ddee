"""The limited child process that reads untrusted files (wzgeo.plots._isolate).

Both ways of starting it are tested: a fork of this (single-threaded) process, and the zygote
that a multi-threaded process (the Streamlit server) uses. The misbehaving functions are in
tests/plots/_hogs.py, so that the zygote's children can import them.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest

from tests.plots import _hogs
from wzgeo.errors import CRSError, InputFileError
from wzgeo.plots import _isolate
from wzgeo.plots._limits import Limits

LIMITS = Limits(memory_mb=200, cpu_s=1, wall_s=20)

pytestmark = pytest.mark.skipif(
    not _isolate.isolation_available(), reason="needs fork and resource (Linux, macOS)"
)


@pytest.fixture(params=[False, True], ids=["fork", "zygote"])
def zygote(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def run(func, *args, zygote: bool, limits: Limits = LIMITS):  # type: ignore[no-untyped-def]
    return _isolate.run_limited(func, *args, limits=limits, name="f.txt", zygote=zygote)


def test_result_comes_back_from_another_process(zygote: bool) -> None:
    assert run(_hogs.double, 21, zygote=zygote) == 42
    assert run(_hogs.pid, zygote=zygote) != os.getpid()


def test_memory_over_the_limit_is_stopped(zygote: bool) -> None:
    assert run(_hogs.allocate, 50, zygote=zygote) == 50 * 1024 * 1024
    with pytest.raises(InputFileError, match="needs more than 200 MB of memory") as info:
        run(_hogs.allocate, 2_000, zygote=zygote)
    assert "文件 f.txt" in info.value.zh and "服务器未受影响" in info.value.zh


def test_cpu_time_over_the_limit_is_stopped(zygote: bool) -> None:
    with pytest.raises(InputFileError, match=r"more than 1 s of CPU time"):
        run(_hogs.spin, zygote=zygote)


def test_wall_clock_over_the_limit_is_stopped_and_the_child_killed(zygote: bool) -> None:
    start = time.monotonic()
    with pytest.raises(InputFileError, match=r"did not finish within 0\.5 s"):
        run(_hogs.sleep, 60, zygote=zygote, limits=Limits(wall_s=0.5))
    assert time.monotonic() - start < 10


def test_a_crash_is_a_bilingual_error(zygote: bool) -> None:
    with pytest.raises(InputFileError, match="SIGSEGV") as info:
        run(_hogs.crash, zygote=zygote)
    assert "读取" in info.value.zh


def test_wzgeo_errors_come_back_as_raised(zygote: bool) -> None:
    with pytest.raises(CRSError) as info:
        run(_hogs.refuse_crs, zygote=zygote)
    assert (info.value.zh, info.value.en) == ("坐标系不明。", "unknown CRS.")


def test_other_errors_are_bilingual_and_logged(
    zygote: bool, caplog: pytest.LogCaptureFixture
) -> None:
    log = logging.getLogger("wzgeo.plots._isolate")
    # directly, and enabled: a tool run in-process by another test (lint-imports) may have
    # disabled the loggers that existed then
    log.addHandler(caplog.handler)
    was_disabled, log.disabled = log.disabled, False
    try:
        with caplog.at_level(logging.ERROR, logger="wzgeo.plots._isolate"):
            with pytest.raises(InputFileError, match=r"unexpected error.*KeyError"):
                run(_hogs.fail, zygote=zygote)
            with pytest.raises(InputFileError, match="nested too deeply"):
                run(_hogs.recurse, zygote=zygote)
    finally:
        log.removeHandler(caplog.handler)
        log.disabled = was_disabled
    assert "a bug in a reader" in caplog.text  # the child's traceback, for maintainers


def test_files_wait_for_a_turn_and_a_slow_one_does_not_block_others() -> None:
    limits = Limits(wall_s=3, workers=2)
    results: dict[str, object] = {}
    # the zygote this test uses is up before the clock starts (an earlier test may have left
    # one with another prepare step, whose replacement would count against the 2.5 s below)
    _isolate.start_zygote()
    assert _isolate.run_limited(_hogs.double, 1, limits=limits, name="warm.txt", zygote=True) == 2

    def slow() -> None:
        try:
            _isolate.run_limited(_hogs.sleep, 60, limits=limits, name="slow.txt")
        except InputFileError as e:
            results["slow"] = e.en

    t = threading.Thread(target=slow)
    t.start()  # (two threads now: the zygote is used)
    time.sleep(0.3)
    start = time.monotonic()
    assert _isolate.run_limited(_hogs.double, 2, limits=limits, name="quick.txt") == 4
    assert time.monotonic() - start < 2.5  # answered while the slow one still ran
    one = Limits(wall_s=0.5, workers=1)
    _isolate.run_limited(_hogs.double, 1, limits=one, name="a.txt")
    t.join()
    assert "did not finish within 3 s" in str(results["slow"])


def test_busy_when_no_turn_comes() -> None:
    limits = Limits(wall_s=1.5, workers=1)
    errors: list[str] = []

    def hold() -> None:
        try:
            _isolate.run_limited(_hogs.sleep, 60, limits=limits, name="slow.txt")
        except InputFileError as e:
            errors.append(e.en)

    t = threading.Thread(target=hold)
    t.start()
    time.sleep(0.3)
    with pytest.raises(InputFileError, match="busy reading other files"):
        _isolate.run_limited(_hogs.double, 1, limits=Limits(wall_s=0.5, workers=1), name="b")
    t.join()


def test_zygote_that_died_is_started_again() -> None:
    assert run(_hogs.double, 1, zygote=True) == 2
    zygote = _isolate._zygote
    assert zygote is not None
    zygote.proc.kill()
    zygote.proc.wait()
    assert run(_hogs.double, 3, zygote=True) == 6
    assert _isolate._zygote is not zygote
