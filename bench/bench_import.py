"""Benchmark of `fupin_lib.io.import_files` against the fastest raw reader.

Generates a roster export (one row per person, household fields repeated,
30 columns, two title rows) and measures, each in a fresh subprocess so that
peak memory is per step:

- UTF-8 CSV, ``--rows`` rows: ``pyarrow.csv.read_csv`` vs the import;
- GB18030 CSV, same rows: ``pyarrow.csv.read_csv`` with transcoding vs the import;
- xlsx, ``--xlsx-rows`` rows: python-calamine (``to_python``), pandas
  ``read_excel(engine="calamine")`` and the import.

Every step runs ``--repeat`` times, alternating with the others, and the
ratios compare the fastest run of each step: on a shared machine the
fastest run is the one least disturbed by other work (the advice of the
``timeit`` documentation). The median is printed beside it.

Usage::

    flock /tmp/fupin-bench.lock .venv/bin/python bench/bench_import.py \\
        --rows 1000000 --xlsx-rows 300000 --repeat 3 --workdir /tmp/fupin-bench
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HEADER = ["年度", "县", "乡镇", "行政村", "自然村", "户编号", "人编号", "姓名", "性别", "证件号码", "与户主关系",
          "民族", "文化程度", "在校生状况", "健康状况", "劳动技能", "务工状况", "务工时间", "出生日期", "人数",
          "贫困户属性", "脱贫属性", "脱贫年度", "主要致贫原因", "危房户", "饮水安全", "人均纯收入", "联系电话",
          "是否享受低保", "识别监测时间"]
TITLE = ["肇庆市怀集县2020年建档立卡贫困人口花名册", "导出时间：2021-03-05"]
TOWNSHIPS = ["连麦镇", "冷坑镇", "马宁镇", "梁村镇", "大岗镇", "岗坪镇", "诗洞镇", "凤岗镇", "洽水镇", "梁村镇"]
RELATIONS = ["户主", "配偶", "之子", "之女", "之孙子", "之母"]
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])


def make_roster(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """Build a roster of `n_rows` people with vectorised numpy code."""
    rng = np.random.default_rng(seed)
    size = rng.integers(1, 7, n_rows // 2 + 10)
    household = np.repeat(np.arange(len(size)), size)[:n_rows]
    member = np.concatenate([np.arange(s) for s in size])[:n_rows]
    # Every (birth date, sequence) pair once, so that IDs are unique as in a
    # clean register; the 0.1 % damaged below give the warnings.
    n_days = 365 * 75
    person = rng.permutation(n_rows)
    births = pd.Timestamp("1940-01-01") + pd.to_timedelta(person % n_days, unit="D")
    birth_text = births.strftime("%Y%m%d").to_numpy().astype("U8")
    sequence = np.char.zfill((person // n_days).astype("U3"), 3)
    body = np.char.add(np.char.add("441224", birth_text), sequence)
    digits = np.frombuffer(body.astype("S17").tobytes(), dtype=np.uint8).reshape(-1, 17) - 48
    check = np.array(list("10X98765432"))[(digits @ WEIGHTS) % 11]
    ids = np.char.add(body, check)
    damaged = rng.random(n_rows) < 0.001  # a few wrong check digits, as real files have
    ids[damaged] = np.char.add(body[damaged], "0")
    township = np.array(TOWNSHIPS)[household % len(TOWNSHIPS)]
    names = np.char.add(np.array(list("张王李赵陈刘黄周吴徐"))[rng.integers(0, 10, n_rows)],
                        np.array(list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"))[rng.integers(0, 20, n_rows)])
    frame = pd.DataFrame({
        "年度": 2020, "县": "怀集县", "乡镇": township, "行政村": np.char.add("村", (household % 37).astype("U2")),
        "自然村": np.char.add("组", (household % 11).astype("U2")),
        "户编号": np.char.add("4412241", np.char.zfill(household.astype("U7"), 7)),
        "人编号": member + 1, "姓名": names, "性别": "", "证件号码": ids,
        "与户主关系": np.array(RELATIONS)[np.minimum(member, len(RELATIONS) - 1)],
        "民族": "汉族", "文化程度": np.array(["小学", "初中", "高中", "文盲或半文盲"])[rng.integers(0, 4, n_rows)],
        "在校生状况": "", "健康状况": np.array(["健康", "长期慢性病", "残疾"])[rng.integers(0, 3, n_rows)],
        "劳动技能": np.array(["普通劳动力", "无劳动力", "技能劳动力"])[rng.integers(0, 3, n_rows)],
        "务工状况": np.array(["省外务工", "县外省内务工", "未务工"])[rng.integers(0, 3, n_rows)],
        "务工时间": rng.integers(0, 13, n_rows), "出生日期": births.strftime("%Y-%m-%d"),
        "人数": size[household], "贫困户属性": np.array(["一般贫困户", "低保户"])[household % 2],
        "脱贫属性": "已脱贫（享受政策）", "脱贫年度": 2019, "主要致贫原因": np.array(["因病", "缺劳力", "因学"])[household % 3],
        "危房户": np.array(["否", "是"])[(household % 17 == 0).astype(int)], "饮水安全": "是",
        "人均纯收入": np.char.add((4000 + household % 9000).astype("U5"), "元"),
        "联系电话": np.char.add("138", np.char.zfill((household % 10**8).astype("U8"), 8)),
        "是否享受低保": np.array(["否", "是"])[household % 2], "识别监测时间": "202004",
    })
    return frame[HEADER]


def write_csv(frame: pd.DataFrame, path: Path, encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        for line in TITLE:
            handle.write(line + "\n")
        frame.to_csv(handle, index=False)


def write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("花名册")
    sheet.write_row(0, 0, [TITLE[0]])
    sheet.write_row(1, 0, [TITLE[1]])
    sheet.write_row(2, 0, HEADER)
    for index, row in enumerate(frame.itertuples(index=False), start=3):
        sheet.write_row(index, 0, [str(v) for v in row])
    workbook.close()


# --- steps, each run in its own process -------------------------------------

def step(name: str, path: str, out: str) -> None:
    start = time.perf_counter()
    if name == "pyarrow-csv":
        import pyarrow.csv as pacsv

        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(skip_rows=len(TITLE)))
        rows = table.num_rows
    elif name == "pyarrow-csv-gb18030":
        import pyarrow.csv as pacsv

        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(skip_rows=len(TITLE), encoding="gb18030"))
        rows = table.num_rows
    elif name == "calamine":
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_path(path)
        rows = len(workbook.get_sheet_by_name(workbook.sheet_names[0]).to_python(skip_empty_area=False))
    elif name == "pandas-calamine":
        rows = len(pd.read_excel(path, engine="calamine", header=None))
    elif name == "import":
        from fupin_lib.io import import_files

        report = import_files([path], out=out)
        rows = int(report.stats["imported"].sum())
    else:
        raise SystemExit(f"unknown step {name!r}")
    seconds = time.perf_counter() - start
    # VmHWM is the peak resident set of this process image only: unlike
    # ru_maxrss it does not include the parent's memory inherited at fork.
    status = Path("/proc/self/status").read_text()
    peak_kib = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_rss_mb": peak_kib / 1024}))


def run_step(name: str, path: Path, out: Path) -> dict:
    process = subprocess.Popen([sys.executable, __file__, "--step", name, "--file", str(path), "--out", str(out)],
                               stdout=subprocess.PIPE, text=True)
    output, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"step {name} failed with status {process.returncode}")
    result = json.loads(output.strip().splitlines()[-1])
    print(f"{name:22s} {path.name:28s} {result['seconds']:8.2f} s  {result['peak_rss_mb']:8.0f} MB  rows={result['rows']}",
          flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/fupin-bench"))
    parser.add_argument("--step")
    parser.add_argument("--file")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.step:
        step(args.step, args.file, args.out)
        return

    args.workdir.mkdir(parents=True, exist_ok=True)
    csv_path = args.workdir / f"roster_{args.rows}.csv"
    gb_path = args.workdir / f"roster_{args.rows}_gb18030.csv"
    xlsx_path = args.workdir / f"roster_{args.xlsx_rows}.xlsx"
    frame = make_roster(args.rows)
    if not csv_path.exists():
        write_csv(frame, csv_path, "utf-8")
    if not gb_path.exists():
        write_csv(frame, gb_path, "gb18030")
    if not xlsx_path.exists():
        write_xlsx(frame.head(args.xlsx_rows), xlsx_path)
    del frame
    out = args.workdir / "clean"
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    steps = (("pyarrow-csv", csv_path), ("import", csv_path), ("pyarrow-csv-gb18030", gb_path),
             ("import", gb_path), ("calamine", xlsx_path), ("pandas-calamine", xlsx_path), ("import", xlsx_path))
    runs: dict[tuple, list] = {(name, path.name): [] for name, path in steps}
    for _ in range(args.repeat):
        for name, path in steps:
            shutil.rmtree(out, ignore_errors=True)
            runs[(name, path.name)].append(run_step(name, path, out))

    def best(name, path):
        return min(r["seconds"] for r in runs[(name, path.name)])

    print("step                   file                          fastest    median   peak RSS")
    for name, path in steps:
        seconds = sorted(r["seconds"] for r in runs[(name, path.name)])
        peak = max(r["peak_rss_mb"] for r in runs[(name, path.name)])
        print(f"{name:22s} {path.name:28s} {seconds[0]:8.2f} s {seconds[len(seconds) // 2]:8.2f} s {peak:8.0f} MB")
    csv_ratio = best("import", csv_path) / best("pyarrow-csv", csv_path)
    gb_ratio = best("import", gb_path) / best("pyarrow-csv-gb18030", gb_path)
    xlsx_ratio = best("import", xlsx_path) / best("calamine", xlsx_path)
    xlsx_pandas_ratio = best("import", xlsx_path) / best("pandas-calamine", xlsx_path)
    peak = max(r["peak_rss_mb"] for (name, _), results in runs.items() if name == "import" for r in results)
    print(f"ratios of the fastest runs: UTF-8 CSV import / pyarrow = {csv_ratio:.2f} (target <= 5); "
          f"GB18030 CSV import / pyarrow = {gb_ratio:.2f}; "
          f"xlsx import / python-calamine = {xlsx_ratio:.2f} (target <= 1.5); "
          f"xlsx import / pandas calamine = {xlsx_pandas_ratio:.2f}; "
          f"peak RSS of imports = {peak:.0f} MB (target <= 3072)")


if __name__ == "__main__":
    main()
