"""The app in a real browser: page load → map shown, and one edit → updated panel.

Starts `planner app` on the demo county, drives Debian's Chromium with Playwright, and prints
the median of 3 runs of each. The first load, which also computes the baseline (distances,
evaluation) before it is cached, is printed on its own.

    python bench/bench_app.py
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("PLANNER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_map(page) -> None:
    page.locator("iframe").first.scroll_into_view_if_needed(timeout=120_000)
    frame = page.frame_locator("iframe").first
    frame.locator(".leaflet-overlay-pane canvas").first.wait_for(state="attached",
                                                                 timeout=120_000)


def main() -> None:
    port = _port()
    env = {k: v for k, v in os.environ.items() if k != "PLANNER_WORKSPACE"}
    proc = subprocess.Popen([sys.executable, "-m", "planner.cli", "app", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            loads, edits = [], []
            for run in range(4):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                t0 = time.perf_counter()
                page.goto(f"{url}/map")
                _wait_map(page)
                loads.append(time.perf_counter() - t0)
                page.get_by_role("link", name="方案", exact=True).click()
                page.get_by_label("名称").fill(f"bench-{run}")
                page.get_by_label("名称").press("Enter")
                page.get_by_role("button", name="创建").click()
                page.get_by_text("本方案已有 0 项调整").wait_for(timeout=120_000)
                t0 = time.perf_counter()
                page.get_by_role("button", name="执行").first.click()
                page.get_by_text("本方案已有 1 项调整").wait_for(timeout=120_000)
                edits.append(time.perf_counter() - t0)
                page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"first page load to map shown (computes the baseline): {loads[0]:.2f} s")
    print(f"page load to map shown: {statistics.median(loads[1:]):.2f} s (median of 3)")
    print(f"edit to updated panel: {statistics.median(edits[1:]):.2f} s (median of 3; first "
          f"{edits[0]:.2f} s)")


if __name__ == "__main__":
    main()
