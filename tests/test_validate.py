"""Hand-edited tables (sector_fit.csv, land_rules.csv) that are broken give a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from wzgeo import DataFileError
from wzgeo.rules import load_rules
from wzgeo.sectorfit import load_sector_fit


@pytest.mark.parametrize("loader", [load_sector_fit, load_rules], ids=["sector_fit", "rules"])
@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b'sector_id,zone_id,grade\n"auto,gaofeng,primary\n', "not valid CSV"),
        (b"\xb2\xfa\xd2\xb5,zone_id\n", "not UTF-8"),
        (b"", "empty"),
    ],
    ids=["unterminated-quote", "gbk", "empty"],
)
def test_broken_file_names_the_problem(
    tmp_path: Path, loader: object, content: bytes, match: str
) -> None:
    path = tmp_path / "table.csv"
    path.write_bytes(content)
    with pytest.raises(DataFileError, match=match) as info:
        loader(path)  # type: ignore[operator]
    assert str(path) in str(info.value) and "文件" in str(info.value)
