"""``fupin import``: import exports into the clean-data root."""

from __future__ import annotations

import click

__all__ = ["import_command"]


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="规范数据的根目录（如 data/clean）；结果写入 根目录/<县代码>/<年度>/，该县该年度的目录整体替换。")
@click.option("--county", default=None, help="6 位县级区划代码；仅用于文件中看不出所属县的行。")
@click.option("--year", default=None, type=int, help="年度（四位数字）；仅用于文件中看不出年度的行。")
def import_command(files, out, county, year):
    """导入导出文件（.xlsx、.xls、.csv），校验后写入规范表，并生成 rejects.xlsx 和 import_report.json。

    同一县同一年度的所有文件请在一次命令中导入：每次导入都会整体替换 根目录/<县代码>/<年度>/ 目录。
    """
    from ..io import import_files

    report = import_files(list(files), out=out, county=county, year=year)
    click.echo(report.summary())
    if report.refused_files:
        raise click.exceptions.Exit(1)
