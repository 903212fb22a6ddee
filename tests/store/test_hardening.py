"""Issue 14 (store): control characters, file modes, Markdown in stored text.

Each test builds its files itself and fails on the code before the hardening."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from wzgeo.app._text import plain
from wzgeo.store.core import (
    DOCUMENTED_SECTOR_IDS,
    DOCUMENTED_ZONE_IDS,
    IdCatalog,
    Store,
    StoreError,
    open_store,
)
from wzgeo.store.transfer import export_store, import_store

IDS = IdCatalog(
    DOCUMENTED_ZONE_IDS, frozenset({"AU-12", "EI-10"}), DOCUMENTED_SECTOR_IDS, source="test ids"
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "store.sqlite", ids=IDS)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual default: new files would be 0644
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.parametrize(
    ("by", "why"),
    [
        ("alice\x1b[2J", "ok"),  # clears the screen of whoever runs `history`
        ("alice", "reason \x1b]0;pwned\x07"),  # sets the terminal title
        ("alice", "reason \x9b31m"),  # 8-bit CSI
        ("ali\u202ece", "ok"),  # bidi override: shows another name
        ("alice\nbob", "ok"),
    ],
    ids=["csi-by", "osc-why", "c1-why", "bidi-by", "newline-by"],
)
def test_control_characters_in_by_and_why_are_refused(store: Store, by: str, why: str) -> None:
    with pytest.raises(StoreError, match="control character"):
        store.assign("AU-12", "gaofeng", by=by, why=why)
    assert store.counts()["changes"] == 0


def test_a_reason_may_have_line_breaks(store: Store) -> None:
    change = store.assign("AU-12", "gaofeng", by="alice", why="两行\n理由\t(tab)")
    assert store.history()["why"].tolist() == ["两行\n理由\t(tab)"] and change.version == 1


def test_store_backup_and_export_are_private(
    tmp_path: Path, store: Store, loose_umask: None
) -> None:
    store.assign("AU-12", "gaofeng", by="alice", why="w")
    out = tmp_path / "export.gpkg"
    export_store(store, out)
    other = open_store(tmp_path / "other.sqlite", ids=IDS)
    other.assign("EI-10", "lihe", by="bob", why="w")
    result = import_store(other, out, replace=True)
    files = [store.path, out, Path(result["backup"]), other.path]
    files += [p for p in tmp_path.glob("*.sqlite-wal")]
    modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    assert set(modes.values()) == {"0o600"}, modes


HOSTILE = [
    "X1![m](http://host/x.png)",
    "see [here](http://evil.example/login)",
    "<img src=http://host/y.png>",
    ":red[alarm] :material/home: $x^2$",
    "auto <http://host/z> &amp; \\*not bold\\* www.host.example http://host/a",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_plain_markdown_shows_the_text_and_nothing_else(text: str) -> None:
    md = MarkdownIt("commonmark")  # an independent CommonMark renderer (raw HTML on)
    html = md.render(plain(text))
    assert "<img" not in html and "<a " not in html, html
    # bare URLs (GFM autolinks, which Streamlit's renderer adds) are broken up as well
    assert "p://" not in plain(text) and "www." not in plain(text)
    # every character of the text is shown (escapes removed by the renderer)
    shown = md.render(plain(text)).removeprefix("<p>").removesuffix("</p>\n")
    import html as html_lib

    assert html_lib.unescape(shown).replace("\u2060", "") == text


def _raw_change(path: Path, by: str, why: str) -> None:
    """A change written without the store's checks (an old store, another tool)."""
    con = sqlite3.connect(path)
    with con:
        cid = con.execute(
            "INSERT INTO changes (entity_type, entity_id, version, op, payload, by_user, at, why)"
            " VALUES ('assignment', 'AU-12', 1, 'set', "
            '\'{"project_id": "AU-12", "zone_id": "gaofeng"}\', ?, '
            "'2026-01-01T00:00:00+00:00', ?)",
            (by, why),
        ).lastrowid
        con.execute(
            "INSERT INTO current VALUES ('assignment', 'AU-12', 1, ?, "
            '\'{"project_id": "AU-12", "zone_id": "gaofeng"}\')',
            (cid,),
        )
    con.close()


def test_history_escapes_control_characters_on_the_terminal(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    from wzgeo.cli.entry import main

    _raw_change(store.path, "mallory\x1b[2J", "why \x1b]0;title\x07 \x9b1m")
    assert main(["history", "--store", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "mallory\\x1b[2J" in out
    assert main(["history", "--store", str(store.path), "--json"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x9b" not in out and "\\u009b" in out
