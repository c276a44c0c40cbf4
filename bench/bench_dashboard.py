"""Benchmark of the leader dashboard (领导视窗) over province-scale outputs.

Writes synthetic run outputs of about 1,000,000 households per year (two
years) and measures, in one fresh process that imports the app exactly as a
Voila kernel does:

1. the latency of each drill-down step (city → county → township → village
   with its household list, then back up, another KPI and another year), each step
   being one button click that recomputes every KPI, ranking and list of the
   page through `fupin_lib.metrics` and redraws the widgets;
2. the resident memory of that process after every step and at its peak.

By default all households sit in the 8 counties of 肇庆市 (4412) and the user
is its city leader. A user's area is at most a city, so this is the largest
amount of data one dashboard session reads. ``--area 44`` spreads the
households over every county of Guangdong instead.

Run from the project root (the machine is shared, so take the lock):

    flock /tmp/fupin-bench.lock .venv/bin/python bench/bench_dashboard.py

Options: ``--households N`` (per year, default 1,000,000), ``--area``
(default 4412), ``--outputs DIR`` (reuse outputs written by an earlier run),
``--repeat N`` (timed rounds of the warm drill-down, default 3).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEP_BUDGET_MS = 300
RSS_BUDGET_MB = 600


def _write_outputs(folder: Path, households: int, area: str) -> None:
    from fupin_lib.metrics._synthetic import write_synthetic_outputs

    started = time.perf_counter()
    write_synthetic_outputs(folder, households=households, area=area, years=(2019, 2020))
    print(f"outputs written in {time.perf_counter() - started:.1f} s to {folder}", flush=True)


def _measure(outputs: Path, area: str, repeat: int, database: Path) -> dict:
    """Drive the dashboard widgets in this process and return the timings."""
    import resource

    import psutil

    from fupin_lib.apps._dashboard import DashboardSettings, DashboardState
    from fupin_lib.apps.dashboard import build
    from fupin_lib.cases.access import User

    process = psutil.Process()
    city = area if len(area) >= 4 else "4412"
    user = User("bench", "leader", city)

    def find(widget, css_class):
        found = [widget] if css_class in getattr(widget, "_dom_classes", ()) else []
        for child in getattr(widget, "children", ()):
            found += find(child, css_class)
        return found

    def timed(label, action, steps):
        started = time.perf_counter()
        action()
        elapsed = (time.perf_counter() - started) * 1000
        steps.append({"step": label, "ms": round(elapsed, 1), "rss_mb": round(process.memory_info().rss / 2**20, 1)})

    cold = []
    state = DashboardState(user=user, outputs_root=outputs, url=f"sqlite:///{database}")
    page = {}
    timed("first page (builds both years' village summaries)",
          lambda: page.setdefault("root", build(state, DashboardSettings())), cold)
    root = page["root"]

    def click_first(css_class):
        return lambda: find(root, css_class)[0].click()

    def click_crumb(position):
        return lambda: find(root, "fupin-crumb")[position].click()

    def set_value(css_class, value):
        def action():
            find(root, css_class)[0].value = value
        return action

    rounds = []
    for _ in range(repeat):
        steps = []
        timed("city → county", click_first("fupin-child"), steps)
        timed("county → township", click_first("fupin-child"), steps)
        timed("township → village with its household list", click_first("fupin-child"), steps)
        timed("back to city (breadcrumb)", click_crumb(0), steps)
        timed("rank by employment rate", set_value("fupin-kpi", "employment_rate"), steps)
        timed("rank by open problems", set_value("fupin-kpi", "problems_open"), steps)
        rounds.append(steps)
    year_steps = []
    # The 2019 summary exists already (2020's previous year), and 2018 has no outputs.
    timed("switch to 2019", set_value("fupin-year", "2019"), year_steps)
    timed("switch back to 2020", set_value("fupin-year", "2020"), year_steps)

    households_shown = find(root, "fupin-household-list")[0].value.count("fupin-review-link")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"cold": cold, "rounds": rounds, "year": year_steps, "peak_rss_mb": round(peak, 1),
            "household_links_last_village": households_shown, "state_message": state.message}


def _report(result: dict, households: int, area: str) -> int:
    warm = [step["ms"] for steps in result["rounds"][1:] or result["rounds"] for step in steps]
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")
    print(f"data: {households:,} households per year, 2 years, area {area}")
    for step in result["cold"]:
        print(f"  {step['step']:<55} {step['ms']:>8.1f} ms   rss {step['rss_mb']:.0f} MB")
    for number, steps in enumerate(result["rounds"], start=1):
        print(f"round {number}:")
        for step in steps:
            print(f"  {step['step']:<55} {step['ms']:>8.1f} ms   rss {step['rss_mb']:.0f} MB")
    for step in result["year"]:
        print(f"  {step['step']:<55} {step['ms']:>8.1f} ms   rss {step['rss_mb']:.0f} MB")
    print(f"warm drill-down steps (rounds after the first): median {statistics.median(warm):.0f} ms, "
          f"max {max(warm):.0f} ms (budget {STEP_BUDGET_MS} ms)")
    print(f"peak RSS of the process: {result['peak_rss_mb']:.0f} MB (budget {RSS_BUDGET_MB} MB)")
    if result["state_message"]:
        print(f"last message on the page: {result['state_message']}")
    within = max(warm) <= STEP_BUDGET_MS and result["peak_rss_mb"] <= RSS_BUDGET_MB
    print("within budget" if within else "OVER BUDGET")
    return 0 if within else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--area", default="4412")
    parser.add_argument("--outputs", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--database", type=Path, default=None, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)

    if options.measure is not None:
        # Child process: measure only, print the result as JSON.
        print(json.dumps(_measure(options.measure, options.area, options.repeat, options.database)))
        return 0

    with tempfile.TemporaryDirectory(prefix="bench_dashboard_") as scratch:
        outputs = options.outputs
        if outputs is None or not any(outputs.glob("*/*/households.parquet")):
            outputs = outputs or Path(scratch) / "outputs"
            _write_outputs(outputs, options.households, options.area)
        # An empty case store, so that the page's case counts run a real query.
        from fupin_lib.cases import init_db

        database = Path(scratch) / "fupin.db"
        init_db(f"sqlite:///{database}")
        # A fresh process, so that the memory of writing the outputs does
        # not count.
        command = [sys.executable, __file__, "--measure", str(outputs), "--area", options.area,
                   "--repeat", str(options.repeat), "--database", str(database)]
        completed = subprocess.run(command, capture_output=True, text=True)
        if completed.returncode != 0:
            print(completed.stderr, file=sys.stderr)
            return completed.returncode
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        return _report(result, options.households, options.area)


if __name__ == "__main__":
    sys.exit(main())
