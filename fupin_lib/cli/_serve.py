"""``fupin serve``: the Voila server of the review app and the dashboard."""

from __future__ import annotations

from pathlib import Path

import click

from .. import _paths

__all__ = ["serve"]


def _default_apps_dir() -> Path:
    local = Path("notebooks") / "apps"
    if (local / "review.ipynb").exists():
        return local
    return Path(__file__).resolve().parents[2] / "notebooks" / "apps"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听地址。单机使用保持 127.0.0.1；局域网访问请放在反向代理之后。")
@click.option("--port", type=int, default=8866, show_default=True, help="监听端口；被占用时报错退出。")
@click.option("--apps", "apps_dir", type=click.Path(path_type=Path, file_okay=False),
              default=None, help="应用笔记本目录（默认 notebooks/apps）。")
@click.option("--data", "clean_root", type=click.Path(path_type=Path, file_okay=False),
              envvar="FUPIN_CLEAN_ROOT", default=_paths.CLEAN_DIR, show_default=True,
              help="清洗后数据的根目录，户页面从这里读取家庭成员和收入。"
                   "未指定时也可用环境变量 FUPIN_CLEAN_ROOT 设置。")
@click.option("--outputs", "outputs_root", type=click.Path(path_type=Path, file_okay=False),
              envvar="FUPIN_OUTPUTS_ROOT", default=_paths.OUTPUTS_DIR, show_default=True,
              help="运行结果的根目录（fupin run 的输出），领导视窗从这里读取指标。"
                   "未指定时也可用环境变量 FUPIN_OUTPUTS_ROOT 设置。")
@click.option("--trusted-header", default=None,
              help="由反向代理或 JupyterHub 设置的用户名请求头（如 X-Forwarded-User）。"
                   "只在服务仅能经代理访问时使用。")
@click.option("--pool-size", type=int, default=2, show_default=True,
              help="每个应用预热的内核数（0 表示不预热）。")
@click.option("--max-kernels", type=int, default=40, show_default=True,
              help="同时运行的内核上限（含预热内核），超过时新页面提示稍后再试。")
@click.option("--idle-timeout", type=int, default=600, show_default=True,
              help="页面没有关闭（如浏览器崩溃、断网）时，内核空闲多少秒后关闭。"
                   "正常关闭页面时内核立即关闭。")
def serve(host, port, apps_dir, clean_root, outputs_root, trusted_header, pool_size, max_kernels,
          idle_timeout):
    """启动 Voila 应用服务：复核工作台 /voila/render/review.ipynb 和领导视窗 /voila/render/dashboard.ipynb。

    案例库由环境变量 FUPIN_DB_URL 指定，默认 data/fupin.db。用 fupin user add 创建用户并获取登录链接。
    """
    from ..apps._server import run_server

    url = _paths.database_url()
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        url = "sqlite:///" + str(Path(url[len("sqlite:///"):]).resolve())
    outputs_root, clean_root = Path(outputs_root).resolve(), Path(clean_root).resolve()

    def announce():
        click.echo(f"复核工作台：http://{host}:{port}/voila/render/review.ipynb?token=<登录令牌>")
        click.echo(f"领导视窗：http://{host}:{port}/voila/render/dashboard.ipynb")
        click.echo(f"运行结果目录：{outputs_root}")
        click.echo(f"清洗数据目录：{clean_root}")
        click.echo("按 Ctrl+C 停止服务。")

    run_server(apps_dir or _default_apps_dir(), host=host, port=port, db_url=url,
               clean_root=clean_root, outputs_root=outputs_root, trusted_header=trusted_header,
               pool_size=pool_size, max_kernels=max_kernels, idle_timeout=idle_timeout,
               on_ready=announce)
