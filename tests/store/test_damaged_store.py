"""Issue 14, finding 4: damaged and read-only stores.

A damaged store opens read-only with a clear message and the recovery command; nothing is
written into it; `store recover` rebuilds a new store from its change log; a store on a
read-only medium serves reading."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from wzgeo.cli.entry import main
from wzgeo.store.core import (
    DOCUMENTED_SECTOR_IDS,
    DOCUMENTED_ZONE_IDS,
    IdCatalog,
    StoreDamagedError,
    load_id_catalog,
    open_store,
)

IDS = IdCatalog(DOCUMENTED_ZONE_IDS, None, DOCUMENTED_SECTOR_IDS, source="test ids")
REPO = Path(__file__).resolve().parents[2]


def _store_with_history(path: Path, n: int = 60) -> None:
    store = open_store(path, ids=IDS)
    projects = sorted(load_id_catalog().project_ids or ())[:40]  # ids of the plan tables
    for i in range(n):  # long reasons: the log spans many pages
        store.assign(projects[i % 40], ("gaofeng", "lihe", "tianzi")[i % 3], by="alice",
                     why=f"第 {i} 次调整：" + "理由" * 90)  # fmt: skip


def _flip_a_log_page(path: Path) -> int:
    """Invert 300 bytes inside one leaf page of the change log (bit rot, a bad sector)."""
    con = sqlite3.connect(path)
    sql = "SELECT pageno FROM dbstat WHERE name = 'changes' AND pagetype = 'leaf' ORDER BY 1"
    pages = [r[0] for r in con.execute(sql)]
    size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    page = pages[len(pages) // 2]
    data = bytearray(path.read_bytes())
    start = (page - 1) * size + 8  # the cell pointers after the leaf header, and on
    for i in range(start, start + 300):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    return page


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    path = tmp_path / "store.sqlite"
    _store_with_history(path)
    _flip_a_log_page(path)
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def test_damaged_store_is_read_only_with_the_recovery_command(
    damaged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _digest(damaged)
    store = open_store(damaged, ids=IDS)
    assert store.read_only and store.damage
    with pytest.raises(StoreDamagedError, match="store recover"):
        store.assign("AU-12", "gaofeng", by="bob", why="w")
    code, out = _run(capsys, "assign", "AU-12", "gaofeng", "--by", "bob", "--why", "w",
                     "--store", str(damaged))  # fmt: skip
    assert code == 2 and "damaged" in out and "wzgeo store recover" in out, out
    code, out = _run(capsys, "store", "check", "--store", str(damaged))
    assert code == 1 and "INCONSISTENT" in out and "store recover" in out, out
    code, out = _run(capsys, "history", "--store", str(damaged))
    assert code in (0, 2) and "Traceback" not in out and "sqlite3" not in out, out
    if code == 2:
        assert "store recover" in out
    assert _digest(damaged) == before  # nothing written into the damaged file


def test_store_recover_rebuilds_a_sound_store_from_the_log(
    damaged: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_path = tmp_path / "recovered.sqlite"
    code, out = _run(capsys, "store", "recover", str(out_path), "--store", str(damaged))
    assert code == 1 and "lost: change" in out, out  # the flipped page's changes are gone
    recovered = open_store(out_path, ids=IDS)
    assert recovered.verify().ok and not recovered.read_only
    h = recovered.history()
    assert 30 < len(h) < 60  # most of the 60 changes are back, versions without holes
    for _, g in h.groupby("entity_id"):
        assert g["version"].tolist() == list(range(1, len(g) + 1))
    recovered.assign("AU-12", "gaofeng", by="bob", why="恢复后继续工作")
    assert recovered.verify().ok


def _read_only_medium(folder: Path, script: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (sh) with ``folder`` mounted read-only (a private mount namespace)."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) not installed")
    inner = f"mount --bind {folder} {folder} && mount -o remount,ro,bind {folder} && {script}"
    proc = subprocess.run(
        ["unshare", "-rm", "sh", "-c", inner], capture_output=True, text=True, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    if "Operation not permitted" in proc.stderr and "mount" in proc.stderr:
        pytest.skip(f"no mount namespaces here: {proc.stderr.strip()}")
    return proc


def test_store_on_a_read_only_medium_serves_reading(tmp_path: Path) -> None:
    folder = tmp_path / "media"
    folder.mkdir()
    _store_with_history(folder / "store.sqlite", n=5)
    py = f"{sys.executable} -m wzgeo"
    store = folder / "store.sqlite"
    project = sorted(load_id_catalog().project_ids or ())[0]
    proc = _read_only_medium(
        folder,
        f"touch {folder}/probe 2>/dev/null && echo WRITABLE; "
        f"{py} history --store {store}; echo EXIT=$?; "
        f"{py} store check --store {store}; echo EXIT=$?; "
        f"{py} assign {project} lihe --by bob --why w --store {store}; echo EXIT=$?",
    )
    out = proc.stdout + proc.stderr
    assert "WRITABLE" not in out, out
    assert out.count("EXIT=0") == 2 and "EXIT=2" in out, out
    assert "第 4 次调整" in out and "一致 / consistent" in out
    assert "read-only" in out and "may be damaged" not in out and "Traceback" not in out
