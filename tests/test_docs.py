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
