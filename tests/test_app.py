"""The Streamlit app on the demo county: AppTest, and a real headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("PLANNER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def test_app_shows_the_demo_county_and_switches_language():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert [h.value for h in at.header] == ["示范县（合成数据）"]
    assert at.info[0].value == "示范数据为合成数据，并非真实县域。"
    assert at.caption[0].value.startswith("135 所学校，408 个居住单元，在校生 ")
    at.radio(key="lang").set_value("en").run()
    assert at.info[0].value == "The demo data is synthetic, not a real county."
    assert at.caption[0].value.startswith("135 schools, 408 residential units, ")
    at.radio(key="map_section").set_value("junior").run()
    assert not at.exception


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served_app():
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PLANNER_WORKSPACE"}
    proc = subprocess.Popen([sys.executable, "-m", "planner.cli", "app", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("the app did not answer on its port within 60 s:\n" + proc.stdout.read())
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    proc.stdout.close()


def test_app_answers_on_its_port_and_shows_the_demo_in_chromium(served_app):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: apt-get install chromium"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(served_app)
        page.get_by_text("示范县（合成数据）").first.wait_for(timeout=60_000)
        page.get_by_text("示范数据为合成数据").first.wait_for()
        frame = page.frame_locator("iframe").first
        # Leaflet (served locally, no internet) draws catchments and schools on a canvas
        frame.locator(".leaflet-container").wait_for(timeout=60_000)
        frame.locator(".leaflet-overlay-pane canvas").first.wait_for(timeout=60_000)
        assert frame.locator(".leaflet-control-scale").count() == 1
        page.screenshot(path=str(ARTIFACTS / "app_demo_zh.png"))
        page.get_by_text("English").first.click()
        page.get_by_text("The demo data is synthetic, not a real county.").wait_for(
            timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "app_demo_en.png"))
        browser.close()
