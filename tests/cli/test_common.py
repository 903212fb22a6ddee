"""Tests for wzgeo.cli._common, the helpers shared by the command modules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wzgeo.cli._common import print_json, require_known
from wzgeo.errors import WzgeoError


@pytest.mark.parametrize("value", [None, "", "gaofeng"], ids=["none", "empty", "known"])
def test_require_known_accepts_nothing_or_a_known_id(value: str | None) -> None:
    require_known(value, ["gaofeng", "lihe"], what_zh="园区", what_en="zone")


def test_require_known_names_the_value_and_the_choices() -> None:
    with pytest.raises(WzgeoError, match=r"Unknown zone 'atlantis'; known: gaofeng, lihe\.") as e:
        require_known("atlantis", ["gaofeng", "lihe"], what_zh="园区", what_en="zone")
    assert "未知的园区 'atlantis'" in str(e.value)


def test_print_json_keeps_chinese_and_uses_default(capsys: pytest.CaptureFixture[str]) -> None:
    print_json({"name": "高峰园", "path": Path("a")}, indent=1, default=str)
    out = capsys.readouterr().out
    assert "高峰园" in out
    assert out.endswith("}\n")
    assert json.loads(out) == {"name": "高峰园", "path": "a"}
