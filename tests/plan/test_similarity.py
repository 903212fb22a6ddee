"""Tests for wzgeo.plan.similarity (name ↔ content agreement)."""

from __future__ import annotations

import pytest

from wzgeo.plan.similarity import content_similarity


def test_content_similarity_prefers_matching_text() -> None:
    name = "数字机顶盒生产项目"
    assert content_similarity(name, "建设数字机顶盒生产项目。") == 1.0
    assert content_similarity(name, "生产固态电容、片式电感等被动元件。") == 0.0
    assert content_similarity("", "任何内容") == 0.0


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("年产5000吨铜杆项目", "年产8000吨铜杆。"),  # quantities are not words
        ("PCB电路板项目", "建设pcb电路板生产线"),  # Latin words compared case-blind
    ],
    ids=["quantities", "latin"],
)
def test_generic_words_and_quantities_do_not_count(name: str, content: str) -> None:
    assert content_similarity(name, content) == 1.0
    assert content_similarity(name, "建设生产项目基地") == 0.0
