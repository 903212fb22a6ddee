"""The CJK font of printed maps and reports: Noto Sans CJK from Debian's ``fonts-noto-cjk``.

The font is found by path (never searched for by name: a machine with another CJK font would
give different pages), registered with matplotlib once, and embedded in PDFs as TrueType
(``pdf.fonttype`` 42), so the Chinese text of a PDF can be searched and copied.
``WZGEO_CJK_FONT`` names another ``.ttc``/``.otf``/``.ttf`` file.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Final

from wzgeo.errors import WzgeoError

__all__ = [
    "CJK_FONT_PATH",
    "FAMILY",
    "MissingFontError",
    "cjk_font_path",
    "print_rc",
    "truetype_subset",
    "use_truetype",
]

CJK_FONT_PATH: Final = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FAMILY: Final = "Noto Sans CJK SC"
_lock = threading.Lock()
_registered: set[str] = set()


class MissingFontError(WzgeoError):
    """The CJK font file is not installed."""


def cjk_font_path() -> Path:
    """The CJK font file (``WZGEO_CJK_FONT`` or :data:`CJK_FONT_PATH`).

    Raises
    ------
    MissingFontError
        The file does not exist.
    """
    path = Path(os.environ.get("WZGEO_CJK_FONT") or CJK_FONT_PATH)
    if not path.is_file():
        raise MissingFontError(
            f"找不到中文字体文件 {path}：打印地图和报告需要思源黑体（Noto Sans CJK）。请安装 "
            "Debian 包 fonts-noto-cjk（sudo apt-get install fonts-noto-cjk），或用环境变量 "
            "WZGEO_CJK_FONT 指定字体文件。",
            f"CJK font file {path} not found: printed maps and reports need Noto Sans CJK. "
            "Install the Debian package fonts-noto-cjk (sudo apt-get install fonts-noto-cjk), "
            "or name a font file in the environment variable WZGEO_CJK_FONT.",
        )
    return path


def _family(path: Path) -> str:
    """Register ``path`` with matplotlib (once) and return the family name to ask for."""
    from matplotlib import font_manager

    key = str(path)
    with _lock:
        if key not in _registered:
            font_manager.fontManager.addfont(key)
            _registered.add(key)
    names = {f.name for f in font_manager.fontManager.ttflist if f.fname == key}
    if FAMILY in names:
        return FAMILY
    if not names:  # pragma: no cover - addfont raises on unreadable files
        raise MissingFontError(
            f"字体文件 {path} 无法读取。", f"The font file {path} could not be read."
        )
    return sorted(names)[0]


def print_rc() -> dict[str, Any]:
    """matplotlib settings for printed output: the CJK font, embedded as TrueType in PDFs,
    text drawn as outlines in SVG (the file then needs no font on the viewer's machine).

    Raises
    ------
    MissingFontError
        The font is not installed.
    """
    family = _family(cjk_font_path())
    return {
        "font.family": [family],
        "font.sans-serif": [family, "DejaVu Sans"],
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "path",
        "axes.unicode_minus": False,
        "text.parse_math": False,  # text from files is shown as written ("$x$" stays "$x$")
        "savefig.facecolor": "white",
    }


# --- TrueType for PDFs ------------------------------------------------------------------------
# Noto Sans CJK is CFF-flavoured OpenType. matplotlib embeds a "Type 42" font as a TrueType
# font file (FontFile2) and cannot embed CFF outlines correctly (matplotlib issues #2869,
# #20870): readers warn or show nothing. So a PDF's text is set in a small TrueType font made
# for it: the characters it uses, taken from Noto Sans CJK SC and converted to quadratic
# outlines (fontTools, as its otf2ttf snippet does). Kept on disk by character set.

_SC_INDEX: Final = "Noto Sans CJK SC"
_SUBSET_VERSION: Final = 2  # part of the cache key: change it when the files change


def _face_number(path: Path) -> int:
    from fontTools.ttLib import TTCollection

    if path.suffix.lower() not in (".ttc", ".otc"):
        return -1
    with TTCollection(str(path), lazy=True) as col:
        names = [f["name"].getDebugName(1) for f in col.fonts]
    return names.index(_SC_INDEX) if _SC_INDEX in names else 0


def _to_truetype(font: Any) -> None:
    """Convert a CFF-flavoured font (in place) to TrueType outlines."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    font.recalcBBoxes = True
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    for table in ("CFF ", "VORG"):
        if table in font:
            del font[table]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, g in glyphs.items():
        hmtx.metrics[name] = (hmtx.metrics[name][0], getattr(g, "xMin", 0))
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for attr in (
        "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
        "maxStackElements", "maxSizeOfInstructions", "maxComponentElements", "maxPoints",
        "maxContours", "maxCompositePoints", "maxCompositeContours", "maxComponentDepth",
    ):  # fmt: skip
        setattr(maxp, attr, 0)
    maxp.numGlyphs = len(order)
    maxp.compile(font)
    post = font["post"]
    post.formatType, post.extraNames, post.mapping, post.glyphOrder = 2.0, [], {}, order
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


def truetype_subset(chars: str) -> Path:
    """A TrueType font file holding ``chars`` (and ASCII) drawn as in Noto Sans CJK SC.

    Raises
    ------
    MissingFontError
        The CJK font is not installed.
    """
    import hashlib
    import tempfile

    from fontTools import subset
    from platformdirs import user_cache_dir

    src = cjk_font_path()
    wanted = "".join(sorted(set(chars) | {chr(c) for c in range(32, 127)}))
    stat = src.stat()
    stamp = f"{_SUBSET_VERSION}|{src}|{stat.st_size}|{stat.st_mtime_ns}|{wanted}"
    key = hashlib.sha256(stamp.encode()).hexdigest()
    folder = Path(user_cache_dir("wzgeo")) / "fonts"
    out = folder / f"cjk-{key[:24]}.ttf"
    if out.is_file():
        return out
    opts = subset.Options()
    opts.font_number = _face_number(src)
    opts.notdef_outline = True
    opts.desubroutinize = True
    opts.name_IDs = ["*"]
    opts.drop_tables += ["VORG", "vhea", "vmtx", "GSUB", "GPOS", "BASE", "DSIG"]
    folder.mkdir(parents=True, exist_ok=True)
    with subset.load_font(str(src), opts) as font:
        sub = subset.Subsetter(options=opts)
        sub.populate(text=wanted)
        sub.subset(font)
        if "CFF " in font:
            _to_truetype(font)
        # a PostScript name of its own: PDF writers (reportlab) keep faces by that name, and
        # two subsets with one name would share the first one's glyphs
        ps_name = f"NotoSansCJKsc-Regular-{key[:8]}"
        for rec in font["name"].names:
            if rec.nameID in (4, 6):
                rec.string = ps_name
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as tmp:
            font.save(tmp)
    os.replace(tmp.name, out)
    return out


def use_truetype(fig: Any) -> None:
    """Set every text of ``fig`` in a TrueType subset of the CJK font (for PDF output)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.text import Text

    texts = [t for t in fig.findobj(Text) if t.get_text()]
    path = truetype_subset("".join(t.get_text() for t in texts))
    for t in texts:
        t.set_fontproperties(
            FontProperties(fname=str(path), size=t.get_fontsize(), weight="normal")
        )
