"""``fupin import``: import exports into the clean-data root."""

from __future__ import annotations

import click

__all__ = ["import_command"]


@click.command("import")
@click.argument("files", nargs=-1, required=True)
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="规范数据的根目录（如 data/clean）；结果写入 根目录/<县代码>/<年度>/。")
@click.option("--county", default=None, help="6 位县级区划代码；仅用于文件中看不出所属县的行。")
@click.option("--year", default=None, type=int, help="年度（四位数字）；仅用于文件中看不出年度的行。")
@click.option("--replace", is_flag=True,
              help="即使新数据的行数不到原有数据的一半，也替换已导入的表（默认保留原有数据以防误覆盖）。")
def import_command(files, out, county, year, replace):
    """导入导出文件（.xlsx、.xls、.csv），校验后写入规范表，并生成 rejects.xlsx 和 import_report.json。

    本次导入提供的表替换该县该年度原有的表，没有提供的表保持不变；新数据的行数不到原有一半时
    默认保留原有数据，确认替换请加 --replace。
    """
    from ..io import import_files

    report = import_files(list(files), out=out, county=county, year=year, replace=replace)
    click.echo(report.summary())
    if report.partitions.empty and report.unassigned_path is not None:
        click.echo(f"  没有写入任何县和年度；无法导入的行见 {report.unassigned_path}")
    # A file of which no row was imported (an unrecognised header, say)
    # fails the command, as a refused file does.
    wholly_rejected = not report.stats.empty and (report.stats.groupby("file")["imported"].sum() == 0).any()
    if report.refused_files or report.kept_stored or report.stats.empty or wholly_rejected:
        raise click.exceptions.Exit(1)
