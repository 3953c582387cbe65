"""The configuration reference in docs/ is generated from the settings and kept in sync."""

from pathlib import Path

from krev.config_docs import render


def test_configuration_doc_matches_settings() -> None:
    doc = Path(__file__).parent.parent / "docs" / "configuration.md"
    assert doc.read_text() == render(), "run `make docs` to regenerate docs/configuration.md"
