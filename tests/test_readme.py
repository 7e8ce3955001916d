"""The README's command examples run as written on the demo data; no Markdown link leaves the repository."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READMES = [ROOT / "README.md", ROOT / "dashboards" / "README.md"]
SAFE = {("cohort",), ("segments", "list")}  # read-only: safe to run on any warehouse


def commands(markdown: Path) -> list[list[str]]:
    """Every `uv run rollcall …` line of the file's ```sh blocks (continuations joined, comments cut)."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", markdown.read_text(encoding="utf-8"), flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words[:3] == ["uv", "run", "rollcall"]:
                found.append(words[3:])
    return found


def safe(args: list[str]) -> list[str] | None:
    """The command to run for a README line, or None; `segments list|build|…` runs `list`."""
    if args[:1] == ["segments"] and args[1].split("|")[0] == "list":
        return ["segments", "list"]
    return args if tuple(args[:1]) in SAFE else None


def test_the_readme_shows_safe_commands_to_run():
    runnable = [safe(c) for r in READMES for c in commands(r) if safe(c)]
    assert sum(c[0] == "cohort" for c in runnable) >= 2
    assert ["segments", "list"] in runnable


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> Path:
    """What `make demo` builds (the sample data, its campaign ids), at 300 people."""
    from pipelines.lib import sample
    from pipelines.run import run_all

    root = tmp_path_factory.mktemp("demo")
    sample.generate(root / "landing", people=300)
    run_all(root / "landing", root / "warehouse.duckdb")
    return root / "warehouse.duckdb"


def test_every_safe_readme_command_runs_as_written_on_the_demo_data(demo_warehouse, tmp_path):
    env = dict(os.environ, ROLLCALL_WAREHOUSE=str(demo_warehouse))
    ran = 0
    for readme in READMES:
        for args in commands(readme):
            run = safe(args)
            if run is None:
                continue
            out = subprocess.run(
                [sys.executable, "-m", "pipelines.cli", *run],
                cwd=tmp_path, env=env, capture_output=True, text=True,
            )  # fmt: skip
            assert out.returncode == 0, f"{readme.name}: uv run rollcall {shlex.join(args)}\n{out.stderr}"
            ran += 1
    assert ran >= 3
    assert (tmp_path / "followup.csv").read_text(encoding="utf-8").startswith('"person_id",')


def test_the_demo_hint_is_a_command_that_runs():
    """`rollcall demo` prints the cohort's command with `uv run` (a bare `rollcall` is not on PATH)."""
    source = (ROOT / "pipelines" / "cli.py").read_text(encoding="utf-8")
    assert "(uv run rollcall cohort --campaign" in source
    assert "  (rollcall cohort" not in source


def markdown_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "*.md"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / name for name in listed.stdout.split()]


def test_no_markdown_link_leaves_the_repository():
    files = markdown_files()
    assert ROOT / "README.md" in files
    bad = []
    for path in files:
        text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text):
            if target.startswith("#"):
                continue  # an anchor in the same page
            if re.match(r"^[a-z][a-z+.-]*:", target):  # a web address leaves too
                bad.append(f"{path.relative_to(ROOT)}: {target}")
                continue
            resolved = (path.parent / target.split("#")[0]).resolve()
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                bad.append(f"{path.relative_to(ROOT)}: {target}")
    assert not bad, bad
