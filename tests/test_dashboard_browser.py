"""The leader dashboard in headless Chromium against a real `fupin serve`:
drill-down from the city to a village, the link into the review app, the
county map without tiles, a township official's view, and no request to any
other host."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from fupin_lib.cases import create_user, init_db, upsert_run_results
from fupin_lib.metrics._synthetic import write_example_outputs

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
PAGE_TIMEOUT_MS = 150_000
PHONE = {"width": 390, "height": 844}
# The first household of 下坑村, its head's masked name, and a value only its
# clean member row holds.
LINKED = "44122400200"
LINKED_HEAD = "林*"
MEMBER_MARK = "深链测试标记"
DESKTOP = {"width": 1280, "height": 900}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"fupin serve exited with {process.returncode}:\n{log.read_text()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise RuntimeError(f"fupin serve did not listen on port {port} within {timeout} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`fupin serve` on a free port over the example outputs and a case store
    fed from them, with a city leader (4412) and a township reviewer
    (连麦镇, 441224118). The outputs and the clean data (one member row of the
    linked household) reach the kernels only through ``--outputs`` and
    ``--data``, given relative to the server's folder. Yields the base URL
    and the two login tokens."""
    folder = tmp_path_factory.mktemp("dashboard_server")
    outputs = folder / "runs"
    write_example_outputs(outputs)
    member = pd.DataFrame({"household_no": [LINKED], "person_no": ["1"], "name": ["林深链"],
                           "relation_to_head": ["户主"], "health": [MEMBER_MARK]})
    for year in (2019, 2020):
        (folder / "clean" / "441224" / str(year)).mkdir(parents=True)
        member.to_parquet(folder / "clean" / "441224" / str(year) / "members.parquet")
    url = f"sqlite:///{folder / 'fupin.db'}"
    init_db(url)
    for county in ("441224", "441226"):
        for year in (2019, 2020):
            households = pd.read_parquet(outputs / county / str(year) / "households.parquet")
            upsert_run_results(households, county_code=county, year=year, url=url)
    tokens = {
        "leader": create_user("leader", "leader", "4412", url=url),
        "township": create_user("lianmai", "reviewer", "441224118", url=url),
    }

    port = _free_port()
    log = folder / "serve.log"
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("FUPIN_OUTPUTS_ROOT", "FUPIN_CLEAN_ROOT")}
    environment["FUPIN_DB_URL"] = url
    fupin = Path(sys.executable).with_name("fupin")
    command = [str(fupin), "serve", "--port", str(port), "--apps", str(ROOT / "notebooks" / "apps"),
               "--pool-size", "1", "--outputs", "runs", "--data", "clean"]
    with log.open("wb") as handle:
        process = subprocess.Popen(command, cwd=folder, env=environment, stdout=handle,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_port(port, process, log)
        yield {"base": f"http://127.0.0.1:{port}", "tokens": tokens, "port": port}
    finally:
        # The server and its kernels form the process group started above.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def screenshots(tmp_path):
    """Folder for this test's screenshots, in pytest's tmp folder; copied to
    the folder named by ``FUPIN_KEEP_SCREENSHOTS`` when that is set."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    yield folder
    keep = os.environ.get("FUPIN_KEEP_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for path in folder.iterdir():
            shutil.copy(path, Path(keep) / path.name)


def _recorded_context(browser, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    context.set_default_timeout(60_000)
    requests = []
    context.on("request", lambda request: requests.append(request.url))
    return context, requests


def _foreign(requests, port):
    local = {f"127.0.0.1:{port}"}
    return [url for url in requests
            if urlparse(url).scheme not in ("data", "blob", "about") and urlparse(url).netloc not in local]


def _open_dashboard(page, server, who):
    # Voila streams the page while the notebook runs, so wait for the cards,
    # not for the load event.
    page.goto(f"{server['base']}/voila/render/dashboard.ipynb?token={server['tokens'][who]}",
              wait_until="commit", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector(".fupin-kpi-cards .fupin-card", timeout=PAGE_TIMEOUT_MS)


def _crumbs(page):
    return page.locator("button.fupin-crumb").all_inner_texts()


def _drill(page, name):
    page.locator("button.fupin-child", has_text=name).first.click()
    page.wait_for_function(
        "name => [...document.querySelectorAll('button.fupin-crumb')].some(b => b.textContent === name)",
        arg=name, timeout=30_000,
    )


def test_dashboard_leader_drills_to_review(server, browser, screenshots):
    context, requests = _recorded_context(browser, DESKTOP)
    page = context.new_page()
    _open_dashboard(page, server, "leader")

    cards = page.locator(".fupin-kpi-cards").inner_text()
    assert "69 户 / 233 人" in cards
    assert "83.54%" in cards
    assert _crumbs(page) == ["肇庆市"]
    assert page.locator("button.fupin-child").all_inner_texts() == ["怀集县", "德庆县"]

    # The map draws the counties and no tile at all.
    page.wait_for_selector(".fupin-map path.leaflet-interactive", timeout=30_000)
    # All 8 counties of 肇庆市 are drawn; 6 of them have no outputs (grey).
    assert page.locator(".fupin-map path.leaflet-interactive").count() == 8
    assert page.locator(".leaflet-tile, .leaflet-marker-icon").count() == 0
    # The Voila page scrolls inside its own panel, so a tall viewport shows
    # the whole dashboard in one screenshot.
    page.set_viewport_size({"width": DESKTOP["width"], "height": 1700})
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshots / "dashboard_desktop.png"))

    page.set_viewport_size({"width": PHONE["width"], "height": 2400})
    page.wait_for_timeout(500)
    # Nothing sticks out on the right, except inside the tables' own
    # horizontal scroll boxes and the map's clipped panes.
    right_edges = page.evaluate(
        "() => [...document.querySelectorAll('.fupin-dashboard *')]"
        ".filter(e => !e.parentElement.closest('.fupin-scroll, .leaflet-container'))"
        ".map(e => e.getBoundingClientRect().right)"
    )
    assert max(right_edges) <= PHONE["width"] + 1
    page.screenshot(path=str(screenshots / "dashboard_phone.png"))
    page.set_viewport_size(DESKTOP)

    # Clicking a county on the map drills down to it.
    page.locator(".fupin-map path.leaflet-interactive[fill='#bd0026']").first.click(force=True)
    page.wait_for_function("() => document.querySelectorAll('button.fupin-crumb').length === 2", timeout=30_000)
    assert _crumbs(page)[1] == "怀集县"
    page.locator("button.fupin-crumb", has_text="肇庆市").click()
    page.wait_for_function("() => document.querySelectorAll('button.fupin-crumb').length === 1", timeout=30_000)

    for name in ("怀集县", "连麦镇", "下坑村"):
        _drill(page, name)
    assert _crumbs(page) == ["肇庆市", "怀集县", "连麦镇", "下坑村"]
    assert "90.63%" not in page.locator(".fupin-kpi-cards").inner_text()
    page.wait_for_function(
        "() => document.querySelectorAll('.fupin-households a.fupin-review-link').length === 19")
    links = page.locator(".fupin-households a.fupin-review-link")
    rows = page.locator(".fupin-households tr").all_inner_texts()
    assert all("*" in row for row in rows[1:])
    page.screenshot(path=str(screenshots / "village_desktop.png"), full_page=True)

    target = links.first.get_attribute("href")
    links.first.click()
    page.wait_for_url("**/voila/render/review.ipynb?*", wait_until="commit", timeout=PAGE_TIMEOUT_MS)
    query = parse_qs(urlparse(page.url).query)
    assert query == {"household_no": ["44122400200"], "county_code": ["441224"]}
    assert target == "/voila/render/review.ipynb?household_no=44122400200&county_code=441224"
    # Still signed in, and the review app opens that household's page.
    page.wait_for_selector(".fupin-case-info", timeout=PAGE_TIMEOUT_MS)
    assert "fupin/login" not in page.url
    info = page.locator(".fupin-case-info").inner_text()
    assert LINKED in info
    assert LINKED_HEAD in info
    assert "怀集县 连麦镇 下坑村" in info
    # The member row comes from the --data folder, its name masked for a leader.
    assert MEMBER_MARK in info
    assert "林深链" not in info
    # The queue marks the same household (ipywidgets writes no-break spaces).
    selected = page.locator(".fupin-queue select").evaluate(
        "select => [...select.selectedOptions].map(o => o.textContent).join()")
    assert "下坑村 林*" in selected.replace("\xa0", " ")
    page.screenshot(path=str(screenshots / "review_from_dashboard.png"), full_page=True)

    context.close()
    assert requests
    assert _foreign(requests, server["port"]) == []


def test_dashboard_township_sees_only_township(server, browser, screenshots):
    context, requests = _recorded_context(browser, PHONE)
    page = context.new_page()
    _open_dashboard(page, server, "township")

    assert _crumbs(page) == ["连麦镇"]
    cards = page.locator(".fupin-kpi-cards").inner_text()
    assert "49 户 / 163 人" in cards
    assert "90.63%" in cards
    assert "就业 116 / 劳动力 128 人" in cards
    assert sorted(page.locator("button.fupin-child").all_inner_texts()) == ["下坑村", "仓社村", "莲社村"]
    text = page.locator("body").inner_text()
    for outside in ("德庆县", "怀城街道", "城东村", "河口村"):
        assert outside not in text
    assert not page.locator(".fupin-map").is_visible()
    page.screenshot(path=str(screenshots / "township_phone.png"), full_page=True)

    context.close()
    assert _foreign(requests, server["port"]) == []
