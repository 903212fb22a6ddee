"""Tests for the zip safety checks on uploaded archives (wzgeo.plots._safezip)."""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from wzgeo.errors import InputFileError
from wzgeo.plots.io import read_plots


@pytest.mark.parametrize("member", ["../evil.shp", "/etc/evil.shp", "a/../../evil.shp", "C:/x.shp"])
def test_zip_path_traversal(member):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(member, b"x")
    with pytest.raises(InputFileError, match="unsafe path"):
        read_plots(buf.getvalue(), filename="evil.zip")


def test_zip_bomb_ratio():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("plots.shp", b"\0" * 3_000_000)
    assert len(buf.getvalue()) < 30_000
    with pytest.raises(InputFileError, match=r"possible zip bomb"):
        read_plots(buf.getvalue(), filename="bomb.zip")


def test_zip_total_size_limit(monkeypatch):
    import wzgeo.plots._safezip as safezip  # where the limit is read since plotio was split

    monkeypatch.setattr(safezip, "MAX_ZIP_UNCOMPRESSED_BYTES", 1000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("plots.shp", os.urandom(2000))
    with pytest.raises(InputFileError, match=r"expands to 0 MB.*over the limits"):
        read_plots(buf.getvalue(), filename="big.zip")
