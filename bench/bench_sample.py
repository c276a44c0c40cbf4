"""Measure the sample generator: simulation and writing time, peak memory.

Run under the shared lock so that no other benchmark runs at the same time:

    flock /tmp/fupin-bench.lock .venv/bin/python bench/bench_sample.py --households 42000

Prints one line per phase with wall and CPU seconds, then the peak resident
memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from fupin_lib.sample import generate_sample
from fupin_lib.sample._generate import simulate


def _timed(label, function):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    print(f"{label:<28} wall {time.perf_counter() - wall:7.1f} s   cpu {time.process_time() - cpu:7.1f} s")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=42_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--damage", type=float, default=0.002)
    args = parser.parse_args()

    result = _timed("simulate (in memory)", lambda: simulate(households=args.households, seed=args.seed))
    people = len(result.members)
    print(f"households {len(result.households)}, people {people}, years {len(result.frames)}")

    out = Path(tempfile.mkdtemp(prefix="fupin-bench-sample-"))
    try:
        files = _timed("generate_sample (all files)", lambda: generate_sample(
            households=args.households, seed=args.seed, out=out, damage=args.damage))
        size = sum(path.stat().st_size for path in files)
        print(f"files {len(files)}, {size / 2**20:.0f} MiB")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {peak:.0f} MiB")


if __name__ == "__main__":
    main()
