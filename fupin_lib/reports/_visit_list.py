"""Printable visit lists (走访名单): one A4 section per responsible cadre.

The page is plain HTML with a print style sheet: each cadre starts on a new
sheet, long lists continue on further sheets with the header repeated, and
there are no scripts or external assets.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import pandas as pd

__all__ = ["write_visit_lists", "VISIT_LIST_COLUMNS"]

# Column of the visits table -> printed header.
VISIT_LIST_COLUMNS = {
    "township": "乡镇",
    "village": "村",
    "household_no": "户编号",
    "head_name_masked": "户主",
    "household_size": "人数",
    "phone_masked": "联系电话",
    "reasons": "走访原因",
}

_NO_HELPER = "未登记帮扶责任人"

_STYLE = """
  body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
         "Microsoft YaHei", "SimHei", sans-serif; margin: 0 auto; max-width: 190mm;
         padding: 8px; color: #000; }
  h1 { font-size: 18px; margin: 0 0 4px; }
  h2 { font-size: 15px; margin: 12px 0 4px; }
  p.meta { font-size: 12px; margin: 0 0 6px; }
  table { border-collapse: collapse; width: 100%; font-size: 12px; }
  th, td { border: 1px solid #444; padding: 3px 4px; vertical-align: top; text-align: left; }
  td.result { width: 22mm; }
  td.signature { width: 18mm; }
  section.cadre { margin-bottom: 16px; }
  @page { size: A4 portrait; margin: 12mm 10mm; }
  @media print {
    body { max-width: none; padding: 0; }
    section.cadre { break-before: page; page-break-before: always; }
    section.cadre:first-of-type { break-before: auto; page-break-before: auto; }
    thead { display: table-header-group; }
    tr { break-inside: avoid; page-break-inside: avoid; }
    table.sheet { break-after: page; page-break-after: always; }
    table.sheet:last-child { break-after: auto; page-break-after: auto; }
  }
  @media (max-width: 600px) { table { font-size: 11px; } }
"""


def _cadre_label(name, unit) -> str:
    name = "" if pd.isna(name) else str(name)
    unit = "" if pd.isna(unit) else str(unit)
    if not name and not unit:
        return _NO_HELPER
    return f"{name}（{unit}）" if unit else name


def _sheet(rows: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in VISIT_LIST_COLUMNS.values())
    head += "<th>走访结果</th><th>签字</th>"
    lines = []
    for _, row in rows.iterrows():
        cells = "".join(
            f"<td>{html.escape('' if pd.isna(row.get(c)) else str(row.get(c)))}</td>"
            for c in VISIT_LIST_COLUMNS
        )
        lines.append(f"<tr>{cells}<td class=\"result\"></td><td class=\"signature\"></td></tr>")
    return f"<table class=\"sheet\"><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def write_visit_lists(visits: pd.DataFrame, path: str | os.PathLike, *, county: str, year: int,
                      office: str, contact: str = "", rows_per_page: int = 15) -> Path:
    """Write the printable visit lists of a county run.

    Parameters
    ----------
    visits : DataFrame
        Households to visit, with the columns of `VISIT_LIST_COLUMNS` plus
        ``helper_name`` (masked) and ``helper_unit``; rows keep their order.
    path : path-like
        HTML file to write.
    county : str
        County name for the page header.
    year : int
    office : str
        Responsible office printed under each header.
    contact : str, default=""
        Office telephone printed under each header.
    rows_per_page : int, default=15
        Households per printed sheet; a cadre with more gets further sheets.

    Returns
    -------
    Path
    """
    visits = visits.copy()
    for column in ("helper_name", "helper_unit", *VISIT_LIST_COLUMNS):
        if column not in visits:
            visits[column] = pd.NA
    visits["_cadre"] = [_cadre_label(n, u) for n, u in zip(visits["helper_name"], visits["helper_unit"])]

    title = f"{county} {year} 年入户走访名单"
    meta = f"责任单位：{office}" + (f"　联系电话：{contact}" if contact else "")
    sections = []
    for cadre, rows in visits.groupby("_cadre", sort=True):
        sheets = "".join(_sheet(rows.iloc[start:start + rows_per_page])
                         for start in range(0, len(rows), rows_per_page))
        sections.append(
            f"<section class=\"cadre\"><h1>{html.escape(title)}</h1>"
            f"<h2>帮扶责任人：{html.escape(cadre)}　共 {len(rows)} 户</h2>"
            f"<p class=\"meta\">{html.escape(meta)}</p>{sheets}</section>"
        )
    if not sections:
        sections.append(f"<section class=\"cadre\"><h1>{html.escape(title)}</h1>"
                        "<p>本次没有需要走访的农户。</p></section>")

    page = (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(sections)}</body></html>\n"
    )
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, path)
    return path
