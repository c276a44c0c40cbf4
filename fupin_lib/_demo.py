"""The demo pipeline behind ``fupin demo`` and ``make demo``.

Steps, each skipped when its result is already there (so a second ``make
demo`` is quick): generate the Zhaoqing sample exports, import them, train the
risk model, run the county notebooks of the 8 counties, create the demo
administrator and print how to open the apps.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

import pandas as pd

from . import _paths
from .geo import counties_of_city

__all__ = ["run_demo", "DEMO_CITY", "DEMO_DAMAGE", "import_summary"]

DEMO_CITY = "4412"
# Share of damaged rows in the demo exports, so the rejects and warnings of
# the import have something to show.
DEMO_DAMAGE = 0.002
logger = logging.getLogger(__name__)


def _export_files(sample_dir: Path) -> list[Path]:
    return sorted(p for p in sample_dir.rglob("*") if p.suffix.lower() in {".xlsx", ".xls", ".csv"})


def import_summary(report) -> pd.DataFrame:
    """Summarise an import per county: the years imported, households and
    members of the latest year, verification records, warnings and rejects.

    Parameters
    ----------
    report : fupin_lib.io.ImportReport

    Returns
    -------
    DataFrame
        One row per county with Chinese column headers, for printing.
    """
    partitions = report.partitions.copy()
    latest = partitions.sort_values("year").groupby("county_code").tail(1).set_index("county_code")
    summary = pd.DataFrame(index=sorted(partitions["county_code"].unique()))
    summary["years"] = partitions.groupby("county_code")["year"].agg(lambda y: f"{min(y)}–{max(y)}")
    for table in ("households", "members"):
        summary[table] = latest[table].reindex(summary.index).fillna(0).astype(int)
    summary["verifications"] = partitions.groupby("county_code")["verifications"].sum().astype(int)

    for kind, frame in (("warnings", report.warnings), ("rejects", report.rejects)):
        if len(frame) and "county_code" in frame:
            summary[kind] = frame.groupby("county_code").size().reindex(summary.index).fillna(0).astype(int)
        else:
            summary[kind] = 0

    names = counties_of_city(DEMO_CITY).set_index("code")["name"]
    summary.insert(0, "county", [names.get(code, "") for code in summary.index])
    headers = {"county": "县区", "years": "年度", "households": "最新年度户数", "members": "最新年度人数",
               "verifications": "核查记录", "warnings": "警告行", "rejects": "拒绝行"}
    return summary.rename_axis("县代码").reset_index().rename(columns=headers)


def run_demo(*, households: int, seed: int, data_root: Path, echo: Callable[[str], None],
             skip_runs: bool = False) -> int:
    """Run the demo; return the number of counties whose run failed."""
    from .io import import_files
    from .sample import generate_sample

    data_root = Path(data_root)
    sample_dir = data_root / "sample"
    clean_root = data_root / "clean"
    counties = list(counties_of_city(DEMO_CITY)["code"])

    started = time.monotonic()
    if _export_files(sample_dir):
        echo(f"[1/5] 示例数据已存在：{sample_dir}（删除该目录可重新生成）。")
    else:
        echo(f"[1/5] 生成示例数据：肇庆市 {len(counties)} 个县区，约 {households} 户，2017–2020 年……")
        generate_sample(city=DEMO_CITY, households=households, seed=seed, out=sample_dir, damage=DEMO_DAMAGE)

    echo(f"[2/5] 导入并校验示例导出文件，写入 {clean_root} ……")
    report = import_files(_export_files(sample_dir), out=clean_root)
    echo("各县区导入汇总：")
    echo(import_summary(report).to_string(index=False))
    echo(f"无法导入的行和警告见各县各年度文件夹中的 rejects.xlsx（{clean_root}/<县代码>/<年度>/rejects.xlsx）。")

    model_dir = _paths.MODEL_DIR
    if (model_dir / "metadata.json").exists():
        echo(f"[3/5] 风险模型已存在：{model_dir}（删除该目录可重新训练）。")
    else:
        from .risk import train_model

        echo(f"[3/5] 训练返贫风险模型，写入 {model_dir} ……")
        train_model(clean_root, out=model_dir, random_state=seed)

    failed = 0
    if not skip_runs:
        from .runs import run_counties

        echo(f"[4/5] 运行 {len(counties)} 个县区的县级报告（并行）……")
        results = run_counties(counties, year=None, data_root=clean_root, model_dir=model_dir,
                               output_root=_paths.OUTPUTS_DIR, workers=2)
        failed = int((results["status"] != "success").sum())
        echo(f"县级报告写入 {_paths.OUTPUTS_DIR}/<县代码>/<年度>/；失败 {failed} 个。")

    from .cases import ensure_demo_admin

    token = ensure_demo_admin()
    minutes = (time.monotonic() - started) / 60
    echo(f"[5/5] 已创建演示管理员 demo-admin。用时 {minutes:.1f} 分钟。")
    echo("启动应用：fupin serve（或 .venv/bin/fupin serve），然后在浏览器中打开：")
    echo(f"  复核工作台 http://127.0.0.1:8866/voila/render/review.ipynb?token={token}")
    echo(f"  领导视窗   http://127.0.0.1:8866/voila/render/dashboard.ipynb?token={token}")
    return failed
