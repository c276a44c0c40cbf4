"""``fupin run``: run the county notebook for one county, a city or every
county in the data."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import _paths
from .._errors import ParameterError

__all__ = ["run"]

_STATUS = {"success": "成功", "failed": "失败"}


def _select_counties(county, city, run_all, data_root) -> list[str]:
    from ..runs import available_years

    chosen = [bool(county), bool(city), run_all]
    if sum(chosen) != 1:
        raise ParameterError("请只给出 --county、--city 和 --all 中的一个。")
    if county:
        return list(county)
    present = list(available_years(data_root))
    if city:
        present = [c for c in present if c.startswith(str(city))]
    if not present:
        where = f"市 {city} 的" if city else ""
        raise ParameterError(f"数据目录 {data_root} 中没有{where}县级规范表。请先运行 fupin import，或检查 --data。")
    return present


def _summary_lines(table) -> list[str]:
    from ..geo import division_name

    lines = [f"{'县代码':<8}{'县':<8}{'年度':<6}{'状态':<6}{'用时（秒）':<10}错误"]
    for row in table.itertuples():
        name = division_name(row.county) or ""
        seconds = "" if row.seconds is None else f"{row.seconds:.1f}"
        lines.append(f"{row.county:<10}{name:<8}{row.year:<8}{_STATUS.get(row.status, row.status):<6}"
                     f"{seconds:<12}{row.error if isinstance(row.error, str) else ''}")
    return lines


@click.command()
@click.option("--county", multiple=True, help="县代码（6 位），可重复给出多个。")
@click.option("--city", help="市代码（4 位）：运行数据中该市的全部县。")
@click.option("--all", "run_all", is_flag=True, help="运行数据中的全部县。")
@click.option("--year", type=int, help="数据年度；不给出时每个县用数据中最新的年度。")
@click.option("--data", "data_root", type=click.Path(path_type=Path), default=_paths.CLEAN_DIR,
              show_default=True, help="清洗后的数据根目录（fupin import 的输出）。")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), default=_paths.MODEL_DIR,
              show_default=True, help="风险模型目录；目录不存在时报告不含风险评分。")
@click.option("--out", "output_root", type=click.Path(path_type=Path), default=_paths.OUTPUTS_DIR,
              show_default=True, help="输出根目录：结果写入 OUT/<县代码>/<年度>/。")
@click.option("--workers", type=click.IntRange(min=0), default=2, show_default=True,
              help="本机并行的工作进程数；0 表示在当前进程中逐县运行。")
@click.option("--scheduler", help="已有 Dask 集群的调度器地址（tcp://主机:端口）；数据和输出目录须为各工作节点共享。")
@click.option("--timeout", type=float, help="单个单元格最长运行秒数；默认不限。")
@click.option("--no-progress", is_flag=True, help="不显示进度条（定时任务的日志中使用）。")
def run(county, city, run_all, year, data_root, model_dir, output_root, workers, scheduler,
        timeout, no_progress):
    """按县运行县级报告笔记本，输出报告、走访名单、问题清单和指标。

    \b
    示例：
      fupin run --county 441224 --year 2020
      fupin run --city 4412 --workers 2
      fupin run --all --scheduler tcp://10.0.0.5:8786

    任何一个县失败时，命令以状态 1 结束；参数错误以状态 2 结束。
    """
    from ..runs import run_counties

    counties = _select_counties(county, city, run_all, data_root)
    table = run_counties(counties, year=year, data_root=data_root, model_dir=model_dir,
                         output_root=output_root, workers=workers, scheduler=scheduler,
                         progress=not no_progress, timeout=timeout)
    for line in _summary_lines(table):
        click.echo(line)
    failed = int((table["status"] != "success").sum())
    click.echo(f"共 {len(table)} 个县：成功 {len(table) - failed} 个，失败 {failed} 个。输出目录：{output_root}")
    if failed:
        sys.exit(1)
