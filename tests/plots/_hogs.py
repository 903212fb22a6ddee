"""Functions that misbehave like a reader fed a hostile file (run by test_isolate in a child)."""

from __future__ import annotations

import ctypes
import os
import time

from wzgeo.errors import CRSError


def double(x: int) -> int:
    return 2 * x


def pid() -> int:
    return os.getpid()


def allocate(n_mb: int) -> int:
    block = bytearray(n_mb * 1024 * 1024)
    return len(block)


def spin() -> None:
    while True:
        pass


def sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def crash() -> None:
    ctypes.string_at(0)  # reads address 0: SIGSEGV


def refuse_crs() -> None:
    raise CRSError("坐标系不明。", "unknown CRS.")


def fail() -> None:
    raise KeyError("a bug in a reader")


def recurse(n: int = 0) -> int:
    return recurse(n + 1)
