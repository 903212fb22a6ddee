"""wzgeo.analysis.distributed: partitions listed with their row offsets; on an existing cluster
(found through WZGEO_DASK_SCHEDULER) the reference tables are broadcast, workers write the
results, and a failed partition comes back to the client by name."""

from __future__ import annotations

import pickle
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from wzgeo.analysis.distributed import (
    PartitionError,
    check_partitioned,
    list_partitions,
    open_cluster,
)
from wzgeo.errors import InputFileError, WzgeoError

distributed = pytest.importorskip("distributed", reason="pip install 'wzgeo[scale]'")


def _layer(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(531000, 537000, n)
    y = rng.uniform(3399000, 3405000, n)
    return gpd.GeoDataFrame(
        {"plot_id": [f"x{i}" for i in range(n)]},
        geometry=shapely.box(x, y, x + 90, y + 70),
        crs="EPSG:4545",
    )


@pytest.fixture(scope="module")
def cluster() -> object:
    """A real LocalCluster: a scheduler and two worker processes."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as c:
        yield c


def test_list_partitions_offsets_and_names(tmp_path: Path) -> None:
    layer = _layer(30)
    (tmp_path / "z=1").mkdir()
    layer.iloc[:10].to_parquet(tmp_path / "b.parquet")
    layer.iloc[10:25].to_parquet(tmp_path / "a.parquet")
    layer.iloc[25:].to_parquet(tmp_path / "z=1" / "c.parquet")
    (tmp_path / "notes.txt").write_text("not a partition", encoding="utf-8")
    parts = list_partitions(tmp_path)
    assert [(p.name, p.first_row, p.n_rows) for p in parts] == [
        ("a.parquet", 0, 15),
        ("b.parquet", 15, 10),
        ("z=1/c.parquet", 25, 5),
    ]
    assert [p.name for p in list_partitions(str(tmp_path / "*.parquet"))] == [
        "a.parquet",
        "b.parquet",
    ]
    (tmp_path / "bad.parquet").write_text("no parquet", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"bad\.parquet"):
        list_partitions(tmp_path)
    with pytest.raises(InputFileError, match=r"no \.parquet files"):
        list_partitions(str(tmp_path / "none-*.parquet"))


def test_partition_error_survives_pickling() -> None:
    e = pickle.loads(pickle.dumps(PartitionError("t1.parquet", "中文", "english")))
    assert (e.name, e.zh, e.en) == ("t1.parquet", "中文", "english")
    assert isinstance(e, WzgeoError)


def test_existing_cluster_from_the_environment(
    cluster: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layer = _layer(400)
    src = tmp_path / "in"
    src.mkdir()
    layer.iloc[:150].to_parquet(src / "p1.parquet")
    broken = layer.iloc[150:300].copy()
    broken.loc[broken.index[3], "geometry"] = None
    broken.to_parquet(src / "p2.parquet")
    layer.iloc[300:].to_parquet(src / "p3.parquet")
    monkeypatch.setenv("WZGEO_DASK_SCHEDULER", cluster.scheduler_address)  # type: ignore[attr-defined]
    out = tmp_path / "out"
    out.mkdir()
    seen: list[tuple[int, int, str, bool]] = []
    with open_cluster() as client:
        assert client is not None
        assert len(client.scheduler_info()["workers"]) == 2
        res = check_partitioned(
            list_partitions(src),
            out,
            columns=["zone_id", "area_m2"],
            client=client,
            progress=lambda d, t, n, e: seen.append((d, t, n, e is not None)),
        )
        # the workers wrote the files; the client got only a summary per partition
        assert sorted(p.name for p in out.iterdir()) == ["p1.parquet", "p3.parquet"]
    assert sorted(n for _d, _t, n, _e in seen) == ["p1.parquet", "p2.parquet", "p3.parquet"]
    assert [d for d, _t, _n, _e in seen] == [1, 2, 3]
    assert [(n, failed) for _d, _t, n, failed in seen if failed] == [("p2.parquet", True)]
    assert [n for n, _e in res.failed] == ["p2.parquet"]
    err = res.failed[0][1]
    assert isinstance(err, PartitionError) and "p2.parquet" in err.en and "no geometry" in err.en
    assert res.n_plots == 250
    got = pd.concat([gpd.read_parquet(out / f"p{i}.parquet") for i in (1, 3)])
    expect = shapely.area(pd.concat([layer.iloc[:150], layer.iloc[300:]]).geometry.to_numpy())
    np.testing.assert_allclose(got["area_m2"].to_numpy(), expect, rtol=1e-9)


def test_open_cluster_refuses_both_and_unreachable() -> None:
    with (
        pytest.raises(WzgeoError, match="not both"),
        open_cluster(scheduler="tcp://x:1", workers=1),
    ):
        pass
    with (
        pytest.raises(WzgeoError, match="cannot reach the dask scheduler"),
        open_cluster(scheduler="tcp://127.0.0.1:9", connect_timeout_s=1),
    ):
        pass
