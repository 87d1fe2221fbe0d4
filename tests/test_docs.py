"""Every command has help and is documented; the README's set-up commands are the CI's."""
import re
from pathlib import Path

import click
from click.testing import CliRunner

from kefu_xl.cli import cli

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text("utf-8")


def all_commands(group=cli, prefix=()):
    for name, command in group.commands.items():
        path = (*prefix, name)
        if isinstance(command, click.Group):
            yield from all_commands(command, path)
        else:
            yield path


def test_every_command_has_help_and_is_in_the_readme():
    commands = list(all_commands())
    assert {("init",), ("month", "open"), ("recalc",), ("check",), ("demo",)} <= set(commands)
    for path in commands:
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0 and len(result.output) > 150, path
        assert f"kefu-xl {' '.join(path)}" in README, f"README does not document kefu-xl {' '.join(path)}"


def test_readme_starts_with_the_two_setup_commands():
    block = re.search(r"```bash\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert len(block) == 2
    assert block[0].endswith("kefu-xl demo") and "pytest" in block[1]
    assert README.index("```bash") < 60            # right under the title


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text("utf-8")
    assert "README.md" in ci and "libreoffice-calc-nogui" in ci


# --------------------------------------------------------------------------- the project's own docs

DOCS = REPO / "docs"
# the rules a 客服 and a 客服经理 need, each in its own page
RULE_PAGES = ("workbooks", "inputs", "daily", "levels", "work", "plan", "renewal", "newclients", "watch", "spotchecks",
              "archive", "complaints", "callbacks", "onlinesales", "orders", "settle", "commission", "config")
LINK = re.compile(r"\]\(([^)\s]+)\)")
OUTSIDE = re.compile(r"\.\./shared|/shared/|DOMAIN|seeds?\s+\d{3}|seed：|seeds/|\bseeds\b|/work/")


def project_texts():
    """README, docs, and every source, template and script a user or a maintainer reads."""
    yield REPO / "README.md"
    yield from sorted(DOCS.glob("*.md"))
    for folder, pattern in (("kefu_xl", "*.py"), ("kefu_xl/templates", "*"), ("scripts", "*.py"), ("macros", "*")):
        yield from sorted(p for p in (REPO / folder).rglob(pattern) if p.is_file())


def test_the_rules_have_their_own_pages_linked_from_the_readme():
    for name in RULE_PAGES:
        page = DOCS / f"{name}.md"
        assert page.exists(), page
        text = page.read_text("utf-8")
        assert text.startswith("# ") and len(text) > 400, page
    linked = {Path(target).name for target in LINK.findall(README) if target.startswith("docs/")}
    assert {p.name for p in DOCS.glob("*.md")} <= linked, "every page of docs/ is linked from the README"


def test_every_link_of_the_docs_stays_inside_the_repository():
    for page in [REPO / "README.md", *DOCS.glob("*.md")]:
        for target in LINK.findall(page.read_text("utf-8")):
            if target.startswith(("http://", "https://", "#")):
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            assert path.is_relative_to(REPO) and path.exists(), (page.name, target)


def test_nothing_points_outside_the_repository():
    found = []
    for path in project_texts():
        if path.suffix in (".png", ".xlam", ".xlsx", ".pyc"):
            continue
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)


def test_help_texts_point_nowhere_outside():
    for path in all_commands():
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert not OUTSIDE.search(result.output), path
