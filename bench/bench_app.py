"""The app in a real browser: first load, page switch to the map drawn, a click to the selection.

Starts `planner app` on the demo county and, beside it, an empty Streamlit page served with the
same settings; drives Debian's Chromium with Playwright and prints, each as the median of 5:

- empty page: loading the empty Streamlit page until its text shows (the floor: Streamlit's
  own start-up in the browser on this machine);
- first load: a new browser session opening the planner until the overview's verdict shows
  (the very first one, which also computes the baseline, printed on its own);
- page switch → map drawn: from the schools page, a click on 地图 until the map's canvas and
  legend are drawn (the map of these settings already made once in the session);
- click → selection shown: a click on a unit of the map until the side panel names it.

Every time is also printed as a ratio to the empty page's load.

    python bench/bench_app.py
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("PLANNER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# the map's frame (not one Streamlit is about to replace)
MAP = ("[data-testid=stElementContainer][data-stale=false] "
       "iframe[title='streamlit_folium.st_folium'] >> visible=true")
RUNS = 5
# the side panel's card of the selected unit or school, as text
SELECTION = ("Array.from(document.querySelectorAll('[data-testid=\"stMarkdownContainer\"]'))"
             ".map(e => e.innerText).filter(t => t.includes('单元编码') || "
             "t.includes('学校标识码')).join('|')")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(url: str) -> None:
    for _ in range(400):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not start")


def _serve_planner(port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "PLANNER_WORKSPACE"}
    return subprocess.Popen([sys.executable, "-m", "planner.cli", "app", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _serve_empty(port: int, folder: Path) -> subprocess.Popen:
    script = folder / "empty.py"
    script.write_text('import streamlit as st\n\nst.write("empty page")\n', encoding="utf-8")
    from planner.serve import streamlit_command

    return subprocess.Popen(streamlit_command(script, host="127.0.0.1", port=port),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder)


def _map_drawn(page, timeout: float = 120_000) -> None:
    frame = page.frame_locator(MAP)
    frame.locator(".leaflet-overlay-pane canvas").first.wait_for(state="attached",
                                                                 timeout=timeout)
    frame.locator(".map-legend").wait_for(timeout=timeout)


def main() -> None:
    planner_port, empty_port = _port(), _port()
    folder = Path(tempfile.mkdtemp(prefix="bench-app-"))
    procs = [_serve_planner(planner_port), _serve_empty(empty_port, folder)]
    planner, empty = f"http://127.0.0.1:{planner_port}", f"http://127.0.0.1:{empty_port}"
    times: dict[str, list[float]] = {"empty": [], "first": [], "switch": [], "click": []}
    try:
        _wait_up(planner)
        _wait_up(empty)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for _ in range(RUNS):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                t0 = time.perf_counter()
                page.goto(empty)
                page.get_by_text("empty page").wait_for(timeout=60_000)
                times["empty"].append(time.perf_counter() - t0)
                page.close()
            for _ in range(RUNS + 1):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                t0 = time.perf_counter()
                page.goto(planner)
                page.get_by_text("评估结论").first.wait_for(timeout=300_000)
                times["first"].append(time.perf_counter() - t0)
                page.close()
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{planner}/map")
            _map_drawn(page)
            for _ in range(RUNS):
                page.get_by_role("link", name="学校", exact=True).click()
                page.get_by_text("个学校学段").first.wait_for(timeout=60_000)
                page.wait_for_timeout(300)
                t0 = time.perf_counter()
                page.get_by_role("link", name="地图", exact=True).click()
                _map_drawn(page)
                times["switch"].append(time.perf_counter() - t0)
            page.wait_for_timeout(1000)
            box = page.locator(MAP).bounding_box()
            frame = page.frame_locator(MAP)
            for k in range(RUNS):
                before = page.evaluate(SELECTION)
                t0 = time.perf_counter()
                frame.locator(".leaflet-container").click(position={
                    "x": box["width"] * (0.34 + 0.07 * k), "y": box["height"] * 0.62})
                page.wait_for_function(f"b => ({SELECTION}) !== b && ({SELECTION}) !== ''",
                                       arg=before, timeout=60_000)
                times["click"].append(time.perf_counter() - t0)
                page.wait_for_timeout(400)
            browser.close()
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    floor = statistics.median(times["empty"])
    first_ever, firsts = times["first"][0], times["first"][1:]
    print(f"empty Streamlit page load: {floor:.2f} s (median of {RUNS})")
    print(f"first load ever (computes the baseline): {first_ever:.2f} s "
          f"({first_ever / floor:.1f}× the empty page)")
    for key, text in (("first", "first load of a session (overview shown)"),
                      ("switch", "page switch → map drawn"),
                      ("click", "click on a unit → selection shown")):
        values = firsts if key == "first" else times[key]
        med = statistics.median(values)
        print(f"{text}: {med:.2f} s (median of {len(values)}; {med / floor:.1f}× the empty "
              f"page; all {', '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    from measured import measured  # bench/measured.py: the docs include the output

    with measured(__file__):
        main()
