"""Hostile plot files, generated small (the limit tests and the app's soak test use them).

Each function returns the file's bytes; sizes are chosen so that each file is at most a few
MB on disk while it would make an unprotected reader expand, loop or list without end.
"""

from __future__ import annotations

import io
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

# plots near 高峰园 in EPSG:4545 (GK zone 36, CM 108E), 50 m squares on a 60 m grid
E0, N0 = 536_000.0, 3_409_000.0


def _zip(members: dict[str, bytes], *, level: int = 9) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


_OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<Types xmlns="{_PKG}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OOXML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_OOXML}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_OOXML}.sharedStrings+xml"/>'
    "</Types>"
).encode()
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
).encode()
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    f'xmlns:r="{_REL}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
).encode()
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
).encode()
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = b"</sheetData></worksheet>"


def _xlsx(sheet_rows: bytes, shared: bytes, *, level: int = 9) -> bytes:
    return _zip(
        {
            "[Content_Types].xml": _CONTENT_TYPES,
            "_rels/.rels": _RELS,
            "xl/workbook.xml": _WORKBOOK,
            "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
            "xl/worksheets/sheet1.xml": _SHEET_HEAD + sheet_rows + _SHEET_TAIL,
            "xl/sharedStrings.xml": shared,
        },
        level=level,
    )


def xlsx_shared_string(n_bytes: int) -> bytes:
    """An .xlsx whose one cell is a shared string of ``n_bytes`` characters (compresses ~1000×)."""
    shared = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        b'uniqueCount="1"><si><t>' + b"A" * n_bytes + b"</t></si></sst>"
    )
    rows = b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    return _xlsx(rows, shared)


def xlsx_cells(n_rows: int, n_cols: int = 4) -> bytes:
    """An .xlsx point table (header X, Y, ...) with ``n_rows`` × ``n_cols`` numeric cells."""
    letters = [chr(ord("A") + i) for i in range(n_cols)]
    shared = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b"".join(b"<si><t>" + name + b"</t></si>" for name in (b"X", b"Y", b"C", b"D")[:n_cols])
        + b"</sst>"
    )
    head = b'<row r="1">' + b"".join(
        f'<c r="{c}1" t="s"><v>{i}</v></c>'.encode() for i, c in enumerate(letters)
    )
    parts = [head + b"</row>"]
    for r in range(2, n_rows + 2):
        cells = "".join(f'<c r="{c}{r}"><v>{r}</v></c>' for c in letters)
        parts.append(f'<row r="{r}">{cells}</row>'.encode())
    return _xlsx(b"".join(parts), shared, level=1)


def xlsx_wide_row() -> bytes:
    """An .xlsx whose one row has a cell in the last column (XFD: 16,384 columns wide)."""
    shared = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>X</t></si></sst>"
    )
    rows = b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="XFD1"><v>1</v></c></row>'
    return _xlsx(rows, shared)


def gpkg_recursive_view() -> bytes:
    """A GeoPackage whose feature layer is a view over an endless recursive query."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "view.gpkg"
        gpd.GeoDataFrame(
            {"plot_id": ["A"]}, geometry=[shapely.box(E0, N0, E0 + 50, N0 + 50)], crs=4545
        ).to_file(path, layer="real")
        con = sqlite3.connect(path)
        con.executescript(
            """
            CREATE VIEW plots AS
              WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)
              SELECT n AS fid, NULL AS geom FROM r;
            UPDATE gpkg_contents SET table_name = 'plots' WHERE table_name = 'real';
            UPDATE gpkg_geometry_columns SET table_name = 'plots' WHERE table_name = 'real';
            """
        )
        con.commit()
        con.close()
        return path.read_bytes()


def gpkg_attributes_view() -> bytes:
    """A GeoPackage with one good feature layer and a recursive view beside it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "side.gpkg"
        gpd.GeoDataFrame(
            {"plot_id": ["A"]}, geometry=[shapely.box(E0, N0, E0 + 50, N0 + 50)], crs=4545
        ).to_file(path, layer="plots")
        con = sqlite3.connect(path)
        con.executescript(
            """
            CREATE VIEW notes AS
              WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r;
            INSERT INTO gpkg_contents (table_name, data_type, identifier)
              VALUES ('notes', 'attributes', 'notes');
            """
        )
        con.commit()
        con.close()
        return path.read_bytes()


def sqlite_not_gpkg() -> bytes:
    """A plain SQLite database (no GeoPackage tables) named .gpkg."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plain.gpkg"
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE t (x)")
        con.commit()
        con.close()
        return path.read_bytes()


def bubiao_plots(n: int) -> bytes:
    """A 部标 TXT of ``n`` 50 m squares (5 points each)."""
    lines = ["[属性描述]", "坐标系=2000国家大地坐标系", "几度分带=3", "带号=36", "[地块坐标]"]
    for i in range(n):
        r, c = divmod(i, 100)
        x, y = N0 + r * 60, E0 + c * 60
        lines.append(f"5,0.25,P{i},地块{i},面,,,,@")
        for k, (a, b) in enumerate(
            [(x, y), (x, y + 50), (x + 50, y + 50), (x + 50, y), (x, y)], start=1
        ):
            lines.append(f"J{k},1,{a:.3f},{b:.3f}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def shp_zip_squares(n: int) -> bytes:
    """A zipped Shapefile of ``n`` 50 m squares in EPSG:4545."""
    geoms = [
        shapely.box(E0 + (i % 100) * 60, N0 + (i // 100) * 60, E0 + (i % 100) * 60 + 50,
                    N0 + (i // 100) * 60 + 50)
        for i in range(n)
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        gpd.GeoDataFrame(
            {"plot_id": [f"S{i}" for i in range(n)]}, geometry=geoms, crs=4545
        ).to_file(Path(tmp) / "sq.shp")
        return _zip({p.name: p.read_bytes() for p in sorted(Path(tmp).iterdir())})


def geojson_deep(depth: int) -> bytes:
    """A GeoJSON plot whose property is a list nested ``depth`` deep."""
    nested = "[" * depth + "]" * depth
    return (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        f'{{"a": {nested}}}, "geometry": {{"type": "Polygon", "coordinates": '
        "[[[108.38, 30.80], [108.381, 30.80], [108.381, 30.801], [108.38, 30.80]]]}}]}"
    ).encode()


def geojson_long_name(n_chars: int) -> bytes:
    """A GeoJSON plot whose name is ``n_chars`` long (the reader must hold it several times)."""
    return (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        f'{{"name": "{"x" * n_chars}"}}, "geometry": {{"type": "Polygon", "coordinates": '
        "[[[108.38, 30.80], [108.381, 30.80], [108.381, 30.801], [108.38, 30.80]]]}}]}"
    ).encode()


def geojson_vertices(n: int) -> bytes:
    """A GeoJSON plot whose ring has ``n`` vertices (a fine circle near 高峰园)."""
    t = np.linspace(0.0, 2 * np.pi, n)
    x, y = 108.38 + 0.002 * np.cos(t), 30.80 + 0.002 * np.sin(t)
    x[-1], y[-1] = x[0], y[0]
    coords = ",".join(f"[{a:.6f},{b:.6f}]" for a, b in zip(x, y, strict=True))
    return (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
        f'"geometry": {{"type": "Polygon", "coordinates": [[{coords}]]}}}}]}}'
    ).encode()


def geojson_features(n: int) -> bytes:
    """A GeoJSON of ``n`` small square plots in lon/lat near 高峰园."""
    feats = []
    for i in range(n):
        x, y = 108.30 + (i % 200) * 0.0007, 30.75 + (i // 200) * 0.0007
        ring = [(x, y), (x + 0.0005, y), (x + 0.0005, y + 0.0005), (x, y)]
        coords = ", ".join(f"[{a:.6f}, {b:.6f}]" for a, b in ring)
        feats.append(
            f'{{"type": "Feature", "properties": {{"id": {i}}}, "geometry": '
            f'{{"type": "Polygon", "coordinates": [[{coords}]]}}}}'
        )
    return ('{"type": "FeatureCollection", "features": [' + ", ".join(feats) + "]}").encode()


def zip_members(n: int, *, suffix: str = ".shp") -> bytes:
    """A zip of ``n`` empty members named ``layer<i><suffix>``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for i in range(n):
            zf.writestr(f"layer{i}{suffix}", b"")
    return buf.getvalue()


def kml_entities(padding: int = 10_000) -> bytes:
    """A KML with a "billion laughs" entity declaration after ``padding`` bytes of comment."""
    ents = ['<!ENTITY a0 "lol">'] + [f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 9)]
    return (
        '<?xml version="1.0"?><!--' + " " * padding + "-->"
        f"<!DOCTYPE kml [{''.join(ents)}]>"
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&a8;</name>'
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>108.38,30.80 108.381,30.80 "
        "108.381,30.801 108.38,30.80</coordinates></LinearRing></outerBoundaryIs></Polygon>"
        "</Placemark></Document></kml>"
    ).encode("utf-8")


def kmz_bomb(n_bytes: int) -> bytes:
    """A KMZ whose doc.kml expands to ``n_bytes`` (spaces inside a comment)."""
    kml = b'<?xml version="1.0"?><kml><!--' + b" " * n_bytes + b"--></kml>"
    return _zip({"doc.kml": kml})


def csv_wide(n_cols: int) -> bytes:
    """A CSV with ``n_cols`` columns and two rows."""
    header = ",".join(["X", "Y"] + [f"c{i}" for i in range(n_cols - 2)])
    row = ",".join(["536000", "3409000"] + ["1"] * (n_cols - 2))
    return (header + "\n" + row + "\n" + row + "\n").encode()


def csv_rows(n_rows: int) -> bytes:
    """A CSV point table (plot_id, X, Y) of ``n_rows`` rows in one plot."""
    out = ["plot_id,X,Y"]
    out += [f"P1,{E0 + i % 50:.1f},{N0 + i // 50:.1f}" for i in range(n_rows)]
    return ("\n".join(out) + "\n").encode()
