"""Tests for the package itself (wzgeo/__init__.py): public modules load on first use."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest

import wzgeo


def test_import_wzgeo_is_light() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, json, wzgeo; print(json.dumps(sorted(m for m in "
            "('pandas', 'geopandas', 'folium', 'scipy', 'streamlit', 'pyproj') "
            "if m in sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(out) == []


@pytest.mark.parametrize("name", sorted(n for n in wzgeo.__all__ if n.islower() and n[0] != "_"))
def test_public_modules_load_on_first_use(name: str) -> None:
    module = getattr(wzgeo, name)
    assert isinstance(module, types.ModuleType)
    assert module.__name__ == f"wzgeo.{name}"


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_module"):
        _ = wzgeo.no_such_module  # type: ignore[attr-defined]
    assert wzgeo.__version__
