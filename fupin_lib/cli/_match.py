"""``fupin match``: job matching, allocation and employment statistics."""

from __future__ import annotations

from pathlib import Path

import click

from .. import _paths

__all__ = ["match"]


@click.command()
@click.option("--data", "data_root", type=click.Path(path_type=Path), default=_paths.CLEAN_DIR,
              show_default=True, help="清洗后数据的根目录（fupin import 的输出）。")
@click.option("--county", default=None, help="县代码（6 位）；不填则处理该年度的所有县。")
@click.option("--year", type=int, required=True, help="数据年度，例如 2020。")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="结果写入的目录。")
@click.option("--top", "k", type=click.IntRange(1, 100), default=10, show_default=True,
              help="每名劳动力推荐的岗位数。")
@click.option("--include-employed", is_flag=True, default=False,
              help="也为已就业的劳动力推荐和分配岗位（默认只处理有务工意愿且未就业的劳动力）。")
@click.option("--evaluate", is_flag=True, default=False,
              help="用留出的历史安置记录评估推荐效果（NDCG、召回率、集中度），写入 evaluation.csv。")
@click.option("--jobs", "n_jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="排序使用的线程数。")
def match(data_root, county, year, out, k, include_employed, evaluate, n_jobs):
    """岗位与培训匹配、按岗位名额分配，并统计各村、乡镇、县的就业情况。"""
    from ..matching import run_matching

    result = run_matching(data_root, year=year, out=out, county=county, k=k,
                          include_employed=include_employed, evaluate=evaluate, n_jobs=n_jobs)
    for line in _summary_lines(result, year):
        click.echo(line)


def _summary_lines(result, year):
    summary = result.summary
    laborers, employed = summary["laborers"], summary["employed"]
    rate = f"{employed / laborers * 100:.2f}%" if laborers else "—"
    lines = [
        f"{year} 年，{len(summary['counties'])} 个县：劳动力 {laborers} 人，就业 {employed} 人，就业率 {rate}。",
        f"待匹配劳动力 {summary['targets']} 人：已分配岗位 {summary['allocated']} 人，"
        f"未分配 {summary['unallocated']} 人（其中 {summary['trainings_suggested']} 人有建议培训）。",
    ]
    if summary["allocated_by_channel"]:
        by_channel = "，".join(f"{name} {count} 人" for name, count in summary["allocated_by_channel"].items())
        lines.append(f"按岗位渠道：{by_channel}。")
    sources = {"learned": "由历史安置记录学习", "default": "默认权重", "given": "指定权重", "无岗位": "无岗位数据"}
    lines.append("匹配权重：" + "，".join(f"{code} {sources.get(s, s)}" for code, s in summary["weights_source"].items()) + "。")
    if result.evaluation is not None:
        names = summary["method_names"]
        for row in result.evaluation.itertuples(index=False):
            lines.append(f"评估 {row.county_code} {names.get(row.method, row.method)}：NDCG@3 {row[2]:.3f}，"
                         f"NDCG@10 {row[3]:.3f}，召回率@10 {row[4]:.3f}，集中度 {row[5]:.3f}。")
    lines.append(f"结果已写入 {Path(next(iter(result.files.values()))).parent}：" + "、".join(result.files) + "。")
    return lines
