"""Benchmark of county runs (``fupin run``): time and memory.

Part 1 runs the 8 Zhaoqing counties of a full-scale sample (about 42,000
households) one after another in this process and then on a local Dask
cluster of 2 workers. Part 2 simulates a province of small counties by
copying sampled households of the 8 counties under new county codes, and
measures how the wall time grows with the number of counties and workers.

Memory is the resident set size (RSS) of this process and all its
descendants (Dask workers and kernels), sampled every 0.5 s: the peak of the
whole tree and the peak of any single kernel.

Usage::

    flock /tmp/fupin-bench.lock .venv/bin/python bench/bench_runs.py \\
        --data /tmp/fupin-bench/clean --work /tmp/fupin-bench

Without ``--data`` the sample is generated and imported into ``--work`` first
(not timed).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import threading
import time
from pathlib import Path

import pandas as pd
import psutil

from fupin_lib.runs import available_years, run_counties

ZHAOQING = ("441202", "441203", "441204", "441223", "441224", "441225", "441226", "441284")


class MemorySampler:
    """Sample the RSS of this process tree in a background thread."""

    def __init__(self, interval=0.5):
        self.interval = interval
        self.peak_total = 0
        self.peak_kernel = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        root = psutil.Process()
        while not self._stop.is_set():
            total, kernel = root.memory_info().rss, 0
            for child in root.children(recursive=True):
                try:
                    rss = child.memory_info().rss
                    is_kernel = "ipykernel_launcher" in " ".join(child.cmdline())
                except psutil.Error:
                    continue
                total += rss
                if is_kernel:
                    kernel = max(kernel, rss)
            self.peak_total = max(self.peak_total, total)
            self.peak_kernel = max(self.peak_kernel, kernel)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def prepare_sample(work: Path, households: int) -> Path:
    """Generate and import the Zhaoqing sample (2019 and 2020)."""
    from fupin_lib.io import import_files
    from fupin_lib.sample import generate_sample

    sample, clean = work / "sample", work / "clean"
    generate_sample(city="4412", households=households, seed=0, out=sample, years=(2019, 2020))
    files = sorted(p for p in sample.rglob("*") if p.suffix in {".xlsx", ".xls", ".csv"})
    import_files(files, out=clean)
    return clean


def simulate_province(clean: Path, target: Path, counties: int, households_per_county: int,
                      year: int) -> list[str]:
    """Write `counties` small counties under codes 45xx01...: each a sample of
    one Zhaoqing county's households (with their members and verifications),
    the county code rewritten."""
    codes = []
    for index in range(counties):
        source = ZHAOQING[index % len(ZHAOQING)]
        code = f"45{index // 20 + 1:02d}{index % 20 + 1:02d}"
        codes.append(code)
        for table_year in (year - 1, year):
            folder = clean / source / str(table_year)
            if not folder.exists():
                continue
            out = target / code / str(table_year)
            out.mkdir(parents=True)
            households = pd.read_parquet(folder / "households.parquet")
            chosen = households.sample(n=min(households_per_county, len(households)), random_state=index)
            keep = set(chosen["household_no"])
            for name in ("households", "members", "verifications"):
                path = folder / f"{name}.parquet"
                if not path.exists():
                    continue
                frame = pd.read_parquet(path)
                frame = frame[frame["household_no"].isin(keep)].copy()
                frame["county_code"] = frame["county_code"].astype("string").str.replace(
                    source, code, regex=False) if "county_code" in frame else code
                frame.to_parquet(out / f"{name}.parquet", index=False)
    return codes


def timed_run(counties, *, year, data, out, workers, model):
    if out.exists():
        shutil.rmtree(out)
    with MemorySampler() as memory:
        start = time.perf_counter()
        table = run_counties(counties, year=year, data_root=data, model_dir=model, output_root=out,
                             workers=workers, progress=False)
        seconds = time.perf_counter() - start
    return {
        "counties": len(counties), "workers": workers, "seconds": round(seconds, 1),
        "failed": int((table["status"] != "success").sum()),
        "median_county_seconds": round(float(table["seconds"].median()), 1),
        "peak_total_gb": round(memory.peak_total / 2**30, 2),
        "peak_kernel_gb": round(memory.peak_kernel / 2**30, 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="clean root with the 8 Zhaoqing counties")
    parser.add_argument("--work", type=Path, default=Path("/tmp/fupin-bench"))
    parser.add_argument("--households", type=int, default=42_000)
    parser.add_argument("--model", default="", help="risk model folder (default: none)")
    parser.add_argument("--year", type=int, default=2020)
    parser.add_argument("--province", nargs="*", default=["12:1", "12:2", "120:2"],
                        help="runs of the simulated province as COUNTIES:WORKERS")
    parser.add_argument("--province-households", type=int, default=300)
    parser.add_argument("--skip-city", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("FUPIN_DB_URL", f"sqlite:///{args.work / 'bench.db'}")
    args.work.mkdir(parents=True, exist_ok=True)

    clean = args.data or prepare_sample(args.work, args.households)
    results = {"machine": {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30),
                           "python": platform.python_version(), "platform": platform.platform()}}
    if not args.skip_city:
        counties = [c for c in ZHAOQING if c in available_years(clean)]
        sizes = {c: len(pd.read_parquet(clean / c / str(args.year) / "households.parquet")) for c in counties}
        results["city_households"] = sum(sizes.values())
        results["city"] = [
            timed_run(counties, year=args.year, data=clean, out=args.work / "out-serial", workers=0,
                      model=args.model),
            timed_run(counties, year=args.year, data=clean, out=args.work / "out-dask", workers=2,
                      model=args.model),
        ]
        print(json.dumps(results["city"], ensure_ascii=False), flush=True)

    results["province"] = []
    for run in args.province:
        count, workers = (int(part) for part in run.split(":"))
        province = args.work / f"province-{count}"
        if not province.exists():
            simulate_province(clean, province, count, args.province_households, args.year)
        codes = sorted(p.name for p in province.iterdir())
        row = timed_run(codes, year=args.year, data=province, out=args.work / f"out-p{count}-w{workers}",
                        workers=workers, model=args.model)
        results["province"].append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    (args.work / "bench_runs.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
