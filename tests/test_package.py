"""Tests for the package itself: wzgeo and its subpackage faces load modules on first use."""

from __future__ import annotations

import importlib
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


_SUBPACKAGES = ("plan", "geo", "plots", "analysis", "maps", "store", "app", "cli")


@pytest.mark.parametrize("package", _SUBPACKAGES)
def test_every_name_of_a_subpackage_face_resolves(package: str) -> None:
    """Each subpackage's face lists public modules and names; each one loads on access."""
    face = importlib.import_module(f"wzgeo.{package}")
    assert face.__all__, package
    for name in face.__all__:
        value = getattr(face, name)
        if isinstance(value, types.ModuleType):
            assert value.__name__ == f"wzgeo.{package}.{name}"
    assert sorted(dir(face)) == sorted(face.__all__)
    with pytest.raises(AttributeError, match="nothing_here"):
        _ = face.nothing_here


def test_importing_one_module_of_a_layer_does_not_load_the_layer() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, json, wzgeo.geo.units; print(json.dumps(sorted(m for m in sys.modules "
            "if m.startswith('wzgeo.'))))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert set(json.loads(out)) <= {"wzgeo._lazy", "wzgeo.errors", "wzgeo.geo", "wzgeo.geo.units"}
