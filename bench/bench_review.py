"""Benchmark of the review app and the case store.

Measures, for one county of 15,000 households (synthetic run results):

1. the run upsert (first run and an unchanged rerun);
2. opening and filtering the queue through the library (median of 5);
3. in headless Chromium against ``fupin serve`` with preheated kernels:
   time to interactive (page request until the queue list is shown) and
   the time a filter takes to update the queue (median of 5 pages);
4. memory: the resident size (RSS) of each kernel with 20 sessions open.

Run from the project root::

    flock /tmp/fupin-bench.lock .venv/bin/python bench/bench_review.py [--households 15000] [--sessions 20]

Prints one JSON document with the numbers and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

from fupin_lib import cases

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


def _median_seconds(function, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 4)


def bench_library(url: str, households: int) -> dict:
    frame = cases.synthetic_run_results("441202", households, seed=11, townships=12,
                                        villages_per_township=15)
    start = time.perf_counter()
    first = cases.upsert_run_results(frame, county_code="441202", year=2020, url=url)
    upsert = time.perf_counter() - start
    start = time.perf_counter()
    cases.upsert_run_results(frame, county_code="441202", year=2020, url=url)
    rerun = time.perf_counter() - start
    user = cases.User("bench", "reviewer", "441202")
    full = cases.load_queue(user, url=url)
    return {
        "households": households,
        "cases": len(full),
        "cases_opened": first["cases_opened"],
        "upsert_first_s": round(upsert, 3),
        "upsert_rerun_s": round(rerun, 3),
        "queue_open_s": _median_seconds(lambda: cases.load_queue(user, url=url)),
        "queue_filter_band_s": _median_seconds(
            lambda: cases.load_queue(user, risk_bands=["高"], url=url)),
        "queue_filter_township_state_s": _median_seconds(
            lambda: cases.load_queue(user, area="441202003", states=["线索"], url=url)),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_browser(url: str, sessions: int, pool_size: int) -> dict:
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "FUPIN_DB_URL": url}
    token = cases.create_user("bench-browser", "reviewer", "441202", url=url)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "fupin_lib.cli", "serve", "--port", str(port),
         "--pool-size", str(pool_size), "--max-kernels", str(sessions + pool_size + 10)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    link = f"{base}/voila/render/review.ipynb?token={token}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(base + "/fupin/login", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        time.sleep(20)  # let the pool fill before the first request
        results = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 headless=True, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 390, "height": 844})
            tti, filters = [], []
            for number in range(5):
                page = context.new_page()
                page.set_default_timeout(120_000)
                if number:
                    time.sleep(10)  # the pool refills after each use
                start = time.perf_counter()
                page.goto(link)
                page.wait_for_selector(".fupin-queue select")
                tti.append(time.perf_counter() - start)
                before = page.inner_text(".fupin-count")
                start = time.perf_counter()
                page.select_option(".fupin-band select", label="高")
                page.wait_for_function(
                    f"document.querySelector('.fupin-count').innerText != '{before}'")
                filters.append(time.perf_counter() - start)
                page.close(run_before_unload=True)  # lets Voila shut the kernel down
            results["time_to_interactive_s"] = [round(t, 2) for t in tti]
            results["time_to_interactive_median_s"] = round(statistics.median(tti), 2)
            results["browser_filter_s"] = [round(t, 2) for t in filters]
            results["browser_filter_median_s"] = round(statistics.median(filters), 2)

            pages = []
            for _ in range(sessions):
                page = context.new_page()
                page.set_default_timeout(300_000)
                page.goto(link)
                page.wait_for_selector(".fupin-queue select")
                pages.append(page)
            kernels = [p for p in psutil.Process(server.pid).children(recursive=True)
                       if "ipykernel" in " ".join(p.cmdline())]
            rss = sorted(p.memory_info().rss / 2**20 for p in kernels)
            results["sessions_open"] = len(pages)
            results["kernels"] = len(kernels)
            results["kernel_rss_mb_median"] = round(statistics.median(rss), 1)
            results["kernel_rss_mb_max"] = round(max(rss), 1)
            results["server_rss_mb"] = round(psutil.Process(server.pid).memory_info().rss / 2**20, 1)
            browser.close()
        return results
    finally:
        server.terminate()
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=15_000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--pool-size", type=int, default=2)
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-review-"))
    url = f"sqlite:///{folder / 'fupin.db'}"
    cases.init_db(url)
    report = {
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
                    "load_average_at_start": os.getloadavg()},
        "library": bench_library(url, args.households),
    }
    if not args.skip_browser:
        report["browser"] = bench_browser(url, args.sessions, args.pool_size)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
