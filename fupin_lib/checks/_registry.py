"""The check catalogue: one `Check` per coded consistency check.

Codes follow the provincial style ``K_GG_NNN``: the kind number, a group and a
serial. The kind numbers are this project's own (see `KINDS`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Literal

import pandas as pd

__all__ = [
    "Check",
    "CATALOGUE",
    "KINDS",
    "SCOPES",
    "SEVERITIES",
    "register",
    "catalogue_frame",
    "catalogue_markdown",
]

Scope = Literal["member", "household", "village"]
Severity = Literal["error", "warning", "info"]

# Kind -> (code prefix, Chinese name).
KINDS: dict[str, tuple[str, str]] = {
    "identity": ("1", "身份信息"),
    "family": ("2", "家庭关系"),
    "age": ("3", "年龄逻辑"),
    "education": ("4", "教育"),
    "health": ("5", "健康与残疾"),
    "insurance": ("6", "保险"),
    "work": ("7", "务工"),
    "monitoring": ("8", "监测逻辑"),
    "measures": ("9", "风险与帮扶措施"),
    "completeness": ("10", "完整性"),
    "area": ("11", "区划"),
}
SCOPES: dict[str, str] = {"member": "成员", "household": "户", "village": "村"}
SEVERITIES: dict[str, str] = {"error": "错误", "warning": "疑点", "info": "提示"}


@dataclasses.dataclass(frozen=True)
class Check:
    """One coded consistency check.

    Parameters
    ----------
    code : str
        ``K_GG_NNN``; the first part is the kind's prefix in `KINDS`.
    title : str
        Chinese title shown in problem lists.
    kind : str
        Key of `KINDS`.
    scope : {"member", "household", "village"}
        The rows the check flags: member rows, household rows or villages.
    severity : {"error", "warning", "info"}
        ``error`` is a contradiction, ``warning`` a doubt to verify on site,
        ``info`` a gap to fill.
    fields : tuple of str
        The columns the check reads, as ``table.column``.
    func : callable
        ``func(ctx) -> array of bool`` over the rows of the scope in a
        `CheckContext`, vectorised.
    """

    code: str
    title: str
    kind: str
    scope: Scope
    severity: Severity
    fields: tuple[str, ...]
    func: Callable = dataclasses.field(repr=False, compare=False)

    def __post_init__(self):
        prefix = KINDS[self.kind][0]
        if self.code.split("_")[0] != prefix:
            raise ValueError(f"check {self.code} of kind {self.kind!r} must start with {prefix}_")
        if self.scope not in SCOPES or self.severity not in SEVERITIES:
            raise ValueError(f"check {self.code}: invalid scope or severity")


CATALOGUE: dict[str, Check] = {}


def register(code: str, title: str, *, kind: str, scope: Scope, severity: Severity,
             fields: tuple[str, ...]) -> Callable:
    """Register the decorated function as the check `code` in `CATALOGUE`."""

    def decorate(func: Callable) -> Callable:
        if code in CATALOGUE:
            raise ValueError(f"check code {code} registered twice")
        CATALOGUE[code] = Check(code, title, kind, scope, severity, tuple(fields), func)
        return func

    return decorate


def _ordered_codes() -> list[str]:
    return sorted(CATALOGUE, key=lambda code: tuple(int(part) for part in code.split("_")))


def catalogue_frame() -> pd.DataFrame:
    """Return the catalogue as a table: code, title, kind, scope, severity and
    fields, ordered by code."""
    rows = [
        {
            "code": check.code,
            "title": check.title,
            "kind": KINDS[check.kind][1],
            "scope": SCOPES[check.scope],
            "severity": SEVERITIES[check.severity],
            "fields": ", ".join(check.fields),
        }
        for check in (CATALOGUE[code] for code in _ordered_codes())
    ]
    return pd.DataFrame(rows, columns=["code", "title", "kind", "scope", "severity", "fields"])


def catalogue_markdown() -> str:
    """Render the catalogue as a Markdown table with Chinese headers, for
    ``docs/checks.md``."""
    frame = catalogue_frame()
    lines = [
        "| 编码 | 名称 | 类别 | 范围 | 严重程度 | 读取字段 |",
        "|---|---|---|---|---|---|",
    ]
    for row in frame.itertuples(index=False):
        fields = row.fields.replace("|", "/")
        lines.append(f"| {row.code} | {row.title} | {row.kind} | {row.scope} | {row.severity} | {fields} |")
    return "\n".join(lines) + "\n"
