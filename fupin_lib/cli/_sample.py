"""``fupin sample-data``: write the synthetic sample exports."""

from __future__ import annotations

import time
from pathlib import Path

import click

from .. import _paths

__all__ = ["sample_data"]


@click.command("sample-data")
@click.option("--city", default="4412", show_default=True, help="4 位市代码（4412 为肇庆市）。")
@click.option("--households", type=click.IntRange(min=1), default=42_000, show_default=True,
              help="全市户数。肇庆的连麦镇案例村总会生成，小样本会因此多出几百户。")
@click.option("--seed", type=int, default=0, show_default=True, help="随机种子：相同种子生成相同文件。")
@click.option("--out", type=click.Path(path_type=Path), default=_paths.SAMPLE_DIR, show_default=True,
              help="输出根目录，每个县区写入 OUT/<县代码>/。")
@click.option("--years", default="2017-2020", show_default=True, help="连续的数据年度，如 2017-2020。")
@click.option("--damage", type=click.FloatRange(0.0, 0.5), default=0.0, show_default=True,
              help="花名册中被损坏的行的比例（0 到 0.5），模拟 Excel 和复制粘贴造成的错误。")
def sample_data(city, households, seed, out, years, damage):
    """生成示例数据：按真实导出格式写出各县区的花名册、核查表、岗位、培训和就业安置 Excel 文件。

    所有人员均为随机生成（假姓名、格式有效的假身份证号），不含任何真实个人信息。
    """
    from ..sample import generate_sample

    first, _, last = years.partition("-")
    try:
        year_list = list(range(int(first), int(last or first) + 1))
    except ValueError:
        raise click.BadParameter(f"应为“起始年-结束年”，例如 2017-2020，得到 {years!r}。", param_hint="--years")
    start = time.perf_counter()
    files = generate_sample(city=city, households=households, seed=seed, out=out, years=year_list, damage=damage)
    seconds = time.perf_counter() - start
    counties = sorted({path.parent.name for path in files})
    click.echo(f"已生成示例数据：{len(counties)} 个县区，{len(year_list)} 个年度，共 {len(files)} 个文件，"
               f"写入 {out}（用时 {seconds:.0f} 秒）。")
    if damage > 0:
        click.echo(f"花名册中约 {damage:.1%} 的行带有模拟的格式错误，用于检验导入校验。")
