"""The plot-check report as an editable Word document (python-docx).

Text is set in the document's runs as plain text (Word never interprets it); the East Asian
font is named so Word and WPS show the Chinese text in a CJK font.
"""

from __future__ import annotations

import io

from wzgeo.reports._doc import PlotReport

__all__ = ["to_docx"]

_EAST_ASIA_FONT = "Noto Sans CJK SC"


def _cjk(run: object, size_pt: float | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = _EAST_ASIA_FONT  # type: ignore[attr-defined]
    rpr = run._element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), _EAST_ASIA_FONT)
    if size_pt is not None:
        run.font.size = Pt(size_pt)  # type: ignore[attr-defined]


def to_docx(report: PlotReport) -> bytes:
    """The report as DOCX bytes."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    t = report.labels
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    doc.core_properties.title = report.title
    doc.core_properties.author = "wzgeo"
    head = doc.add_heading(level=0)
    _cjk(head.add_run(report.title))
    for b in report.blocks:
        if b.kind == "heading":
            _cjk(doc.add_heading(level=1).add_run(b.text))
        elif b.kind == "answer":
            run = doc.add_paragraph().add_run(b.text)
            run.bold = True
            _cjk(run, 11.5)
        elif b.kind in ("para", "note"):
            _cjk(doc.add_paragraph().add_run(b.text), 9 if b.kind == "note" else None)
        elif b.kind == "table":
            has_header = any(b.header)
            table = doc.add_table(rows=0, cols=len(b.header) or len(b.rows[0]))
            table.style = "Table Grid"
            lines = ([b.header] if has_header else []) + list(b.rows)
            for i, line in enumerate(lines):
                cells = table.add_row().cells
                for cell, value in zip(cells, line, strict=True):
                    run = cell.paragraphs[0].add_run(value)
                    run.bold = has_header and i == 0
                    _cjk(run, 9)
        elif b.kind == "image":
            doc.add_picture(io.BytesIO(b.image), width=Mm(170))
            cap = doc.add_paragraph()
            cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _cjk(cap.add_run(b.text), 9)
        elif b.kind == "signature":
            table = doc.add_table(rows=1, cols=3)
            for cell, key in zip(
                table.rows[0].cells, ("checker", "reviewer", "sign_date"), strict=True
            ):
                _cjk(cell.paragraphs[0].add_run(f"{t[key]} ____________"))
    _cjk(doc.add_paragraph().add_run(t["footer"]), 8)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
