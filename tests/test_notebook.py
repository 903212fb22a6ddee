"""The walkthrough notebook is stored without outputs, runs, and gives the library's numbers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01_walkthrough.ipynb"


def _ensure_kernel() -> None:
    from jupyter_client.kernelspec import KernelSpecManager

    if "python3" not in KernelSpecManager().find_kernel_specs():
        subprocess.run(
            [sys.executable, "-m", "ipykernel", "install", "--user", "--name", "python3"],
            check=True,
        )


def test_stored_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


@pytest.fixture(scope="module")
def executed() -> dict[str, object]:
    from nbclient import NotebookClient

    _ensure_kernel()
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    ).execute()
    last = nb.cells[-1]
    text = "".join(o.get("text", "") for o in last.outputs if o.output_type == "stream")
    result: dict[str, object] = json.loads(text)
    return result


def test_notebook_numbers_equal_library_and_cli(
    executed: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pandas as pd

    from wzgeo.analysis.intensity import project_intensity
    from wzgeo.cli.entry import main
    from wzgeo.plan import data as plandata

    projects = plandata.load_projects()
    pi = project_intensity(projects)
    below = sorted(pi.loc[pi["below_2025"].fillna(False).astype(bool), "project_id"])
    assert executed["below_2025"] == below
    land = pd.to_numeric(projects["land_mu"]).fillna(0).sum() / 1500
    assert executed["land_need_km2"] == pytest.approx(land)
    # the CLI's summary gives the notebook's zone needs
    assert main(["summary", "--format", "csv", "--out", str(tmp_path / "s.csv")]) == 0
    zones = pd.read_csv(tmp_path / "s_zones.csv")
    assert dict(zip(zones["zone_id"], zones["need_mu"], strict=True)) == pytest.approx(
        executed["zone_need_mu"]
    )
    assert executed["plot_zone"] == "lihe"
    assert executed["plot_fit"] == "primary"
    assert executed["plot_area_m2"] == pytest.approx(40_000, rel=1e-6)
    output = float(projects.set_index("project_id").loc["NM-BM-02", "output_yi"])
    assert executed["plot_intensity_yi_per_km2"] == pytest.approx(output / 0.04, rel=1e-6)
