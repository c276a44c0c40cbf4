"""``fupin check``: run the consistency checks of a year, write the problem
reports and update the ledger."""

from __future__ import annotations

from pathlib import Path

import click

from .. import _paths

__all__ = ["check"]


@click.command()
@click.option("--data", "data_root", type=click.Path(path_type=Path), default=_paths.CLEAN_DIR,
              show_default=True, help="规范表根目录（fupin import 的输出）。")
@click.option("--county", default=None, help="只核查该县区（6 位代码）；不填则核查该年度的全部县区。")
@click.option("--year", type=int, required=True, help="数据年度，例如 2020。")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="输出目录：写入 problems.xlsx（问题清单）和 summary.xlsx（按村、按核查汇总）。")
@click.option("--db", "url", default=None, help="问题台账数据库地址；默认取 FUPIN_DB_URL 或 data/fupin.db。")
def check(data_root, county, year, out_dir, url):
    """运行疑点核查：写出问题清单和汇总表，并更新整改台账。"""
    from ..checks import check_root, summary_text, write_check_reports

    run = check_root(data_root, year=year, county=county, url=url)
    problems, summary = write_check_reports(run.hits, out_dir)
    click.echo(summary_text(run))
    click.echo(f"问题清单：{problems}")
    click.echo(f"汇总表：{summary}")
