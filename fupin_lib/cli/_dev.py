"""``fupin demo``, ``fupin lab``, ``fupin test`` and ``fupin wheelhouse``: the
commands behind the make targets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from .. import _paths

__all__ = ["demo", "lab", "test", "wheelhouse"]


@click.command()
@click.option("--households", type=int, default=42_000, show_default=True,
              help="示例数据的户数（全市合计）。")
@click.option("--seed", type=int, default=2020, show_default=True, help="示例数据的随机种子。")
@click.option("--data", "data_root", type=click.Path(path_type=Path), default=_paths.DATA_DIR,
              show_default=True, help="数据根目录：示例导出写入 DATA/sample，清洗后的表写入 DATA/clean。")
@click.option("--skip-runs", is_flag=True, help="只生成、导入数据并训练模型，不运行县级报告。")
def demo(households, seed, data_root, skip_runs):
    """在示例数据上运行主流程：生成肇庆 8 个县区的示例数据，导入，训练风险模型，运行各县报告。"""
    from .._demo import run_demo

    failed = run_demo(households=households, seed=seed, data_root=data_root, echo=click.echo,
                      skip_runs=skip_runs)
    raise SystemExit(1 if failed else 0)


@click.command()
@click.option("--port", type=int, default=8888, show_default=True, help="JupyterLab 监听的端口。")
def lab(port):
    """以中文界面启动 JupyterLab（仅监听 127.0.0.1）。"""
    env = dict(os.environ, LANG="zh_CN.UTF-8")
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
        "--ip=127.0.0.1", "--ServerApp.port_retries=0",
        '--LabApp.user_settings_dir=.jupyter/lab/user-settings',
    ]
    _write_lab_language_setting(Path(".jupyter/lab/user-settings"))
    raise SystemExit(subprocess.call(command, env=env))


def _write_lab_language_setting(settings_dir: Path) -> None:
    # JupyterLab picks its display language from this user setting.
    target = settings_dir / "@jupyterlab" / "translation-extension" / "plugin.jupyterlab-settings"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text('{\n    "locale": "zh_CN"\n}\n', encoding="utf-8")


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def test(pytest_args):
    """运行全部测试（参数原样传给 pytest）。"""
    raise SystemExit(subprocess.call([sys.executable, "-m", "pytest", *pytest_args]))


@click.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("wheelhouse"), show_default=True,
              help="离线安装包写入的目录。")
def wheelhouse(out):
    """生成离线安装包：本项目及其全部依赖的 wheel 文件，以及安装时构建本项目所需的 setuptools 和 wheel。"""
    out.mkdir(parents=True, exist_ok=True)
    project = Path(__file__).resolve().parents[2]
    # The build backend's own requirements go in too: an offline `pip install
    # -e .` builds the project in an isolated environment and must find them.
    build_requirements = ["setuptools>=77", "wheel"]
    status = subprocess.call([sys.executable, "-m", "pip", "wheel", "--wheel-dir", str(out), str(project)])
    if status == 0:
        status = subprocess.call([sys.executable, "-m", "pip", "wheel", "--wheel-dir", str(out), *build_requirements])
    if status == 0:
        click.echo(f"离线安装包已写入 {out}。把整个项目文件夹（含 {out}）复制到无网络的机器上，在项目文件夹中运行：")
        click.echo("  python -m venv .venv")
        click.echo(f"  .venv/bin/python -m pip install --no-index --find-links {out} -e .")
    raise SystemExit(status)
