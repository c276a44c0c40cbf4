"""`import_files`: read exports, normalise and validate them, and write the
clean tables of every county and year found, with rejects.xlsx and
import_report.json."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputFileError
from ..geo import division_name
from ..reports import write_excel
from ..schema import TABLES
from ._areas import (assign_village_codes, combination_ids, county_from_text, fallback_from_path,
                     resolve_combinations, year_from_text)
from ._households import MemberKeys, check_members, households_from_roster
from ._readers import read_sheets
from ._schemas import validate_allowed, warm_up as warm_up_schemas
from ._sheets import ISSUE_COLUMNS, SheetRows, issue_frame, parse_sheet
from ._store import CleanFolder, conform

__all__ = ["ImportReport", "import_files"]

logger = logging.getLogger(__name__)

_AREA_COLUMNS = ("province_code", "province", "city_code", "city", "county_code", "county",
                 "township_code", "township", "village_code")
_ISSUE_HEADERS = {"file": "文件", "sheet": "工作表", "row": "行号", "column": "列", "value": "原始值",
                  "reason": "原因", "table": "表", "county_code": "县代码", "year": "年度"}
_REPORT_COLUMNS = ["file", "sheet", "row", "column", "value", "reason", "table", "county_code", "year"]
UNASSIGNED = "_unassigned"


@dataclasses.dataclass
class ImportReport:
    """Outcome of an import: what was written and every problem found.

    Attributes
    ----------
    partitions : DataFrame
        ``county_code``, ``year``, ``path`` and the row count of each table
        written.
    stats : DataFrame
        Per file, sheet and table: ``encoding``, ``rows``, ``imported``,
        ``warned`` and ``rejected``.
    rejects : DataFrame
        Rows that were not imported: file, sheet, row, column, value, reason.
    warnings : DataFrame
        Rows imported with a problem, same columns.
    refused_files : list of str
        Chinese messages of the files that were not imported at all.
    kept_stored : list of str
        Chinese messages of the stored tables that were kept because the new
        import would have shrunk them to less than half (see `replace`).
    unassigned_path : Path or None
        ``_unassigned/rejects.xlsx`` under the output root, written when some
        problems belong to no county and year.
    input_files : list of str
        The files given, as given.
    """

    partitions: pd.DataFrame
    stats: pd.DataFrame
    rejects: pd.DataFrame
    warnings: pd.DataFrame
    refused_files: list
    kept_stored: list = dataclasses.field(default_factory=list)
    unassigned_path: Path | None = None
    input_files: list = dataclasses.field(default_factory=list)

    def rejects_paths(self) -> list[Path]:
        """Paths of the rejects.xlsx files written."""
        return [Path(p) / "rejects.xlsx" for p in self.partitions["path"]]

    def summary(self) -> str:
        """Return a Chinese summary: counts per file and table, and where the
        rejects are."""
        lines = ["导入结果："]
        table_zh = {name: table.zh for name, table in TABLES.items()}
        for row in self.stats.itertuples(index=False):
            sheet = f"［{row.sheet}］" if row.sheet else ""
            encoding = f"，编码 {row.encoding}" if row.encoding else ""
            lines.append(f"  {row.file}{sheet} {table_zh.get(row.table, row.table or '未识别')}：共 {row.rows} 行，"
                         f"导入 {row.imported} 行（其中有警告 {row.warned} 行），拒绝 {row.rejected} 行{encoding}")
        for message in self.refused_files:
            lines.append(f"  拒绝整个文件：{message}")
        for message in self.kept_stored:
            lines.append(f"  未替换原有数据：{message}")
        if self.stats.empty and not self.refused_files:
            lines.append("  没有读到任何数据行：文件为空，或只有标题没有数据。请检查导出文件"
                         f"（{'、'.join(self.input_files)}）。" if self.input_files else
                         "  没有读到任何数据行：文件为空，或只有标题没有数据。请检查导出文件。")
        if self.unassigned_path is not None:
            lines.append(f"  不属于任何县和年度的问题（如表头未识别、年度不明的行）：{self.unassigned_path}")
        for row in self.partitions.to_dict("records"):
            counts = "，".join(f"{table_zh[name]} {row[name]} 行" for name in TABLES if row[name])
            lines.append(f"  写入 {row['path']}（{row['county_code']} {row['year']} 年：{counts or '无数据'}）；"
                         f"问题清单：{Path(row['path']) / 'rejects.xlsx'}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready content of import_report.json."""
        return {
            "partitions": self.partitions.astype(object).to_dict("records"),
            "stats": self.stats.astype(object).to_dict("records"),
            "n_rejects": int(len(self.rejects)),
            "n_warnings": int(len(self.warnings)),
            "reasons": {
                "rejects": self.rejects["reason"].value_counts().astype(int).to_dict() if len(self.rejects) else {},
                "warnings": self.warnings["reason"].value_counts().astype(int).to_dict() if len(self.warnings) else {},
            },
            "refused_files": list(self.refused_files),
        }


def import_files(paths, *, out, county: str | None = None, year: int | None = None,
                 replace: bool = False) -> ImportReport:
    """Import export files into a clean-data root.

    Parameters
    ----------
    paths : path-like or list of path-like
        .xlsx, .xls or .csv exports (rosters, household or member sheets,
        verification records, postings, trainings, placements).
    out : path-like
        Clean-data root. Results land in ``out/<county_code>/<year>/``; each
        such folder is replaced as a whole, so import all files of a county
        and year in one call. Other folders are left untouched.
    county : str, optional
        6-digit county code for rows whose county the file does not tell
        (no area column, nothing in the title rows).
    year : int, optional
        Year for files that carry none (no 年度 column, no year in the title).
    replace : bool, default=False
        Replace a stored table even when the new import has less than half
        of its rows. By default such a table is kept, because a damaged or
        wrong file would otherwise wipe data already imported.

    Returns
    -------
    ImportReport

    Raises
    ------
    InputFileError
        If a file cannot be read at all, or if no file could be imported.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    if county is not None and not (str(county).isdigit() and len(str(county)) == 6):
        raise InputFileError(f"--county 应为 6 位县级区划代码，得到 {county!r}", value=county)
    if county is not None and division_name(str(county)) is None:
        raise InputFileError(f"--county {county} 不是区划表中的县级代码。请检查代码（如怀集县为 441224）。",
                             value=county)
    if year is not None and not 1990 <= int(year) <= 2100:
        # The same bounds as a 年度 cell (see `_place_rows`).
        raise InputFileError(f"--year 应为四位年度（1990–2100），得到 {year!r}", value=year)
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise InputFileError(f"文件不存在或不是文件：{'、'.join(missing)}。请检查路径。", file=missing[0])
    sheets: list[SheetRows] = []
    placements: list[Placement | None] = []
    refused: list[str] = []
    issues: list[pd.DataFrame] = []
    # calamine parses a workbook on one core without the GIL: meanwhile a
    # thread loads what the checks need next. pyarrow's CSV reader already
    # keeps both cores busy, so CSV files load these when first used.
    warming = None
    if any(path.suffix.lower() in (".xlsx", ".xlsm", ".xls") for path in paths):
        warming = threading.Thread(target=_warm_up, name="fupin-import-warm-up", daemon=True)
        warming.start()
    for path in paths:
        logger.info("reading %s", path)
        for raw in read_sheets(path):
            if warming is not None:
                warming.join()
            sheet = parse_sheet(raw, len(sheets))
            sheets.append(sheet)
            issues.extend(sheet.issues)
            if not sheet.tables and raw.unread_rows:
                where = f"{raw.file}［{raw.sheet}］" if raw.sheet else raw.file
                issues.append(issue_frame(sheet.sheet_id, [-1], "", "", "",
                                          f"未识别表头：{where} 的前 30 行中没有至少两个已知列名，该表 {raw.unread_rows} 行未导入。"
                                          "请检查表头是否为国家系统导出的列名（如 户编号、证件号码、与户主关系），并把表头放在数据行之上", "reject"))
            try:
                placements.append(_place_rows(sheet, county, year, issues))
            except InputFileError as error:
                refused.append(str(error))
                placements.append(None)
                issues.append(issue_frame(sheet.sheet_id, [-1], sheet.primary or "", "", "", str(error), "reject"))
    if sheets and all(p is None for p in placements) and refused:
        raise InputFileError("没有可导入的文件：\n" + "\n".join(refused))
    return _assemble(sheets, placements, issues, refused, Path(out), replace=replace)


def _warm_up() -> None:
    """Load pandera and its schemas, the division table and the Excel writer."""
    try:
        warm_up_schemas()
        division_name("441224")
        county_from_text("")
        import xlsxwriter  # noqa: F401 (loaded for rejects.xlsx)
    except Exception:  # the import itself reports any real problem later
        logger.exception("warming up the import failed")


@dataclasses.dataclass
class Placement:
    """County, year and division codes of the rows of one sheet.

    Attributes
    ----------
    county_codes : ndarray of object
        County code per row; None where the row is rejected.
    years : Series of Int64
        Year per row.
    areas : DataFrame
        Resolved division codes (`AREA_OUTPUTS`) per distinct combination of
        the sheet's area cells.
    area_ids : ndarray of intp
        Combination of each row.
    """

    county_codes: np.ndarray
    years: pd.Series
    areas: pd.DataFrame
    area_ids: np.ndarray

    def counties(self) -> set:
        """County codes of the rows that are not rejected."""
        placed = np.not_equal(self.county_codes, None)
        codes = self.areas["county_code"].to_numpy(dtype=object, na_value=None)[np.unique(self.area_ids[placed])]
        return set(codes) - {None}

    def area_rows(self, positions: np.ndarray, columns: list[str]) -> pd.DataFrame:
        """Division codes (the `columns` given) of the rows at `positions`."""
        return self.areas[columns].iloc[self.area_ids[positions]].reset_index(drop=True)


def _place_rows(sheet: SheetRows, county_option, year_option, issues) -> Placement | None:
    """Resolve the county and year of every row of a sheet."""
    raw = sheet.raw
    if not sheet.tables:
        return None
    title = raw.layout.title
    path_county, path_year = fallback_from_path(raw.file)
    title_county = county_from_text(title)
    fallback_county = title_county or county_option or path_county
    fallback_year = year_from_text(title) or year_option or path_year

    widest = sheet.parsed[sheet.tables[0]]
    area_columns = [c for c in _AREA_COLUMNS if c in widest]
    area_ids, first_rows = combination_ids([widest.value_codes(c) for c in area_columns], widest.n_rows)
    areas, combo_warning, combo_reject = resolve_combinations(
        widest.frame(first_rows, area_columns), fallback_county=fallback_county,
        city_hint=title_county[:4] if title_county else None)
    area_ids, moved = _one_county_per_household(sheet, area_ids, areas)
    warning = combo_warning[area_ids]
    reject = combo_reject[area_ids]
    if moved.any():
        county = areas["county_code"].to_numpy(dtype=object, na_value=None)[area_ids[moved]]
        note = np.array([f"同一户的各行所属县不一致，已按户主行归入 {code}" for code in county], dtype=object)
        warning = warning.copy()
        warning[moved] = np.where(np.not_equal(warning[moved], None),
                                  warning[moved].astype(str) + "; " + note, note)
    years = pd.Series(pd.NA, index=range(widest.n_rows), dtype="Int64")
    for parsed in sheet.parsed.values():
        if "year" in parsed:
            years = years.fillna(parsed.column("year"))
    if years.isna().all() and fallback_year is None:
        raise InputFileError(
            f"无法确定文件 {raw.file}{'［' + raw.sheet + '］' if raw.sheet else ''} 的年度：表中没有“年度”列，"
            "标题行和文件名里也没有年份。请在命令中加 --year（如 --year 2020）后重新导入。",
            file=raw.file, sheet=raw.sheet)
    years = years.fillna(fallback_year)
    bad_year = (years.notna() & ~years.between(1990, 2100)).fillna(False).to_numpy(dtype=bool)
    reject = np.where(bad_year, "年度无效（应为 1990–2100 之间的四位年份）", reject)
    no_year = years.isna().to_numpy()
    reject = np.where(no_year, "年度为空，文件标题和命令行也没有给出年度：请填写年度列或加 --year", reject)

    primary = sheet.primary
    sid = sheet.sheet_id
    has_reject = np.not_equal(reject, None)
    if has_reject.any():
        rows = np.flatnonzero(has_reject & ~sheet.rejects[primary])
        issues.append(issue_frame(sid, rows, primary, "县/年度", "", reject[rows], "reject"))
        for name in sheet.rejects:
            sheet.rejects[name] = sheet.rejects[name] | has_reject
    has_warning = np.not_equal(warning, None)
    if has_warning.any():
        rows = np.flatnonzero(has_warning & ~sheet.rejects[primary])
        issues.append(issue_frame(sid, rows, primary, "区划", "", warning[rows], "warning"))
    county_codes = areas["county_code"].to_numpy(dtype=object, na_value=None)[area_ids]
    county_codes[has_reject] = None
    return Placement(county_codes, years.astype("Int64"), areas, area_ids)


def _assemble(sheets, placements, issues, refused, out: Path, *, replace: bool = False) -> ImportReport:
    parts: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for sheet, placement in zip(sheets, placements):
        if placement is None:
            continue
        for name, parsed in sheet.parsed.items():
            keep = ~sheet.rejects[name]
            if name == "households" and "members" in sheet.parsed:
                frame, roster_warnings = households_from_roster(parsed, sheet.parsed["members"],
                                                                sheet_id=sheet.sheet_id, keep=keep)
                issues.extend(roster_warnings)
                frame["_source"] = 1
            else:
                # Only the kept rows are built: a rejected row never costs a copy.
                frame = parsed.frame(None if keep.all() else np.flatnonzero(keep), categories=parsed.passed_through())
                frame["_sheet"] = sheet.sheet_id
                frame["_source"] = 0
                if name == "members" and "household_no" in parsed and "id_number" in parsed:
                    rows = frame["_pos"].to_numpy()
                    frame["_household_key"] = parsed.value_codes("household_no")[rows]
                    frame["_id_key"] = parsed.value_codes("id_number")[rows]
            positions = frame["_pos"].to_numpy()
            area = placement.area_rows(positions, [c for c in placement.areas.columns
                                                   if c == "county_code" or c in TABLES[name].names])
            frame["county_code"] = area["county_code"]
            frame["year"] = placement.years.array.take(positions)
            for column in area.columns:
                if column in TABLES[name].names and column != "county_code":
                    frame[column] = area[column].where(area[column].notna(), frame.get(column))
            for (county, year), group in _by_partition(frame):
                parts[(str(county), int(year))][name].append(group)

    # Each table is checked and written as soon as its rows are known, two
    # at a time: much of the work is in Arrow and NumPy, which release the
    # GIL. The folders replace the stored ones only once all is written.
    folders: dict[tuple, CleanFolder] = {}
    kept_stored: list[str] = []
    rows = []
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            staged = {}
            for (county, year), tables in sorted(parts.items()):
                folder = folders[(county, year)] = CleanFolder(out, county, year)
                staged[(county, year)] = {name: pool.submit(_finish_and_stage, folder, name, frames, replace)
                                          for name, frames in tables.items()}
            for (county, year), futures in staged.items():
                guarded = set()
                for name, future in futures.items():
                    table_issues, kept_message = future.result()
                    issues.extend(table_issues)
                    if kept_message:
                        kept_stored.append(kept_message)
                        guarded.add(name)
                # Households and members describe the same people: when the
                # guard keeps one, the other is kept too.
                pair = {"households", "members"}
                for name in sorted(pair & set(futures) - guarded) if guarded & pair else []:
                    folder = folders[(county, year)]
                    if folder.stored_rows(name) is not None:
                        folder.drop_table(name)
                        kept_stored.append(f"{county} {year} 年{TABLES[name].zh}：户信息和成员信息须一起替换，"
                                           f"已随{TABLES[next(iter(guarded & pair))].zh}保留原有数据。"
                                           "确认要替换，请加 --replace 重新导入。")

        all_issues = _locate_issues(sheets, placements, issues)
        stats = _stats(sheets, placements, all_issues)
        reported = np.zeros(len(all_issues), dtype=bool)
        for (county, year), folder in folders.items():
            in_partition = (all_issues["county_code"] == county) & (all_issues["year"] == year)
            files = [s.raw.file for s, p in zip(sheets, placements) if p is not None and county in p.counties()]
            file_level = all_issues["county_code"].isna() & all_issues["file"].isin(files)
            selected = (in_partition | file_level).fillna(False).to_numpy(dtype=bool)
            reported |= selected
            chosen = all_issues[selected]
            rejects = chosen[chosen["severity"] == "reject"][_REPORT_COLUMNS]
            warnings = chosen[chosen["severity"] == "warning"][_REPORT_COLUMNS]
            # A table this import does not provide keeps what is stored, so that
            # importing a county's verification records alone never wipes its roster.
            # So does a table kept by the shrink guard in `_finish_and_stage`.
            kept_tables = [name for name in TABLES if name not in folder.rows and folder.keep_table(name)]
            for name in TABLES:
                if name not in folder.rows:
                    folder.write_table(name, None)
            # The problems found when the kept tables were imported stay listed.
            old_rejects, old_warnings, old_files = _stored_problems(folder.target, kept_tables)
            rejects = pd.concat([rejects, old_rejects], ignore_index=True) if len(old_rejects) else rejects
            warnings = pd.concat([warnings, old_warnings], ignore_index=True) if len(old_warnings) else warnings
            report = {"county_code": county, "year": year, "kept_tables": kept_tables,
                      "rows": {name: int(folder.rows[name]) for name in TABLES},
                      "n_rejects": int(len(rejects)), "n_warnings": int(len(warnings)),
                      "files": sorted((set(chosen["file"]) - {""}) | set(files) | old_files)}
            folder.write_file("rejects.xlsx", lambda target, r=rejects, w=warnings: _write_rejects(r, w, target))
            folder.write_file("import_report.json", report)
        for (county, year), folder in folders.items():
            path = folder.commit()
            rows.append({"county_code": county, "year": year, "path": str(path),
                         **{name: int(folder.rows[name]) for name in TABLES}})
    finally:
        for folder in folders.values():
            folder.discard()  # a no-op for the folders already committed

    # Problems that belong to no county-year folder (a sheet whose header was
    # not found, rows whose year is unknown) go to out/_unassigned, so that
    # every problem is in some rejects.xlsx.
    unassigned = all_issues[~reported]
    unassigned_path = None
    if len(unassigned):
        target = out / UNASSIGNED
        target.mkdir(parents=True, exist_ok=True)
        unassigned_path = target / "rejects.xlsx"
        _write_rejects(unassigned[unassigned["severity"] == "reject"][_REPORT_COLUMNS],
                       unassigned[unassigned["severity"] == "warning"][_REPORT_COLUMNS], unassigned_path)
    partitions = pd.DataFrame(rows, columns=["county_code", "year", "path", *TABLES])
    return ImportReport(
        partitions=partitions, stats=stats,
        rejects=all_issues[all_issues["severity"] == "reject"][_REPORT_COLUMNS].reset_index(drop=True),
        warnings=all_issues[all_issues["severity"] == "warning"][_REPORT_COLUMNS].reset_index(drop=True),
        refused_files=refused, kept_stored=kept_stored, unassigned_path=unassigned_path,
        input_files=list(dict.fromkeys(s.raw.file for s in sheets)))


def _stored_problems(folder: Path, tables: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, set]:
    """Read the rejects and warnings of `tables` from a published folder's
    rejects.xlsx, with the source files of its import_report.json.

    Returns empty frames when nothing is kept or the files are missing or
    unreadable: the report of an earlier import is worth keeping, not worth
    failing the new import for.
    """
    empty = pd.DataFrame(columns=_REPORT_COLUMNS)
    path = folder / "rejects.xlsx"
    if not tables or not path.exists():
        return empty, empty, set()
    by_header = {header: column for column, header in _ISSUE_HEADERS.items()}
    try:
        sheets = pd.read_excel(path, sheet_name=None, engine="calamine", dtype=str)
        files = set(json.loads((folder / "import_report.json").read_text(encoding="utf-8")).get("files", []))
    except (OSError, ValueError) as error:
        logger.warning("could not read the earlier problem list %s: %s", path, error)
        return empty, empty, set()
    frames = []
    for name in ("拒绝导入", "有警告的导入行"):
        frame = sheets.get(name, empty).rename(columns=by_header).reindex(columns=_REPORT_COLUMNS)
        frames.append(frame[frame["table"].isin(tables)])
    return frames[0], frames[1], files


def _combine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack the rows of one table and partition taken from several sheets."""
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    # The member keys number values within one sheet only.
    return pd.concat([frame.drop(columns=["_household_key", "_id_key"], errors="ignore") for frame in frames],
                     ignore_index=True)


def _by_partition(frame: pd.DataFrame):
    """Split rows by county and year: ``((county, year), rows)`` pairs."""
    counties, years = frame["county_code"], frame["year"]
    if len(frame) and counties.notna().all() and years.notna().all() and \
            (counties == counties.iloc[0]).all() and (years == years.iloc[0]).all():
        # The usual file contains one county and year: no split, no copy.
        return [((counties.iloc[0], years.iloc[0]), frame)]
    return list(frame.groupby(["county_code", "year"], sort=True))


def _finish_and_stage(folder: CleanFolder, name: str, frames: list[pd.DataFrame], replace: bool
                      ) -> tuple[list, str | None]:
    """Check one table of one county-year and write it into `folder`.

    A table the import would shrink to less than half of what is stored is
    not written, unless `replace`: a wrong or damaged file must not wipe
    what was imported before.

    Returns
    -------
    issues : list of DataFrame
    kept_message : str or None
        Chinese message when the stored table was kept.
    """
    frame, issues = _finish_table(name, _combine(frames))
    stored = folder.stored_rows(name)
    if not replace and stored is not None and len(frame) * 2 < stored:
        county, year = folder.target.parent.name, folder.target.name
        return issues, (f"{county} {year} 年{TABLES[name].zh}：本次只导入 {len(frame)} 行，原有 {stored} 行，"
                        f"少于一半，已保留原有数据。确认要替换，请加 --replace 重新导入。")
    folder.write_table(name, frame)
    return issues, None


def _finish_table(name: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    """Apply the checks of one table of one county-year and validate it.

    Returns
    -------
    table : DataFrame
        Canonical columns and dtypes; values that failed validation blanked.
    issues : list of DataFrame
    """
    issues = []
    if name == "households":
        frame = frame.sort_values("_source", kind="stable")
        duplicated = frame["household_no"].duplicated(keep="first")
        from_sheets = duplicated & (frame["_source"] == 0)
        if from_sheets.any():
            rows = frame[from_sheets]
            issues.append(pd.DataFrame({"sheet_id": rows["_sheet"], "pos": rows["_pos"], "table": name,
                                        "column": "户编号", "value": rows["household_no"].astype(object),
                                        "reason": "户编号重复，只保留第一行", "severity": "reject"},
                                       columns=ISSUE_COLUMNS))
        frame = frame[~duplicated]
        if "village" in frame:
            if "village_code" not in frame:
                frame["village_code"] = pd.Series(pd.NA, index=frame.index, dtype="string")
            if "township_code" in frame:
                frame["village_code"], messages = assign_village_codes(frame)
                for message in messages:
                    issues.append(pd.DataFrame({"sheet_id": [-1], "pos": [-1], "table": [name], "column": ["村代码"],
                                                "value": [""], "reason": [message], "severity": ["warning"],
                                                "county_code": [frame["county_code"].iloc[0]],
                                                "year": [int(frame["year"].iloc[0])]}))
    if name == "members":
        # The same person twice in one household is a repeated row (a file
        # imported twice, rows copied): counting it twice would double the
        # laborers, so only the first row is kept.
        keys = MemberKeys.of(frame)
        repeated = keys.repeated()
        if repeated.any():
            rows = frame[repeated]
            issues.append(pd.DataFrame({"sheet_id": rows["_sheet"], "pos": rows["_pos"], "table": name,
                                        "column": "证件号码", "value": rows["id_number"].astype(object),
                                        "reason": "同一户中证件号码重复出现（重复行或重复导入），只保留第一次出现的行",
                                        "severity": "reject"}, columns=ISSUE_COLUMNS))
            frame = frame[~repeated]
            keys = keys.subset(~repeated)
        frame, member_warnings = check_members(frame, keys)
        issues.extend(member_warnings)

    frame = frame.reset_index(drop=True)
    typed = conform(frame, name, keep_categories=True)
    failures = validate_allowed(typed, name)
    if len(failures):
        zh = {c.name: c for c in TABLES[name].columns}
        for column, group in failures.groupby("column"):
            positions = group["index"].astype(int).to_numpy()
            allowed = "、".join(zh[column].allowed or ())
            issues.append(pd.DataFrame({
                "sheet_id": frame["_sheet"].to_numpy()[positions], "pos": frame["_pos"].to_numpy()[positions],
                "table": name, "column": zh[column].zh, "value": group["failure_case"].astype(str).to_numpy(),
                "reason": f"不是允许的值（允许：{allowed}），已置空" if allowed else "格式无效，已置空",
                "severity": "warning"}, columns=ISSUE_COLUMNS))
            typed.loc[positions, column] = pd.NA
    return typed, issues


def _locate_issues(sheets, placements, issues) -> pd.DataFrame:
    """Add file, sheet, row number, county and year to every issue."""
    frames = [f for f in issues if len(f)]
    if not frames:
        return pd.DataFrame(columns=[*ISSUE_COLUMNS, "file", "sheet", "row", "county_code", "year"])
    table = pd.concat([f.astype({"sheet_id": "int64", "pos": "int64"}) for f in frames], ignore_index=True)
    for column in ("row", "county_code", "year"):
        if column not in table:
            table[column] = pd.NA
    table["row"] = table["row"].astype("Int64")
    table["county_code"] = table["county_code"].astype(object)
    table["year"] = table["year"].astype("Int64")
    table["file"] = ""
    table["sheet"] = ""

    for sheet, placement in zip(sheets, placements):
        mine = (table["sheet_id"] == sheet.sheet_id).to_numpy()
        if not mine.any():
            continue
        table.loc[mine, "file"] = sheet.raw.file
        table.loc[mine, "sheet"] = sheet.raw.sheet

        positions = table.loc[mine, "pos"].to_numpy()
        located = mine.copy()
        located[mine] = positions >= 0
        if located.any():
            pos = table.loc[located, "pos"].to_numpy()
            table.loc[located, "row"] = sheet.raw.row_numbers[pos]
            if placement is not None:
                county = placement.areas["county_code"].to_numpy(dtype=object, na_value=None)[placement.area_ids[pos]]
                table.loc[located, "county_code"] = county
                table.loc[located, "year"] = placement.years.to_numpy()[pos]
        if placement is not None:
            # Rows that the reader could not split still belong to the file's
            # main county and year.
            unlocated = mine & ~located & table["county_code"].isna().to_numpy()
            valid = pd.Series(placement.county_codes).dropna()
            if unlocated.any() and len(valid):
                table.loc[unlocated, "county_code"] = valid.mode().iloc[0]
                table.loc[unlocated, "year"] = int(placement.years.dropna().mode().iloc[0])
    # A warning on a rejected row adds nothing, so it is dropped.
    row_key = table["sheet_id"] * (1 << 32) + table["pos"]
    is_reject = (table["severity"] == "reject").to_numpy()
    on_rejected = ~is_reject & np.isin(row_key, row_key[is_reject]) & (table["pos"] >= 0).to_numpy()
    table = table[~on_rejected]

    # A roster reports a missing 户编号 once, not once per table.
    table = table.drop_duplicates(["sheet_id", "pos", "row", "column", "reason"]) if len(table) else table
    return table.sort_values(["file", "sheet", "row"], kind="stable", na_position="first").reset_index(drop=True)


def _one_county_per_household(sheet: SheetRows, area_ids: np.ndarray, areas: pd.DataFrame
                               ) -> tuple[np.ndarray, np.ndarray]:
    """Give all rows of a household the area of its head's row (else its
    first row) when the rows name different counties. Rows whose county is
    unknown never decide.

    A household lives in one county: split by a mistyped county name, its
    members would land in two folders and each half would lack a head.

    Returns
    -------
    area_ids : ndarray
        The combination of each row, changed for the rows moved.
    moved : ndarray of bool
        Rows whose county changed.
    """
    moved = np.zeros(len(area_ids), dtype=bool)
    table = sheet.parsed[sheet.tables[0]]
    # The usual sheet names one county: nothing to look at row by row.
    if "household_no" not in table or areas["county_code"].nunique(dropna=False) < 2:
        return area_ids, moved
    county = pd.factorize(areas["county_code"])[0][area_ids]
    household = table.value_codes("household_no")
    known = household >= 0
    if not known.any():
        return area_ids, moved
    # Households with more than one county among their rows: their smallest
    # and largest county numbers differ.
    lowest = np.full(int(household.max()) + 1, np.iinfo(np.int64).max)
    highest = np.full(len(lowest), np.iinfo(np.int64).min)
    np.minimum.at(lowest, household[known], county[known])
    np.maximum.at(highest, household[known], county[known])
    split = np.flatnonzero(lowest != highest)
    split = split[highest[split] > np.iinfo(np.int64).min]  # numbers no row carries
    if len(split) == 0:
        return area_ids, moved
    members = sheet.parsed.get("members", table)
    is_head = members.equals("relation_to_head", "户主")
    in_split = known & np.isin(household, split)
    rows = np.flatnonzero(in_split)
    # Rows with a known county first, then heads, then by position: the
    # first row of each household wins.
    order = rows[np.lexsort((rows, ~is_head[rows], county[rows] < 0, household[rows]))]
    first = order[np.r_[True, household[order][1:] != household[order][:-1]]]
    chosen = dict(zip(household[first].tolist(), area_ids[first].tolist()))
    target = np.array([chosen[code] for code in household[rows].tolist()], dtype=area_ids.dtype)
    area_ids = area_ids.copy()
    moved[rows] = county[rows] != county[first[np.searchsorted(household[first], household[rows])]]
    area_ids[rows] = target
    return area_ids, moved


def _stats(sheets, placements, issues: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for sheet in sheets:
        raw = sheet.raw
        base = {"file": raw.file, "sheet": raw.sheet, "encoding": raw.encoding}
        if not sheet.tables:
            if raw.unread_rows:
                rows.append({**base, "table": "", "rows": raw.unread_rows, "imported": 0, "warned": 0,
                             "rejected": raw.unread_rows})
            continue
        mine = issues[issues["sheet_id"] == sheet.sheet_id]
        primary = sheet.primary
        rejected = sheet.rejects[primary].copy()
        # Rows rejected after parsing (a person repeated in a household) count too.
        later = mine.loc[(mine["severity"] == "reject") & (mine["pos"] >= 0) & (mine["table"] == primary), "pos"]
        rejected[later.to_numpy(dtype=np.int64)] = True
        if placements[sheet.sheet_id] is None:
            rejected = np.ones(raw.n_rows, dtype=bool)
        n_skipped = len(raw.skipped)
        warned_positions = np.unique(mine.loc[(mine["severity"] == "warning") & (mine["pos"] >= 0), "pos"].to_numpy(dtype=np.int64))
        warned = int((~rejected[warned_positions]).sum())
        rows.append({**base, "table": primary, "rows": raw.n_rows + n_skipped,
                     "imported": int((~rejected).sum()), "warned": warned,
                     "rejected": int(rejected.sum()) + n_skipped})
    return pd.DataFrame(rows, columns=["file", "sheet", "encoding", "table", "rows", "imported", "warned", "rejected"])


def _write_rejects(rejects: pd.DataFrame, warnings: pd.DataFrame, target: Path) -> None:
    write_excel({"拒绝导入": rejects.astype(object), "有警告的导入行": warnings.astype(object)}, target,
                headers=_ISSUE_HEADERS)
