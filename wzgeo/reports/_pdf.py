"""The plot-check report as a PDF for archiving (reportlab), with an embedded CJK font.

reportlab embeds TrueType fonts only; the text is set in a TrueType subset of Noto Sans CJK
made for the document (:func:`wzgeo.maps.printmap.pdf_font_file`), so the PDF's Chinese text
can be searched and copied. Texts are set as reportlab paragraphs with their markup escaped.
"""

from __future__ import annotations

import hashlib
import io
from xml.sax.saxutils import escape

from wzgeo.reports._doc import PlotReport

__all__ = ["to_pdf"]


def _all_text(report: PlotReport) -> str:
    parts = [report.title, *report.labels.values()]
    for b in report.blocks:
        parts += [b.text, *b.header, *(c for r in b.rows for c in r)]
    return "".join(parts)


def _col_widths(lines: list[tuple[str, ...]], width: float) -> list[float]:
    """Column widths in proportion to the longest text of each column (CJK counted double)."""

    def size(s: str) -> float:
        return sum(2.0 if ord(c) > 0x2E80 else 1.0 for c in s)

    weights = [
        min(max(max((size(line[i]) for line in lines), default=4.0), 12.0), 36.0)
        for i in range(len(lines[0]))
    ]
    total = sum(weights)
    return [width * w / total for w in weights]


def to_pdf(report: PlotReport) -> bytes:
    """The report as PDF bytes (A4)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from wzgeo.maps.printmap import pdf_font_file

    path = pdf_font_file(_all_text(report))
    font = "WzCJK-" + hashlib.sha1(str(path).encode()).hexdigest()[:10]
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(font, str(path)))
    wrap = "CJK" if report.lang == "zh" else None
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=14, wordWrap=wrap)
    styles = {
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, spaceAfter=8),
        "heading": ParagraphStyle(
            "h", parent=base, fontSize=12.5, leading=18, spaceBefore=8, spaceAfter=3
        ),
        "answer": ParagraphStyle(
            "a", parent=base, fontSize=11, leading=16, textColor=colors.HexColor("#7f0000")
        ),
        "para": base,
        "note": ParagraphStyle(
            "n", parent=base, fontSize=8.5, leading=12, textColor=colors.HexColor("#7a4b00")
        ),
        "cell": ParagraphStyle("c", parent=base, fontSize=8.5, leading=11),
    }
    t = report.labels
    story: list[object] = [Paragraph(escape(report.title), styles["title"])]
    width = A4[0] - 36 * mm
    for b in report.blocks:
        if b.kind in ("heading", "answer", "para", "note"):
            story.append(Paragraph(escape(b.text), styles[b.kind]))
        elif b.kind == "table":
            lines = ([b.header] if any(b.header) else []) + list(b.rows)
            data = [[Paragraph(escape(c), styles["cell"]) for c in line] for line in lines]
            table = Table(
                data,
                colWidths=_col_widths(lines, width),
                repeatRows=1 if any(b.header) else 0,
                hAlign="LEFT",
            )
            style = [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
            if any(b.header):
                style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
            table.setStyle(TableStyle(style))
            story += [table, Spacer(1, 3 * mm)]
        elif b.kind == "image":
            img = Image(io.BytesIO(b.image))
            scale = width / img.imageWidth
            img.drawWidth, img.drawHeight = width, img.imageHeight * scale
            story += [img, Paragraph(escape(b.text), styles["note"])]
        elif b.kind == "signature":
            cells = [
                [
                    Paragraph(escape(f"{t[k]} ____________"), base)
                    for k in ("checker", "reviewer", "sign_date")
                ]
            ]
            story.append(Table(cells, colWidths=[width / 3] * 3, hAlign="LEFT"))
    story += [Spacer(1, 6 * mm), Paragraph(escape(t["footer"]), styles["note"])]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=report.title,
        author="wzgeo",
        creator="wzgeo-report",
        initialFontName=font,
    )
    doc.build(story)
    return buf.getvalue()
