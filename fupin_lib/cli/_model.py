"""``fupin model train``, ``fupin model evaluate`` and ``fupin score``."""

from __future__ import annotations

from pathlib import Path

import click

from .. import _paths

__all__ = ["model", "score"]

_DATA_OPTION = click.option(
    "--data", "data_root", type=click.Path(path_type=Path, file_okay=False), default=_paths.CLEAN_DIR,
    show_default=True, help="清洗后数据的根目录（fupin import 的输出）。")


@click.group()
def model():
    """训练和评估返贫风险模型。"""


@model.command()
@_DATA_OPTION
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=_paths.MODEL_DIR,
              show_default=True, help="模型目录：写入模型文件、元数据、模型卡和评估报告。")
@click.option("--label", type=click.Choice(["below_line", "monitored", "either"]), default=None,
              help="标签定义：下一年低于监测线、被识别为监测对象或二者之一（默认取参数文件 risk.label）。")
@click.option("--test-year", type=int, default=None, help="测试年份（特征年份，默认最近一个有下一年数据的年份）。")
@click.option("--seed", type=int, default=0, show_default=True, help="随机种子。")
def train(data_root, out, label, test_year, seed):
    """按年份切分训练风险模型，在测试年份上评估，写入模型和模型卡。"""
    from ..risk import train_model

    result = train_model(data_root, out=out, label=label, test_year=test_year, random_state=seed)
    m = result.report.metrics
    click.echo(f"模型已写入 {result.out}（训练年份 {result.metadata['train_years']}，"
               f"测试年份 {result.metadata['test_year']}）。")
    click.echo(f"测试年份：AUC {m['roc_auc']:.3f}，前 10% 召回率 {m['recall_at_10pct']:.1%}"
               f"（仅规则基线 {m.get('baseline_recall_at_10pct', float('nan')):.1%}），ECE {m['ece']:.3f}。")
    click.echo(f"评估报告：{result.report.paths['report']}")


@model.command()
@click.option("--model", "model_dir", type=click.Path(path_type=Path, file_okay=False),
              default=_paths.MODEL_DIR, show_default=True, help="模型目录（fupin model train 的输出）。")
@_DATA_OPTION
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="评估报告目录：metrics.json、report.md 和图表。")
@click.option("--year", type=int, default=None, help="评估的特征年份（默认最近一个有下一年数据的年份）。")
def evaluate(model_dir, data_root, out, year):
    """在某一年份上评估已训练的模型，并与仅规则基线比较。"""
    from ..risk import evaluate_model

    report = evaluate_model(model_dir, data_root, out=out, year=year)
    m = report.metrics
    click.echo(f"AUC {m['roc_auc']:.3f}，平均精确率 {m['average_precision']:.3f}，Brier {m['brier']:.3f}，"
               f"前 10% 召回率 {m['recall_at_10pct']:.1%}（仅规则基线 "
               f"{m.get('baseline_recall_at_10pct', float('nan')):.1%}）。")
    click.echo(f"评估报告：{report.paths['report']}")


@click.command()
@click.option("--model", "model_dir", type=click.Path(path_type=Path, file_okay=False),
              default=_paths.MODEL_DIR, show_default=True, help="模型目录（fupin model train 的输出）。")
@_DATA_OPTION
@click.option("--county", default=None, help="只评分这个县区（县级代码，如 441224）；默认全部县区。")
@click.option("--year", type=int, required=True, help="评分的数据年份。")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="输出目录：写入 scores.parquet。")
def score(model_dir, data_root, county, year, out):
    """用已训练的模型为农户评分：概率、排名、风险等级、建议监测类别和前三个风险因素。"""
    from ..risk import score_data_root

    path, scores = score_data_root(model_dir, data_root, year=year, county=county, out=out)
    high = int((scores["risk_band"] == "高").sum())
    click.echo(f"已为 {len(scores)} 户评分，其中高风险 {high} 户。结果：{path}")
