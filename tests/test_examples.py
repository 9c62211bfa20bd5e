"""Every command example in `--help`, and the next step `init` prints, runs as typed with the installed command."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO_ROOT
from factsheet.cli import cli

# Examples that cannot end on their own here: watch runs until Ctrl-C, and this one mails a real server.
NOT_RUN = ("factsheet watch", "FACTSHEET_SMTP_HOST=smtp.example.org")


def help_examples() -> list[str]:
    """The example lines of every command's help text, as printed."""
    examples = []
    for name in sorted(cli.commands):
        text = CliRunner().invoke(cli, [name, "--help"]).output
        block = text.split("Example", 1)[1].split("Options:", 1)[0]
        examples += [line.strip() for line in block.splitlines()[1:] if line.strip()]
    return examples


EXAMPLES = help_examples()


def test_every_command_shows_examples():
    assert len(EXAMPLES) >= 9 and all("factsheet" in line for line in EXAMPLES)


@pytest.fixture
def shell_env(tmp_path):
    """A copy of the repository's project (as the Quick start leaves it) and a PATH holding this `factsheet`."""
    root = tmp_path / "repo"
    for folder in ("factsheets", "translations", "templates", "editions", "docs"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    command = Path(sys.executable).parent / "factsheet"
    assert command.is_file(), f"the console script is not installed beside {sys.executable}"
    env = {**os.environ, "PATH": f"{command.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return root, env


@pytest.mark.parametrize("line", [line for line in EXAMPLES if not line.startswith(NOT_RUN)])
def test_a_help_example_runs_as_typed(shell_env, line):
    root, env = shell_env
    if " build kursk-casualties" in line or "send" in line:
        subprocess.run("factsheet build -q", shell=True, cwd=root, env=env, check=True, capture_output=True)
    done = subprocess.run(line, shell=True, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stdout + done.stderr


def test_the_next_step_init_prints_runs_as_typed(shell_env):
    root, env = shell_env
    done = subprocess.run("factsheet init new-desk", shell=True, cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    steps = re.search(r"Next: (.+), then (.+)$", done.stdout.strip())
    assert steps, done.stdout
    for step in steps.groups():
        ran = subprocess.run(step, shell=True, cwd=root, env=env, capture_output=True, text=True, timeout=600)
        assert ran.returncode == 0, f"{step}\n{ran.stdout}\n{ran.stderr}"
    assert sorted(p.name for p in (root / "new-desk" / "out").glob("*.pdf"))
