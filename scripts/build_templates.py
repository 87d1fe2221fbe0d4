#!/usr/bin/env python3
"""Regenerate the blank templates in workbooks/templates/ from the code's declarations.

    python scripts/build_templates.py
"""
from pathlib import Path

from kefu_xl.app.templates_build import write_templates

if __name__ == "__main__":
    folder = Path(__file__).resolve().parent.parent / "workbooks" / "templates"
    for path in write_templates(folder):
        print(f"已生成 {path.relative_to(folder.parent.parent)}")
