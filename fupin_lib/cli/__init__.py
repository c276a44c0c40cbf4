"""The ``fupin`` command.

Each subcommand lives in its own module and is imported only when it runs, so
``fupin --help`` stays fast and a command's heavy imports (papermill, Voila,
scikit-learn) load only for that command. Commands only parse options and call
the library.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys

import click

from .._errors import FupinError

__all__ = ["main", "cli"]

# Subcommand name -> ("module:attribute" inside fupin_lib.cli, one-line help).
COMMANDS = {
    "sample-data": ("_sample:sample_data", "生成示例数据（真实导出格式的 Excel 文件）。"),
    "import": ("_import:import_command", "导入并校验导出文件，写入规范表和 rejects.xlsx。"),
    "check": ("_check:check", "运行疑点核查和监测标准，更新问题台账。"),
    "model": ("_model:model", "训练和评估返贫风险模型。"),
    "score": ("_model:score", "用已训练的模型为农户评分。"),
    "match": ("_match:match", "岗位与培训匹配、分配和就业统计。"),
    "run": ("_run:run", "按县运行县级报告笔记本（可并行）。"),
    "serve": ("_serve:serve", "启动 Voila 应用服务（复核工作台、领导视窗）。"),
    "user": ("_users:user", "管理用户和登录令牌。"),
    "db": ("_db:db", "案例库的升级、备份和恢复。"),
    "demo": ("_dev:demo", "在示例数据上运行主流程。"),
    "lab": ("_dev:lab", "以中文界面启动 JupyterLab。"),
    "test": ("_dev:test", "运行全部测试。"),
    "wheelhouse": ("_dev:wheelhouse", "生成离线安装包。"),
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when it runs."""

    def list_commands(self, ctx):
        return sorted(name for name in COMMANDS if _module_exists(COMMANDS[name][0]))

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[name][0].split(":")
        module = importlib.import_module(f"{__name__}.{module_name}")
        return getattr(module, attribute)

    def format_commands(self, ctx, formatter):
        # Listing uses the static help so that --help imports no command module.
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("命令"):
            formatter.write_dl(rows)


def _module_exists(target: str) -> bool:
    module_name = target.split(":")[0]
    return importlib.util.find_spec(f"{__name__}.{module_name}") is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="显示更多运行日志（-vv 显示调试日志）。")
@click.version_option(package_name="fupin-workbench")
def cli(verbose):
    """扶贫云工作台：导入核查数据、疑点核查、返贫风险评分、就业匹配、县级报告与复核应用。"""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main(argv=None):
    """Run the ``fupin`` command; a `FupinError` ends it with its Chinese
    message and exit status 2, without a traceback."""
    try:
        status = cli.main(args=argv, prog_name="fupin", standalone_mode=False)
    except FupinError as error:
        click.echo(f"错误：{error}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("已取消。", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as exit_:
        sys.exit(exit_.exit_code)
    except Exception as error:
        if not _is_database_unreachable(error):
            raise
        logging.getLogger(__name__).debug("database error", exc_info=True)
        click.echo(f"错误：无法连接数据库 {_safe_database_url()}（{type(error.orig).__name__}）。"
                   "请确认数据库服务已启动、FUPIN_DB_URL 设置正确。", err=True)
        sys.exit(2)
    # Without standalone mode click returns the code of ctx.exit() or Exit.
    sys.exit(status if isinstance(status, int) else 0)


def _is_database_unreachable(error: Exception) -> bool:
    from sqlalchemy.exc import InterfaceError, OperationalError

    return isinstance(error, (OperationalError, InterfaceError))


def _safe_database_url() -> str:
    from sqlalchemy.engine import make_url

    from .._paths import database_url

    return make_url(database_url()).render_as_string(hide_password=True)

if __name__ == "__main__":
    main()
