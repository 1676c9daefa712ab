"""The front door and the documentation cannot drift from the code.

The README is short and its commands run as written; the documentation builds offline with
warnings as errors (a broken link or a missing include fails); the user's manual has a page,
with its screenshot, for every page of the app and names every command; a method page's
measured figures come only from the bench scripts' output files.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BIN = Path(sys.executable).parent
# the app's pages (app.py) and the manual page describing each
APP_PAGES = ("overview", "map", "schools", "scenario", "optimize", "plan", "export", "province")


def _env() -> dict:
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PATH": f"{BIN}{os.pathsep}"
            + os.environ.get("PATH", "")}


def test_the_documentation_builds_offline_with_warnings_as_errors(tmp_path):
    site = tmp_path / "site"
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d",
                          str(site)], cwd=ROOT, env=_env(), capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    api = (site / "reference" / "api.html").read_text(encoding="utf-8")
    for name in ("open_session", "evaluate", "run_batch", "check_schools", "make"):
        assert f"{name}" in api, name
    plan = (site / "method" / "plan.html").read_text(encoding="utf-8")
    assert "Measured by" in plan and "--8&lt;--" not in plan  # the bench output is included
    assert (site / "manual" / "img" / "overview.png").exists()


def test_a_broken_link_fails_the_build(tmp_path):
    docs = tmp_path / "docs"
    subprocess.run(["cp", "-r", str(DOCS), str(docs)], check=True)
    (docs / "manual" / "map.md").write_text("# 地图\n\n[见此](nowhere.md)\n", encoding="utf-8")
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").replace(
        "docs_dir: docs", f"docs_dir: {docs}")
    (tmp_path / "mkdocs.yml").write_text(config, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f",
                          str(tmp_path / "mkdocs.yml"), "-d", str(tmp_path / "site")],
                         cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    assert run.returncode != 0
    assert "nowhere.md" in run.stdout + run.stderr


def test_the_manual_has_every_app_page_with_its_screenshot():
    from planner.i18n import t
    from planner.report.province import text as province_text

    pages = re.findall(r'st\.Page\(f?"app_pages/(?:\{name\}|(\w+))\.py"', (
        ROOT / "app.py").read_text(encoding="utf-8"))
    listed = re.search(r"PAGES = \((.*?)\)\n", (ROOT / "app.py").read_text(encoding="utf-8"), re.S)
    names = re.findall(r'\("(\w+)", "\w+"\)', listed.group(1))
    assert set(names) | {p for p in pages if p} == set(APP_PAGES)
    for name in APP_PAGES:
        title = province_text("page_province", "zh") if name == "province" else t(
            f"page_{name}", "zh")
        page = (DOCS / "manual" / f"{name}.md").read_text(encoding="utf-8")
        assert page.startswith(f"# {title}"), name
        assert f"![{title}页](img/{name}.png)" in page, name
        assert (DOCS / "manual" / "img" / f"{name}.png").stat().st_size > 20_000, name
    assert {p.stem for p in (DOCS / "manual" / "img").glob("*.png")} == set(APP_PAGES)


def _commands() -> list[str]:
    from planner.cli.parser import parser

    out = []
    sub = next(a for a in parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, p in sub.choices.items():
        inner = [a for a in p._actions if a.__class__.__name__ == "_SubParsersAction"]
        out += [f"planner {name} {s}" for s in inner[0].choices] if inner else [f"planner {name}"]
    return out


def _spans(text: str) -> list[list[str]]:
    """The words of every `planner …` code span (`a\\|b` is two words)."""
    return [re.split(r"[\s\\|]+", s) for s in re.findall(r"`(planner [^`]+)`", text)]


def test_the_manual_names_every_command():
    commands = _commands()
    assert len(commands) >= 20 and "planner scenario undo" in commands
    for page in ("manual/commands.md", "reference/commands.md"):
        spans = _spans((DOCS / page).read_text(encoding="utf-8"))
        for command in commands:
            _, name, *action = command.split()
            assert any(s[1] == name and set(action) <= set(s[2:]) for s in spans), (
                page, command)


# a figure that only a run can give: a time, a memory, a speed-up, a commit
MEASURED = re.compile(r"\b\d[\d,.]*\s?(?:ms|s|min|MB|GB|GiB|×)(?![\w-])|\b[0-9a-f]{7}\b")


def test_method_pages_take_their_figures_from_the_bench_output():
    included = set()
    for page in sorted((DOCS / "method").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        typed = [m.group(0) for m in MEASURED.finditer(text)]
        assert typed == [], (page.name, typed)
        included |= set(re.findall(r'--8<-- "measured/(\w+)\.md"', text))
        if page.stem != "index":
            assert re.search(r'--8<-- "measured/\w+\.md"', text), page.name
    assert {"bench_optimize", "bench_plan", "bench_projection", "bench_batch"} <= included
    for path in sorted((DOCS / "measured").glob("*.md")):
        head = path.read_text(encoding="utf-8").splitlines()[0]
        assert re.match(r"Measured by `python bench/bench_\w+\.py[^`]*` on \d{4}-\d\d-\d\d "
                        r"\d\d:\d\d UTC; machine: \d+ cores", head), path.name
    for script in sorted((ROOT / "bench").glob("bench_*.py")):
        assert "with measured(__file__):" in script.read_text(encoding="utf-8"), script.name
        assert (DOCS / "measured" / f"{script.stem}.md").exists(), script.name


def test_the_bench_output_is_written_only_when_the_run_ends(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import measured
    finally:
        sys.path.remove(str(ROOT / "bench"))
    monkeypatch.setattr(measured, "OUT", tmp_path)
    monkeypatch.setattr(sys, "argv", ["bench_x.py", "--scale", "5"])
    with pytest.raises(RuntimeError), measured.measured("bench/bench_x.py"):
        print("half")
        raise RuntimeError("stopped")
    assert list(tmp_path.iterdir()) == []
    with measured.measured("bench/bench_x.py"):
        print("ratio 2.000×")
    text = (tmp_path / "bench_x_scale_5.md").read_text(encoding="utf-8")
    assert text.startswith("Measured by `python bench/bench_x.py --scale 5` on ")
    assert "```text\nratio 2.000×\n```" in text


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    lines = [line.split("  #")[0].strip() for b in blocks for line in b.splitlines()]
    return [line for line in lines if line.startswith("planner ")]


def test_the_readme_is_a_front_door():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    assert "```bash\npython3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/planner " \
           "app\n```" in text
    assert "```bash\nbash scripts/test\n```" in text
    assert not re.search(r"\b[0-9a-f]{7}\b", text)  # no commit history


def test_the_readme_commands_run_as_written(tmp_path):
    commands = _readme_commands()
    assert commands[0] == "planner demo demo.gpkg"
    assert any(c.startswith("planner export") for c in commands)
    (tmp_path / "geodata").symlink_to(ROOT / "geodata")
    for command in commands:
        run = subprocess.run(shlex.split(command), cwd=tmp_path, env=_env(),
                             capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, (command, run.stdout[-2000:], run.stderr[-2000:])
    assert (tmp_path / "report.html").stat().st_size > 10_000
    assert (tmp_path / "example.gpkg").exists() and (tmp_path / "plan2032.xlsx").exists()
    assert {p.name for p in (tmp_path / "exports" / "plan2032").iterdir()} >= {
        "plan2032.docx", "plan2032_notice.docx", "plan2032_roadmap.docx"}
