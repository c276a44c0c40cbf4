"""`generate_sample`: the synthetic Zhaoqing-style exports of a city."""

from __future__ import annotations

import dataclasses
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import ParameterError
from ..geo import division_name
from ..params import monitoring_line
from ..schema import HOUSEHOLDS, MEMBERS
from ._identity import draw_surnames, make_names, make_phones
from ._lianmai import CASE_POOL_HOUSEHOLDS, CASE_YEAR, LianmaiCase
from ._panel import Panel
from ._places import LIANMAI_COUNTY, LIANMAI_TOWNSHIP, build_places, county_shares
from ._population import draw_population
from ._vocabulary import HELPER_TITLES, HELPER_UNITS

__all__ = ["generate_sample", "simulate", "SimulationResult", "allocate_households"]

logger = logging.getLogger(__name__)


def allocate_households(total: int, shares: pd.Series) -> dict[str, int]:
    """Split `total` households over counties by `shares` (largest
    remainder), giving every county at least one household."""
    raw = shares * total
    counts = np.floor(raw).astype(int)
    short = total - counts.sum()
    if short > 0:
        order = np.argsort(-(raw - counts).to_numpy(), kind="stable")[:short]
        counts.iloc[order] += 1
    counts = counts.clip(lower=1)
    return {str(code): int(n) for code, n in counts.items()}


def _check_arguments(households, years, damage):
    if int(households) < 1:
        raise ParameterError(f"户数应为正整数，得到 {households!r}。")
    years = [int(y) for y in years]
    if not years or years != list(range(years[0], years[0] + len(years))):
        raise ParameterError(f"年度应为连续的年份，例如 2017、2018、2019、2020，得到 {years!r}。")
    if not 0.0 <= float(damage) <= 0.5:
        raise ParameterError(f"损坏比例应在 0 到 0.5 之间，得到 {damage!r}。")
    return int(households), years, float(damage)


def generate_sample(*, city: str = "4412", households: int = 42_000, seed: int = 0,
                    out: str | Path = "data/sample", years=(2017, 2018, 2019, 2020),
                    damage: float = 0.0) -> list[Path]:
    """Generate the sample exports of a city and write them under `out`.

    Parameters
    ----------
    city : str, default="4412"
        4-digit city code; Zhaoqing by default, where counties get the
        documented shares of households.
    households : int, default=42_000
        Households of the whole city. In Zhaoqing at least
        `CASE_POOL_HOUSEHOLDS` are placed in 连麦镇 (怀集县) whatever this
        number, so small samples have a few hundred more households.
    seed : int, default=0
        The same seed gives the same files.
    out : path-like, default="data/sample"
        Root folder; each county's files land in ``out/<county_code>/``.
    years : sequence of int, default=(2017, 2018, 2019, 2020)
        Consecutive data years of the panel.
    damage : float, default=0.0
        Share of roster rows damaged the way Excel and copy-paste do (see
        `fupin_lib.sample.damage_frame`), between 0 and 0.5.

    Returns
    -------
    list of Path
        The files written, per county: one roster (花名册) and one verification
        table (核查表) per year, then postings, trainings and placements.

    Raises
    ------
    ParameterError
        For an unknown city, non-consecutive years or a damage share out of range.
    """
    from ._export import write_county_files

    households, years, damage = _check_arguments(households, years, damage)
    run = simulate(city=str(city), households=households, seed=seed, years=years)
    written: list[Path] = []
    for index, county in enumerate(run.places):
        written += write_county_files(
            Path(out), county, index, run.frames, run.area, run.helpers, run.jobs, years, damage,
            run.damage_rng.spawn(1)[0], verification_rng=run.verification_rng.spawn(1)[0],
        )
    logger.info("wrote %d files under %s", len(written), out)
    return written


@dataclasses.dataclass
class SimulationResult:
    """Everything `simulate` produced, before writing: the yearly canonical
    frames ``(year, households, members)`` and the tables they refer to."""

    places: list
    households: pd.DataFrame
    members: pd.DataFrame
    frames: list
    area: pd.DataFrame
    helpers: pd.DataFrame
    jobs: dict
    lines: dict
    damage_rng: np.random.Generator
    verification_rng: np.random.Generator


def simulate(*, city: str = "4412", households: int = 42_000, seed: int = 0,
             years=(2017, 2018, 2019, 2020)) -> SimulationResult:
    """Run the panel simulation in memory, without writing files.

    Takes the parameters of `generate_sample`; the frames use canonical
    column names plus private columns that start with ``_``.
    """
    from ._jobs import make_jobs

    households, years, _ = _check_arguments(households, years, 0.0)
    shares = county_shares(str(city))
    if shares.empty:
        raise ParameterError(f"区划表中没有市代码 {city!r} 或其下没有县区。请使用 4 位市代码，例如 4412（肇庆市）。")
    counts = allocate_households(households, shares)
    fixed = {}
    if LIANMAI_COUNTY in counts and CASE_YEAR in years:
        fixed[(LIANMAI_COUNTY, LIANMAI_TOWNSHIP)] = CASE_POOL_HOUSEHOLDS
        counts[LIANMAI_COUNTY] = max(counts[LIANMAI_COUNTY], CASE_POOL_HOUSEHOLDS + 20)

    rng = np.random.default_rng(seed)
    place_rngs = rng.spawn(len(counts))
    places = [build_places(code, counts[code], r) for code, r in zip(counts, place_rngs)]
    population_rng, panel_rng, job_rng, damage_rng, helper_rng, verification_rng = rng.spawn(6)
    hh, mm = draw_population(places, counts, years[0], population_rng, fixed)
    lines = {year: monitoring_line(str(city)[:2], year) for year in years}
    panel = Panel(hh, mm, places, years, lines, panel_rng)
    case = LianmaiCase(panel, places, panel_rng.spawn(1)[0]) if fixed else None
    frames = [(year, h, m) for year, h, m in panel.run(case)]
    logger.info("simulated %d households, %d people, %d years", len(hh), len(mm), len(years))

    # Object dtype for text, as in the yearly frames, so joins need no conversion.
    area = _area_columns(hh, places, str(city))
    area = area.astype({c: object for c in area.columns if pd.api.types.is_string_dtype(area[c])})
    helpers = _helpers(hh, places, helper_rng).astype(object)
    jobs = make_jobs(frames, hh, places, area, job_rng)
    return SimulationResult(places, hh, mm, frames, area, helpers, jobs, lines, damage_rng, verification_rng)


def _area_columns(hh: pd.DataFrame, places, city: str) -> pd.DataFrame:
    """Area names, address and coordinates of each household (index = household)."""
    villages = pd.concat([p.villages.assign(county_index=i) for i, p in enumerate(places)], ignore_index=True)
    village = villages.iloc[hh["village_index"].to_numpy()].reset_index(drop=True)
    township_names = np.empty(len(hh), dtype=object)
    county_names = np.array([p.name for p in places], dtype=object)[hh["county_index"].to_numpy()]
    for index, county in enumerate(places):
        rows = hh["county_index"].to_numpy() == index
        township_names[rows] = county.townships["name"].to_numpy()[hh["township_index"].to_numpy()[rows]]
    n_natural = village["natural_villages"].map(len).to_numpy()
    choice = np.minimum((hh["natural_choice"].to_numpy() * n_natural).astype(int), n_natural - 1)
    table = np.full((len(villages), 8), "", dtype=object)  # one row per village
    for row, names in enumerate(villages["natural_villages"]):
        table[row, :len(names)] = names
    natural = table[hh["village_index"].to_numpy(), choice]
    province = division_name(city[:2]) or ""
    city_name = division_name(city) or city
    address = (pd.Series(province + city_name + county_names) + township_names + village["name"].to_numpy()
               + natural + hh["house_number"].astype(str).to_numpy() + "号")
    return pd.DataFrame({
        "city": city_name,
        "county": county_names,
        "township": township_names,
        "village": village["name"].to_numpy(),
        "natural_village": natural,
        "address": address.to_numpy(),
        # Households carry their village's coordinates, as village-level exports do.
        "longitude": village["longitude"].to_numpy(),
        "latitude": village["latitude"].to_numpy(),
    })


def _helpers(hh: pd.DataFrame, places, rng: np.random.Generator) -> pd.DataFrame:
    """Helper cadre of each household: about one cadre per six households."""
    H = len(hh)
    out = pd.DataFrame(index=np.arange(H), columns=["helper_name", "helper_unit", "helper_title", "helper_phone"],
                       dtype=object)
    for index, county in enumerate(places):
        rows = np.flatnonzero(hh["county_index"].to_numpy() == index)
        n = max(1, math.ceil(len(rows) / 6))
        male = rng.random(n) < 0.6
        names = make_names(draw_surnames(n, rng), male, rng)
        phones = make_phones(n, rng)
        township = county.townships["name"].to_numpy()[rng.integers(0, len(county.townships), n)]
        unit_template = np.asarray(HELPER_UNITS, dtype=object)[rng.integers(0, len(HELPER_UNITS), n)]
        units = (pd.Series(unit_template).str.replace("{county}", county.name, regex=False)
                 .str.replace("{township}", "", regex=False))
        units = np.where(pd.Series(unit_template).str.contains("{township}", regex=False), township + "人民政府",
                         units)
        titles = np.asarray(HELPER_TITLES, dtype=object)[rng.integers(0, len(HELPER_TITLES), n)]
        slot = hh["helper_slot"].to_numpy()[rows] % n
        out.iloc[rows, 0] = names[slot]
        out.iloc[rows, 1] = units[slot]
        out.iloc[rows, 2] = titles[slot]
        out.iloc[rows, 3] = phones[slot]
    return out


def roster_headers(variant: int) -> dict[str, str]:
    """Chinese headers of the roster by canonical name, in one of three
    header styles seen in real exports."""
    headers = {c.name: c.zh for c in HOUSEHOLDS.columns}
    headers.update({c.name: c.zh for c in MEMBERS.columns if c.name not in ("phone",)})
    headers["member_phone"] = "本人联系电话"
    if variant == 1:
        headers.update({"county": "县(市、区、旗)", "township": "乡(镇)", "village": "行政村",
                        "household_size": "人数", "work_months": "务工时间（月）"})
    elif variant == 2:
        headers.update({"county": "县(市、区)", "township": "乡镇", "village": "行政村",
                        "id_number": "身份证号码"})
    return headers
