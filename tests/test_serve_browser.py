"""The review app in headless Chromium against the real server started by
``fupin serve`` (preheated kernels on), on a free 127.0.0.1 port."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from fupin_lib import cases

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
SCREENSHOTS = Path(os.environ.get("FUPIN_SCREENSHOTS", "/tmp/fupin-screenshots"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _fupin(*args):
    return [sys.executable, "-m", "fupin_lib.cli", *args]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A seeded SQLite store, users, and `fupin serve` on a free port."""
    folder = tmp_path_factory.mktemp("serve")
    url = f"sqlite:///{folder / 'fupin.db'}"
    frame = cases.synthetic_run_results("441202", 400, seed=5)
    # Reasons as long as real ones, which must wrap on a phone.
    high = frame["risk_band"] == "高"
    frame.loc[high, "risk_reasons"] = (frame.loc[high, "risk_reasons"]
                                       + "；家庭成员患慢性病长期服药且无稳定务工收入来源，人均纯收入接近监测线")
    cases.upsert_run_results(frame, county_code="441202", year=2020, url=url)
    env = {**os.environ, "FUPIN_DB_URL": url}
    tokens = {}
    for name, role, area in [("county", "reviewer", "441202"), ("town1", "reviewer", "441202001")]:
        added = subprocess.run(_fupin("user", "add", name, "--role", role, "--area", area),
                               env=env, capture_output=True, text=True, check=True, cwd=ROOT)
        tokens[name] = added.stdout.split()[-1]
    port = _free_port()
    log = (folder / "serve.log").open("w")
    process = subprocess.Popen(_fupin("serve", "--port", str(port), "--pool-size", "1",
                                      "--data", str(folder / "clean"),
                                      "--trusted-header", "X-Test-User"),
                               env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/fupin/login", timeout=2)
            break
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None:
                pytest.fail((folder / "serve.log").read_text())
            time.sleep(0.5)
    yield {"base": base, "port": port, "url": url, "tokens": tokens, "frame": frame,
           "log": folder / "serve.log", "pid": process.pid}
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page_factory(browser, server):
    """New pages in fresh contexts; every request any page attempts is recorded,
    and at the end none may go to another host."""
    contexts, requests = [], []

    def make(width=390, height=844):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.set_default_timeout(60_000)
        return page

    yield make
    for context in contexts:
        context.close()
    hosts = {re.match(r"^[a-z]+://([^/]+)", u).group(1) for u in requests
             if re.match(r"^(https?|wss?)://", u)}
    assert hosts <= {f"127.0.0.1:{server['port']}"}, hosts


def _open_app(page, server, user):
    page.goto(f"{server['base']}/voila/render/review.ipynb?token={server['tokens'][user]}")
    page.wait_for_selector(".fupin-queue select")
    assert "token=" not in page.url


def _count(page) -> int:
    return int(page.inner_text(".fupin-count"))


def _open_case(page, case_id: int):
    # ipywidgets shows spaces in options as no-break spaces.
    label = page.locator(".fupin-queue option",
                         has_text=re.compile(rf"#{case_id}\s")).first.inner_text()
    page.select_option(".fupin-queue select", label=label)
    page.click(".fupin-open")
    page.wait_for_selector(".fupin-case-info")


def test_filter_open_decide_reload(page_factory, server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = page_factory()
    _open_app(page, server, "county")
    total = _count(page)
    page.select_option(".fupin-band select", label="高")
    page.wait_for_function(f"document.querySelector('.fupin-count').innerText != '{total}'")
    high = _count(page)
    frame = server["frame"]
    assert high == int((frame["risk_band"] == "高").sum())
    first = page.locator(".fupin-queue option").first.inner_text()
    case_id = int(re.match(r"#(\d+)\s", first).group(1))
    _open_case(page, case_id)
    assert "户页面" in page.inner_text(".fupin-case-info")
    # Long reasons wrap inside a 390 px screen instead of being cut off.
    right = page.evaluate("Math.max(...[...document.querySelectorAll('.fupin-kv td')]"
                          ".map(cell => cell.getBoundingClientRect().right))")
    assert right <= 390
    page.screenshot(path=str(SCREENSHOTS / "review-390.png"), full_page=True)
    page.locator(".fupin-case-info").screenshot(path=str(SCREENSHOTS / "case-390.png"))

    page.select_option(".fupin-action select", label="入户核实")
    page.fill(".fupin-note textarea", "浏览器测试：已入户核实")
    page.click(".fupin-submit")
    page.wait_for_selector(".fupin-message >> text=已记录：入户核实。")

    page.reload()
    page.wait_for_selector(".fupin-queue select")
    _open_case(page, case_id)
    info = page.inner_text(".fupin-case-info")
    assert "浏览器测试：已入户核实" in info
    assert "入户核实" in info

    wide = page_factory(1280, 900)
    _open_app(wide, server, "county")
    _open_case(wide, case_id)
    wide.screenshot(path=str(SCREENSHOTS / "review-desktop.png"), full_page=True)


def test_township_user_stays_in_township(page_factory, server):
    page = page_factory()
    _open_app(page, server, "town1")
    assert "town1" in page.inner_text("body")
    county_cases = cases.load_queue(cases.User("x", "leader", "441202"), url=server["url"])
    own = county_cases[county_cases["township_code"] == "441202001"]
    assert _count(page) == len(own)
    labels = page.locator(".fupin-queue option").all_inner_texts()
    shown = {int(re.match(r"#(\d+)\s", label).group(1)) for label in labels}
    assert shown and shown <= set(own["case_id"].astype(int))
    # The area filter cannot widen the view.
    page.fill(".fupin-area input", "441202002")
    page.press(".fupin-area input", "Enter")
    page.wait_for_selector(".fupin-message >> text=不在您的管辖区域")
    # No other route serves data, notebooks or listings.
    for path in ["/voila/tree", "/voila/api/contents", "/voila/api/contents/review.ipynb",
                 "/voila/files/review.ipynb", "/voila/render/../../data/fupin.db",
                 "/api/kernels", "/api/contents"]:
        response = page.request.get(server["base"] + path, max_redirects=0)
        assert response.status in (302, 403, 404, 405), (path, response.status)
        assert "441202002" not in response.text()


def test_link_other_township_denied(page_factory, server):
    # A township official edits a dashboard link to a household of another
    # township: only the short "无权查看" message shows, and the attempt is audited.
    frame = server["frame"]
    foreign = frame[frame["township_code"] != "441202001"].iloc[0]
    number = str(foreign["household_no"])
    page = page_factory()
    page.goto(f"{server['base']}/voila/render/review.ipynb?token={server['tokens']['town1']}"
              f"&household_no={number}&county_code=441202")
    page.wait_for_selector(".fupin-denied")
    assert "token=" not in page.url
    assert f"household_no={number}" in page.url
    body = page.inner_text("body")
    assert "无权查看" in body
    for leaked in (number, str(foreign["village"]), str(foreign["head_name_masked"])):
        assert leaked not in body
    assert page.locator(".fupin-queue, .fupin-case-info").count() == 0
    log = cases.read_audit_log(cases.User("x", "admin", "4412"), url=server["url"])
    denied = log[(log["user_name"] == "town1") & (log["action"] == "denied")]
    assert f"441202/{number}" in set(denied["object_id"])


def test_sign_in_required(page_factory, server):
    page = page_factory()
    page.goto(server["base"] + "/voila/render/review.ipynb")
    assert "/fupin/login" in page.url
    assert "登录令牌" in page.inner_text("body")
    page.fill("input[name=token]", "wrong-token")
    page.click("button[type=submit]")
    assert "令牌无效" in page.inner_text("body")
    page.fill("input[name=token]", server["tokens"]["town1"])
    page.click("button[type=submit]")
    page.wait_for_selector(".fupin-queue select")
    assert "town1" in page.inner_text("body")
    # A ticket header from the browser is ignored.
    response = page.request.get(server["base"] + "/voila/render/review.ipynb",
                                headers={"X-Fupin-Ticket": "forged", "Cookie": ""},
                                max_redirects=0)
    assert response.status == 302


def test_trusted_header_signs_in(page_factory, server):
    page = page_factory()
    url = server["base"] + "/voila/render/review.ipynb"
    unknown = page.request.get(url, headers={"X-Test-User": "nobody"}, max_redirects=0)
    assert unknown.status == 403
    assert "未在工作台登记" in unknown.text()
    known = page.request.get(url, headers={"X-Test-User": "town1"}, max_redirects=0,
                             timeout=120_000)
    assert known.status == 200


def _kernel_count(pid: int) -> int:
    import psutil

    return sum("ipykernel" in " ".join(child.cmdline())
               for child in psutil.Process(pid).children(recursive=True))


def _steady_kernel_count(pid: int) -> int:
    count, previous = _kernel_count(pid), -1
    while count != previous:
        time.sleep(2)
        count, previous = _kernel_count(pid), count
    return count


def test_closed_page_shuts_its_kernel_down(browser, server):
    # Voila's page sends a beacon with the _xsrf cookie when it closes; without
    # that cookie the server returned 403 and every closed page kept its kernel.
    before = _steady_kernel_count(server["pid"])
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(60_000)
    _open_app(page, server, "county")
    assert any(cookie["name"] == "_xsrf" for cookie in context.cookies())
    page.close(run_before_unload=True)
    context.close()
    # The pool starts a kernel in place of the one the page took; once the
    # page's own kernel is gone the count is back where it started.
    deadline = time.monotonic() + 60
    while _steady_kernel_count(server["pid"]) > before and time.monotonic() < deadline:
        time.sleep(1)
    assert _kernel_count(server["pid"]) <= before
    assert "_xsrf' argument missing" not in server["log"].read_text()


def test_busy_port_fails_loudly(server):
    env = {**os.environ, "FUPIN_DB_URL": server["url"]}
    result = subprocess.run(_fupin("serve", "--port", str(server["port"])), env=env,
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert f"端口 {server['port']} 已被占用" in result.stderr
    # Nothing claims the server runs: the port error is the only output.
    assert "按 Ctrl+C 停止服务" not in result.stdout
    assert "http://" not in result.stdout
    # The running server announced both apps once its port was bound.
    announced = server["log"].read_text()
    base = f"http://127.0.0.1:{server['port']}/voila/render/"
    assert f"复核工作台：{base}review.ipynb" in announced
    assert f"领导视窗：{base}dashboard.ipynb" in announced
    assert "按 Ctrl+C 停止服务" in announced


def test_sigterm_stops_without_traceback(browser, server, tmp_path):
    # With a page open, a polite shutdown on SIGTERM made kernels log a
    # ZMQError traceback ("Socket operation on non-socket").
    import psutil

    env = {**os.environ, "FUPIN_DB_URL": server["url"]}
    output = tmp_path / "serve.log"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with output.open("w") as log:
        process = subprocess.Popen(_fupin("serve", "--port", str(port), "--pool-size", "1",
                                          "--data", str(tmp_path / "clean")),
                                   env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while "按 Ctrl+C" not in output.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, output.read_text()
            time.sleep(0.5)
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(60_000)
        _open_app(page, {**server, "base": base}, "county")
        kernels = psutil.Process(process.pid).children(recursive=True)
        assert len(kernels) >= 2
        process.terminate()
        assert process.wait(timeout=60) == 0
        context.close()
    text = output.read_text()
    assert "Traceback" not in text
    assert "ZMQError" not in text
    assert not [k for k in kernels if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]
