"""The plot-check report as one HTML page: no scripts, nothing fetched, every text escaped."""

from __future__ import annotations

import base64
import html

from wzgeo.reports._doc import PlotReport

__all__ = ["to_html"]

_CSS = (
    "body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em;max-width:60em}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:2px 6px;"
    "text-align:left;vertical-align:top}p.answer{font-weight:bold;font-size:1.1em}"
    "p.note{font-size:.9em;color:#7a4b00}figure{margin:0}img{max-width:100%}"
    ".sign td{border:none;padding:1.5em 2em 0 0}"
)


def _e(s: str) -> str:
    return html.escape(s, quote=True)


def to_html(report: PlotReport) -> str:
    """The report as a standalone HTML page (UTF-8 text)."""
    t = report.labels
    parts = [
        "<!doctype html>",
        f'<html lang="{"en" if report.lang == "en" else "zh-CN"}"><head><meta charset="utf-8">',
        f"<title>{_e(report.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(report.title)}</h1>",
    ]
    for b in report.blocks:
        if b.kind == "heading":
            parts.append(f"<h2>{_e(b.text)}</h2>")
        elif b.kind == "answer":
            parts.append(f'<p class="answer">{_e(b.text)}</p>')
        elif b.kind == "para":
            parts.append(f"<p>{_e(b.text)}</p>")
        elif b.kind == "note":
            parts.append(f'<p class="note">{_e(b.text)}</p>')
        elif b.kind == "table":
            rows = []
            if any(b.header):
                rows.append("<tr>" + "".join(f"<th>{_e(h)}</th>" for h in b.header) + "</tr>")
            rows += ["<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in b.rows]
            parts.append("<table>" + "".join(rows) + "</table>")
        elif b.kind == "image":
            data = base64.b64encode(b.image).decode("ascii")
            parts.append(
                f'<figure><img alt="{_e(b.text)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{_e(b.text)}</figcaption></figure>"
            )
        elif b.kind == "signature":
            parts.append(
                '<table class="sign"><tr>'
                + "".join(
                    f"<td>{_e(t[k])} ____________</td>"
                    for k in ("checker", "reviewer", "sign_date")
                )
                + "</tr></table>"
            )
    parts.append(f'<p class="note">{_e(t["footer"])}</p></body></html>')
    return "\n".join(parts)
