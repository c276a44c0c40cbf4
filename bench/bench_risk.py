"""Benchmark of the risk model: quality on the held-out year, and scoring
speed and memory at one million households.

    flock /tmp/fupin-bench.lock .venv/bin/python bench/bench_risk.py \
        --data /tmp/risk_bench/clean --work /tmp/risk_bench/work

``--data`` is a clean-data root of the sample panel 2017-2020 (for example
42,000 households from `fupin_lib.sample.generate_sample`, imported with
`fupin import`). The quality part trains with `train_model` (features of 2018
train and calibrate, 2019 -> 2020 is the test) and prints the test metrics
against the rules-only baseline. The scoring part runs in a fresh process.
It repeats the 2019 and 2018 tables of all counties until it has
``--households`` households, with household numbers made unique per copy.
Then it times `score_households` (features, calibrated probabilities,
reasons, suggested category) and reports the peak resident memory of that
process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

TARGET_SECONDS = 30.0
TARGET_PEAK_GB = 6.0


def _quality(data: Path, work: Path) -> dict:
    from fupin_lib.risk import train_model

    start = time.perf_counter()
    result = train_model(data, out=work / "model")
    seconds = time.perf_counter() - start
    m = result.report.metrics
    keys = ["n_households", "positive_rate", "roc_auc", "average_precision", "brier", "ece",
            "recall_at_5pct", "recall_at_10pct", "recall_at_20pct", "precision_at_10pct",
            "logistic_roc_auc", "logistic_recall_at_10pct", "logistic_ece",
            "baseline_roc_auc", "baseline_average_precision", "baseline_recall_at_5pct",
            "baseline_recall_at_10pct", "baseline_recall_at_20pct", "baseline_precision_at_10pct",
            "baseline_brier", "baseline_flagged_share"]
    quality = {k: m.get(k) for k in keys}
    quality["train_seconds"] = round(seconds, 1)
    quality["train_years"] = result.metadata["train_years"]
    quality["test_year"] = result.metadata["test_year"]
    quality["calibration"] = result.metadata["calibration"]
    quality["recall_gain_points"] = round((m["recall_at_10pct"] - m["baseline_recall_at_10pct"]) * 100, 1)
    quality["gaps_zh"] = result.report.gaps_zh
    return quality


def _tile(frame, copies: int):
    """Repeat `frame` with household numbers made unique per copy."""
    import pandas as pd

    parts = []
    for copy in range(copies):
        part = frame.copy()
        part["household_no"] = part["household_no"].astype("string") + f"-{copy:02d}"
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _score(data: Path, model_dir: Path, n_households: int, year: int) -> dict:
    import pandas as pd

    from fupin_lib.io import available_partitions, read_table
    from fupin_lib.risk import load_model, score_households

    partitions = available_partitions(data)
    counties = sorted(partitions.loc[partitions["year"] == year, "county_code"].astype(str))
    tables = {
        (y, t): pd.concat([read_table(data, c, y, t) for c in counties], ignore_index=True)
        for y in (year, year - 1) for t in ("households", "members")
    }
    copies = -(-n_households // len(tables[(year, "households")]))
    tiled = {key: _tile(frame, copies) for key, frame in tables.items()}
    households = tiled[(year, "households")].iloc[:n_households]
    scored = set(households["household_no"])
    members = tiled[(year, "members")]
    members = members[members["household_no"].isin(scored)].reset_index(drop=True)
    model = load_model(model_dir)

    load = os.getloadavg()[0]
    start, cpu_start = time.perf_counter(), time.process_time()
    scores = score_households(model, households, members, tiled[(year - 1, "households")],
                              tiled[(year - 1, "members")], year=year)
    seconds = time.perf_counter() - start
    # CPU time of this process: on a shared machine, the gap to `seconds`
    # is time spent waiting for a core.
    cpu_seconds = time.process_time() - cpu_start
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    return {
        "households": len(households), "members": len(members), "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu_seconds, 1), "load_1min_before": round(load, 2),
        "households_per_second": round(len(households) / seconds),
        "peak_rss_gb": round(peak_gb, 2), "with_reasons": bool((scores["reasons"] != "").mean() > 0.5),
        "target_seconds": TARGET_SECONDS, "target_peak_gb": TARGET_PEAK_GB,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/risk_bench/clean"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/risk_bench/work"))
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=2019, help="data year scored")
    parser.add_argument("--part", choices=["all", "quality", "score"], default="all")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)

    record = {"machine": f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}",
              "command": " ".join(sys.argv)}
    if args.part in ("all", "quality"):
        record["quality"] = _quality(args.data, args.work)
        print(json.dumps(record["quality"], ensure_ascii=False, indent=2), flush=True)
    if args.part == "score":
        print(json.dumps(_score(args.data, args.work / "model", args.households, args.year)), flush=True)
        return 0
    if args.part == "all":
        # A fresh process, so that the peak memory is that of scoring alone.
        output = subprocess.run(
            [sys.executable, __file__, "--part", "score", "--data", str(args.data), "--work", str(args.work),
             "--households", str(args.households), "--year", str(args.year)],
            check=True, capture_output=True, text=True).stdout
        record["score"] = json.loads(output.strip().splitlines()[-1])
        print(json.dumps(record["score"], indent=2), flush=True)
    (args.work / "bench_risk.json").write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
