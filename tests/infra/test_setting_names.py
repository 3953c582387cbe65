"""The settings renamed by the provider layer keep their older names: an existing deployment's
environment means what it meant."""

from __future__ import annotations

import pytest

from krev.platform.config import Settings


@pytest.mark.parametrize(
    ("old", "new", "field", "value"),
    [
        ("KREV_SEGMENTER", "KREV_SEGMENT_ENGINE", "segment_engine", "onnx"),
        ("KREV_PRODUCT_ANALYZER", "KREV_ANALYZE_ENGINE", "analyze_engine", "openai"),
        ("KREV_LLM_MODEL", "KREV_LLM_VISION_MODEL", "llm_vision_model", "llava:13b"),
    ],
)
def test_an_older_setting_name_still_works(
    monkeypatch: pytest.MonkeyPatch, old: str, new: str, field: str, value: str
) -> None:
    monkeypatch.delenv(new, raising=False)
    monkeypatch.setenv(old, value)
    assert getattr(Settings(), field) == value

    monkeypatch.setenv(new, value + "-new")
    monkeypatch.delenv(old)
    assert getattr(Settings(), field) == value + "-new"
