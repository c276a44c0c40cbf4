"""Run outputs written without a run, for tests, benchmarks and screenshots.

Both writers produce the layout of the county runs:
``<root>/<county_code>/<year>/households.parquet``, ``problems.parquet``,
``employment.parquet`` and ``kpis.json``.

- `write_example_outputs` writes a small hand-made set whose totals are listed
  in `EXAMPLE_VILLAGES`, so tests can compare with numbers computed by hand.
- `write_synthetic_outputs` writes a random province-scale set for the
  benchmark.

Not used by production code. Names are fake.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from ..schema import village_code

__all__ = [
    "EXAMPLE_VILLAGES",
    "EXAMPLE_YEARS",
    "VillageSpec",
    "write_example_outputs",
    "write_synthetic_outputs",
    "write_outputs",
]

CATEGORIES = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")
BANDS = ("高", "中", "低")
CHANNELS = ("外出务工", "公益性岗位", "帮扶车间", "产业基地")
OPEN_STATUS = "整改中"
CLOSED_STATUS = "已销号"
_SURNAMES = "陈李黄张梁林何吴罗欧郭冯邓谭苏"


@dataclass(frozen=True)
class VillageSpec:
    """One village of the example outputs in one year: the totals that the
    households are built from.

    Households get the same `size` and `laborers` each. Employed laborers,
    verification, monitoring categories, risk bands, rule flags and problem
    items are handed out to households in order (the first households get
    them), so every total below is exact.
    """

    county_code: str
    county: str
    township_code: str
    township: str
    village: str
    households: int
    size: int
    laborers: int
    employed: int
    verified: int
    monitored: dict = field(default_factory=dict)
    bands: dict = field(default_factory=dict)
    rule_flagged: int = 0
    problems_open: int = 0
    problems_closed: int = 0


def _village(county_code, county, township_code, township, village, **totals_by_year):
    return {
        year: VillageSpec(county_code, county, township_code, township, village, **totals)
        for year, totals in totals_by_year.items()
    }


EXAMPLE_YEARS = (2019, 2020)

# The three villages of 连麦镇 (怀集县) hold 128 laborers; 116 of them are
# employed in 2020 (90.63 %), 105 in 2019.
EXAMPLE_VILLAGES = [
    _village(
        "441224", "怀集县", "441224118", "连麦镇", "莲社村",
        y2019=dict(households=16, size=4, laborers=3, employed=40, verified=14,
                   monitored={"脱贫不稳定户": 2}, bands={"高": 3, "中": 3, "低": 2},
                   rule_flagged=4, problems_open=9, problems_closed=2),
        y2020=dict(households=16, size=4, laborers=3, employed=44, verified=16,
                   monitored={"脱贫不稳定户": 2, "边缘易致贫户": 1}, bands={"高": 2, "中": 3, "低": 4},
                   rule_flagged=3, problems_open=5, problems_closed=7),
    ),
    _village(
        "441224", "怀集县", "441224118", "连麦镇", "仓社村",
        y2019=dict(households=14, size=3, laborers=3, employed=35, verified=10,
                   monitored={"脱贫不稳定户": 1}, bands={"高": 1, "中": 1, "低": 2},
                   rule_flagged=2, problems_open=6, problems_closed=3),
        y2020=dict(households=14, size=3, laborers=3, employed=38, verified=12,
                   monitored={"脱贫不稳定户": 1, "突发严重困难户": 1}, bands={"高": 1, "中": 2, "低": 3},
                   rule_flagged=2, problems_open=2, problems_closed=10),
    ),
    _village(
        "441224", "怀集县", "441224118", "连麦镇", "下坑村",
        y2019=dict(households=19, size=3, laborers=2, employed=30, verified=15,
                   monitored={"边缘易致贫户": 1}, bands={"高": 2, "中": 2, "低": 2},
                   rule_flagged=3, problems_open=12, problems_closed=0),
        y2020=dict(households=19, size=3, laborers=2, employed=34, verified=19,
                   monitored={"边缘易致贫户": 2}, bands={"高": 3, "中": 1, "低": 5},
                   rule_flagged=4, problems_open=9, problems_closed=3),
    ),
    _village(
        "441224", "怀集县", "441224001", "怀城街道", "城东村",
        y2019=dict(households=10, size=2, laborers=1, employed=5, verified=5,
                   monitored={}, bands={"中": 1},
                   rule_flagged=1, problems_open=1, problems_closed=1),
        y2020=dict(households=10, size=2, laborers=1, employed=6, verified=5,
                   monitored={"脱贫不稳定户": 1}, bands={"高": 1},
                   rule_flagged=1, problems_open=0, problems_closed=4),
    ),
    _village(
        "441226", "德庆县", "441226101", "新圩镇", "河口村",
        y2019=dict(households=10, size=5, laborers=2, employed=8, verified=10,
                   monitored={}, bands={"中": 2},
                   rule_flagged=0, problems_open=3, problems_closed=0),
        y2020=dict(households=10, size=5, laborers=2, employed=10, verified=10,
                   monitored={}, bands={"中": 2},
                   rule_flagged=0, problems_open=3, problems_closed=0),
    ),
]


def _spread(total: int, n: int) -> np.ndarray:
    """Hand `total` units to `n` slots in order: every slot gets the floor of
    the share and the first slots one more."""
    counts = np.full(n, total // n, dtype="int64")
    counts[: total % n] += 1
    return counts


def _labels(counts: dict, n: int) -> list:
    """Return `n` labels: each key of `counts` repeated its count, in order,
    then None for the remaining slots."""
    labels = [label for label, count in counts.items() for _ in range(count)]
    return labels + [None] * (n - len(labels))


def _example_households(spec: VillageSpec, year: int, first_no: int) -> pd.DataFrame:
    n = spec.households
    laborers = np.full(n, spec.laborers, dtype="int64")
    # Unemployed laborers are handed out from the last household backwards.
    unemployed = _spread(spec.laborers * n - spec.employed, n)[::-1]
    bands = _labels(spec.bands, n)
    probability = np.array([{"高": 0.8, "中": 0.45, "低": 0.2, None: 0.05}[b] for b in bands])
    probability = probability + np.arange(n)[::-1] * 0.001
    names = [_SURNAMES[(first_no + i) % len(_SURNAMES)] + "*" * (1 + (first_no + i) % 2) for i in range(n)]
    code = village_code(spec.township_code, spec.village)
    frame = pd.DataFrame({
        "year": year,
        "county_code": spec.county_code,
        "county": spec.county,
        "township_code": spec.township_code,
        "township": spec.township,
        "village_code": code,
        "village": spec.village,
        "household_no": [f"{spec.county_code}{first_no + i:05d}" for i in range(n)],
        "household_size": np.full(n, spec.size, dtype="int64"),
        "head_name_masked": names,
        "monitoring_category": _labels(spec.monitored, n),
        "verified": np.arange(n) < spec.verified,
        "rule_flagged": np.arange(n) < spec.rule_flagged,
        "rule_reasons": ["身份证号校验位错误" if i < spec.rule_flagged else "" for i in range(n)],
        "risk_probability": probability,
        "risk_band": bands,
        "suggested_category": [("脱贫不稳定户" if b == "高" else None) for b in bands],
        "risk_reasons": ["因病支出大；务工收入下降" if b else "" for b in bands],
        "laborers": laborers,
        "employed": laborers - unemployed,
        "problems_open": _spread(spec.problems_open, n),
        "problems_closed": _spread(spec.problems_closed, n)[::-1].copy(),
        "net_income_per_capita": 6000.0 + 100.0 * np.arange(n),
    })
    return frame


def _employment_from_households(households: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for record in households.itertuples(index=False):
        for person in range(int(record.household_size)):
            laborer = person < record.laborers
            employed = person < record.employed
            rows.append({
                "year": record.year,
                "county_code": record.county_code,
                "township_code": record.township_code,
                "village_code": record.village_code,
                "household_no": record.household_no,
                "person_key": f"{record.household_no}{person:02d}",
                "is_laborer": laborer,
                "employed": employed,
                "channel": CHANNELS[person % len(CHANNELS)] if employed else None,
                "work_months": 10.0 if employed else 0.0,
            })
    return pd.DataFrame(rows)


def _problems_from_households(households: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for record in households.itertuples(index=False):
        statuses = [OPEN_STATUS] * int(record.problems_open) + [CLOSED_STATUS] * int(record.problems_closed)
        for number, status in enumerate(statuses):
            rows.append({
                "year": record.year,
                "county_code": record.county_code,
                "township_code": record.township_code,
                "village_code": record.village_code,
                "household_no": record.household_no,
                "person_masked": record.head_name_masked,
                "check_code": f"2_01_{number + 1:03d}",
                "title": "身份证号码校验位错误",
                "severity": "高",
                "source": "疑点核查",
                "status": status,
                "responsible": "村委会",
                "deadline": f"{record.year}-12-31",
                "description": "请核对户籍证件并更正系统中的证件号码。",
            })
    columns = ["year", "county_code", "township_code", "village_code", "household_no", "person_masked",
               "check_code", "title", "severity", "source", "status", "responsible", "deadline",
               "description"]
    return pd.DataFrame(rows, columns=columns)


def _kpis_json(households: pd.DataFrame, employment: pd.DataFrame) -> dict:
    first = households.iloc[0]
    laborers = int(households["laborers"].sum())
    employed = int(households["employed"].sum())
    monitored = households["monitoring_category"].dropna()
    bands = households["risk_band"].dropna()
    return {
        "county_code": str(first["county_code"]),
        "county": str(first["county"]),
        "year": int(first["year"]),
        "households": int(len(households)),
        "people": int(households["household_size"].sum()),
        "verified_households": int(households["verified"].sum()),
        "monitored_by_category": {str(k): int(v) for k, v in monitored.value_counts().sort_index().items()},
        "flagged": int(bands.isin(["高", "中"]).sum()),
        "flagged_by_band": {b: int((bands == b).sum()) for b in ("高", "中")},
        "scored_no_warning": int((bands == "低").sum()),
        "rule_flagged": int(households["rule_flagged"].sum()),
        "problems_open": int(households["problems_open"].sum()),
        "problems_closed": int(households["problems_closed"].sum()),
        "laborers": laborers,
        "employed": employed,
        "employment_rate": employed / laborers if laborers else None,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _with_output_dtypes(households: pd.DataFrame) -> pd.DataFrame:
    households = households.copy()
    text = ["county_code", "county", "township_code", "township", "village_code", "village",
            "household_no", "head_name_masked", "monitoring_category", "rule_reasons", "risk_band",
            "suggested_category", "risk_reasons"]
    for column in text:
        households[column] = households[column].astype("string")
    households["year"] = households["year"].astype("int64")
    households["risk_rank"] = (
        households.groupby(["county_code", "year"])["risk_probability"]
        .rank(ascending=False, method="first").astype("Int64")
    )
    households.loc[households["risk_band"].isna(), "risk_rank"] = pd.NA
    return households


def write_outputs(root, households: pd.DataFrame, *, employment=None, problems=None) -> list[Path]:
    """Write households (and their employment and problem rows) in the run
    output layout, one folder per county and year.

    `employment` and `problems` default to rows derived from the household
    counts. Returns the folders written.
    """
    root = Path(root)
    households = _with_output_dtypes(households)
    employment = _employment_from_households(households) if employment is None else employment
    problems = _problems_from_households(households) if problems is None else problems
    folders = []
    for (county_code, year), part in households.groupby(["county_code", "year"], sort=True):
        folder = root / str(county_code) / str(int(year))
        folder.mkdir(parents=True, exist_ok=True)
        def keep(frame):
            return frame[(frame["county_code"] == county_code) & (frame["year"] == year)]

        part.to_parquet(folder / "households.parquet", index=False)
        keep(employment).to_parquet(folder / "employment.parquet", index=False)
        keep(problems).to_parquet(folder / "problems.parquet", index=False)
        kpis = _kpis_json(part, keep(employment))
        (folder / "kpis.json").write_text(json.dumps(kpis, ensure_ascii=False, indent=2), encoding="utf-8")
        folders.append(folder)
    return folders


def write_example_outputs(root) -> list[Path]:
    """Write the hand-made example outputs of `EXAMPLE_VILLAGES` under `root`
    (怀集县 and 德庆县, years 2019 and 2020)."""
    frames = []
    for village_number, by_year in enumerate(EXAMPLE_VILLAGES):
        for year_key, spec in by_year.items():
            year = int(year_key[1:])
            frames.append(_example_households(spec, year, first_no=village_number * 100))
    return write_outputs(root, pd.concat(frames, ignore_index=True))


def write_synthetic_outputs(root, *, households: int = 1_000_000, area: str = "44",
                            years=(2019, 2020), villages_per_township: int = 12,
                            seed: int = 0) -> list[Path]:
    """Write random outputs for every county inside `area` (a province or
    city code), about `households` households per year, for the benchmark.

    Households are spread evenly over the townships of the division table and
    `villages_per_township` villages per township. Employment and problem
    files hold a few rows per county only, since the dashboard reads the
    household file for every count.
    """
    from ..geo import divisions

    table = divisions()
    townships = table[(table["level"] == "township") & table["code"].str.startswith(area)]
    counties = dict(zip(table.loc[table["level"] == "county", "code"], table.loc[table["level"] == "county", "name"]))
    townships = townships[townships["parent_code"].isin(list(counties))]
    per_township = max(1, households // len(townships))
    rng = np.random.default_rng(seed)
    folders = []
    for county_code, county_townships in townships.groupby("parent_code"):
        for year in years:
            frame = _random_households(rng, str(county_code), counties[county_code], county_townships,
                                       per_township, villages_per_township, int(year))
            folders += write_outputs(root, frame, employment=_employment_from_households(frame.head(20)),
                                     problems=_problems_from_households(frame.head(5)))
    return folders


def _random_households(rng, county_code, county, townships, per_township, villages, year):
    n = per_township * len(townships)
    township_codes = np.repeat(townships["code"].to_numpy(dtype=object), per_township)
    township_names = np.repeat(townships["name"].to_numpy(dtype=object), per_township)
    village_numbers = rng.integers(0, villages, n)
    size = rng.integers(1, 7, n)
    laborers = np.minimum(size, rng.integers(0, 4, n))
    probability = rng.beta(1.2, 6.0, n)
    band = np.where(probability >= 0.5, "高", np.where(probability >= 0.3, "中", np.where(probability >= 0.2, "低", None)))
    category = np.array([None, *CATEGORIES], dtype=object)[rng.choice(4, n, p=[0.9, 0.05, 0.03, 0.02])]
    return pd.DataFrame({
        "year": year,
        "county_code": county_code,
        "county": county,
        "township_code": township_codes,
        "township": township_names,
        "village_code": [f"{t}{600 + v:03d}" for t, v in zip(township_codes, village_numbers)],
        "village": [f"第{v + 1}村" for v in village_numbers],
        "household_no": [f"{county_code}{i:06d}" for i in range(n)],
        "household_size": size,
        "head_name_masked": [_SURNAMES[i % len(_SURNAMES)] + "*" for i in range(n)],
        "monitoring_category": category,
        "verified": rng.random(n) < 0.9,
        "rule_flagged": rng.random(n) < 0.1,
        "rule_reasons": "",
        "risk_probability": probability,
        "risk_band": band,
        "suggested_category": None,
        "risk_reasons": "",
        "laborers": laborers,
        "employed": rng.binomial(laborers, 0.85),
        "problems_open": rng.poisson(0.2, n),
        "problems_closed": rng.poisson(0.6, n),
        "net_income_per_capita": rng.normal(9000, 2500, n).round(2),
    })
