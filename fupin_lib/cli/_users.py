"""``fupin user``: create, list, disable users and renew their login tokens."""

from __future__ import annotations

import click

from ..cases._workflow import ROLE_LABELS, ROLES

__all__ = ["user"]

_ROLE_HELP = "，".join(f"{role}={label}" for role, label in ROLE_LABELS.items())


@click.group()
def user():
    """管理用户和登录令牌。令牌只显示一次，请妥善转交本人。"""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help=f"角色：{_ROLE_HELP}。")
@click.option("--area", "area_code", required=True,
              help="管辖区域代码：市 4 位、县 6 位、乡镇 9 位或村 12 位。")
def add(name, role, area_code):
    """新建用户 NAME，输出的最后一个词是登录令牌。"""
    from ..cases import create_user, init_db

    init_db()
    token = create_user(name, role, area_code)
    click.echo(f"已创建用户 {name}（{ROLE_LABELS[role]}，区域 {area_code}）。")
    click.echo("登录链接：http://127.0.0.1:8866/voila/render/review.ipynb?token=<令牌>")
    click.echo(f"登录令牌： {token}")


@user.command("list")
def list_command():
    """列出所有用户（不显示令牌）。"""
    from ..cases import init_db, list_users

    init_db()
    frame = list_users()
    if frame.empty:
        click.echo("还没有用户。用 fupin user add 创建。")
        return
    for row in frame.itertuples():
        state = "已停用" if row.disabled else "正常"
        click.echo(f"{row.name}\t{ROLE_LABELS.get(row.role, row.role)}\t{row.area_code}\t{state}")


@user.command("disable")
@click.argument("name")
def disable(name):
    """停用用户 NAME，其令牌和登录会话立即失效。"""
    from ..cases import disable_user, init_db

    init_db()
    disable_user(name)
    click.echo(f"已停用用户 {name}。")


@user.command("revoke")
@click.argument("name")
def revoke(name):
    """作废用户 NAME 的令牌并生成新令牌（最后一个词），旧会话全部退出。"""
    from ..cases import init_db, revoke_token

    init_db()
    token = revoke_token(name)
    click.echo(f"已为用户 {name} 换发令牌。")
    click.echo(f"登录令牌： {token}")
