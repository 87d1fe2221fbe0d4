"""The blank templates in workbooks/templates/ are what the code generates today."""
from pathlib import Path

from kefu_xl.app.templates_build import (
    templates,
    text_templates,
    write_templates,
    xml_parts,
)

REPO = Path(__file__).resolve().parents[2]
FOLDER = REPO / "workbooks" / "templates"


def test_templates_are_up_to_date(tmp_path):
    fresh = write_templates(tmp_path)
    for name, text in text_templates().items():
        assert (FOLDER / name).read_text("utf-8") == text, f"{name} is stale: run python scripts/build_templates.py"
    for path in fresh:
        committed = FOLDER / path.name
        assert committed.exists(), f"{committed} missing: run python scripts/build_templates.py"
        assert xml_parts(committed) == xml_parts(path), \
            f"{committed.name} is stale: run python scripts/build_templates.py and commit the result"


def test_every_kind_has_a_template():
    assert set(templates()) == {p.name for p in FOLDER.glob("*.xlsx")}
