"""Tests for wzgeo.plan.quality (check records, corrections numbering, JSON/Markdown report)."""

from __future__ import annotations

import json

import pytest

from wzgeo.plan.quality import Check, Findings, Flag, QualityReport, compare


@pytest.mark.parametrize(
    ("stated", "computed", "status", "difference"),
    [
        (10.0, 10.004, "ok", 0.0),
        (10.0, 10.02, "mismatch", 0.02),
        (10.0, 9.5, "mismatch", -0.5),
        (None, 3.0, "missing", None),
        (3.0, None, "missing", None),
    ],
    ids=["within-tolerance", "rounding", "real", "no-stated", "no-computed"],
)
def test_compare_status(
    stated: float | None, computed: float | None, status: str, difference: float | None
) -> None:
    c = compare("合计", "investment_yi", "after_repair", stated, computed, 7)
    assert (c.status, c.difference, c.line) == (status, difference, 7)
    assert ("rounding" in c.note) == (status == "mismatch" and abs(difference or 0) < 0.03)


def test_compare_keeps_a_given_note() -> None:
    c = compare("x", "count", "as_printed", 1.0, 1.01, 1, "as printed")
    assert c.note == "as printed"


def test_findings_number_corrections_in_order() -> None:
    f = Findings()
    for kind in ("merged_row_split", "content_shift"):
        f.correct(
            kind=kind,
            lines=(1,),
            project_ids=(),
            description="d",
            description_zh="中",
            evidence=("e",),
        )
    assert [(c.correction_id, c.kind) for c in f.corrections] == [
        ("C01", "merged_row_split"),
        ("C02", "content_shift"),
    ]


def test_report_json_and_markdown() -> None:
    checks = [
        Check("合计", "count", "as_printed", 135.0, 135.0, 0.0, "ok", 3),
        Check("新材料", "count", "as_printed", 33.0, 32.0, -1.0, "mismatch", 5, "a|b"),
    ]
    report = QualityReport(
        source_name="plan.txt",
        source_sha256="0" * 64,
        summary={"projects": 135, "per": {"a": 1}},
        checks=checks,
        flags=[Flag("AU-01", "year_order", "start 2025 after end 2023", 9)],
        notes=["line\nbreak"],
    )
    data = json.loads(report.to_json())
    assert data["source"] == {"name": "plan.txt", "sha256": "0" * 64}
    assert len(data["checks"]) == 2 and data["flags"][0]["flag"] == "year_order"
    assert report.to_json().endswith("}\n") and "新材料" in report.to_json()
    md = report.to_markdown()
    assert "| 新材料 | count | as_printed | 33 | 32 | -1 | mismatch | 5 | a\\|b |" in md
    assert "| 合计 | count | as_printed" not in md  # ok as_printed: only in the JSON
    assert "(2 checks in all, 1 ok;" in md
    assert "- per: a 1" in md and "- line break" in md
    assert report.mismatches == [checks[1]]
