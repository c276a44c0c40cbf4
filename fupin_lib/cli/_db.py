"""``fupin db``: upgrade, back up and restore the case store."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["db"]


@click.group()
def db():
    """案例库的升级、备份和恢复。数据库由 FUPIN_DB_URL 指定，默认 data/fupin.db。"""


@db.command()
def upgrade():
    """把案例库升级到当前版本的表结构（新库则创建）。"""
    from ..cases import init_db

    revision = init_db()
    click.echo(f"案例库已是最新版本（{revision}）。")


@db.command()
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="备份文件路径。")
@click.option("--portable", is_flag=True,
              help="PostgreSQL 也写成可移植的 JSON 备份，不使用 pg_dump。")
def backup(out, portable):
    """在线备份案例库（SQLite 用在线备份接口，PostgreSQL 用 pg_dump）。"""
    from ..cases import backup_db

    path = backup_db(out, portable=portable)
    click.echo(f"已备份到 {path}。")


@db.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--yes", is_flag=True, help="不再询问，直接覆盖当前数据。")
def restore(file, yes):
    """用备份文件 FILE 覆盖当前案例库，然后升级到当前版本。"""
    from ..cases import restore_db

    if not yes:
        click.confirm("恢复会覆盖案例库中的全部数据，确定继续吗？", abort=True)
    restore_db(file)
    click.echo(f"已从 {file} 恢复案例库。")
