"""The yearly panel: the same households and people followed through the
years, with the dynamics documented in docs/sample-data.md.

Each year runs in four steps, all vectorised over people or households:
person state (age, school, health, labour ability, work), an optional hook
that may change people (the 连麦镇 case), household income, then monitoring,
exit and measures.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from ._persons import (
    BASE_WAGE,
    INTENTION_BY_PLACE,
    WORK_STATUS_BY_PLACE,
    health_text,
    labor_skill,
    public_job_type,
    schooling,
    skills_and_past_work,
    update_health,
    work_details,
)

__all__ = ["Panel"]

CAPABLE = np.array(["技能劳动力", "普通劳动力", "弱劳动力或半劳动力"], dtype=object)
_DISABILITY_CODES = {"视力": "1", "听力": "2", "言语": "3", "肢体": "4", "智力": "5", "精神": "6", "多重": "7"}
_GRADE_CODES = {"一级": "1", "二级": "2", "三级": "3", "四级": "4"}

# Money amounts that change by year (yuan). Estimates for the sample, not
# official rates: monthly basic pension, yearly 低保 and 特困 payments per
# person, and the yearly asset-income dividend per household.
PENSION_MONTHLY = {2016: 138, 2017: 148, 2018: 158, 2019: 170, 2020: 180}
DIBAO_YEARLY = {2016: 2600, 2017: 2800, 2018: 3100, 2019: 3400, 2020: 3700}
TEKUN_YEARLY = {2016: 7500, 2017: 8000, 2018: 8800, 2019: 9600, 2020: 10500}
DIVIDEND_YEARLY = {2016: 200, 2017: 300, 2018: 500, 2019: 650, 2020: 800}


def _by_year(table: dict, year: int) -> float:
    """Look up a yearly amount, holding the first and last years' values outside the table."""
    return float(table[min(max(year, min(table)), max(table))])


def _frame(columns: dict) -> pd.DataFrame:
    """Build a frame keeping text columns as object dtype: pandas would
    convert them to Arrow strings, which the writer converts back."""
    n = max((len(v) for v in columns.values() if isinstance(v, np.ndarray)), default=0)
    data = {}
    for name, values in columns.items():
        if isinstance(values, np.ndarray) and values.dtype.kind in "OU":
            data[name] = pd.Series(values, dtype=object)
        elif isinstance(values, str):
            data[name] = pd.Series(np.full(n, values, dtype=object), dtype=object)
        else:
            data[name] = values
    return pd.DataFrame(data, index=pd.RangeIndex(n))


def _group_sum(values: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(groups, weights=values.astype(float), minlength=n)


class Panel:
    """Simulate the panel year by year.

    Parameters
    ----------
    households, members : DataFrame
        From `draw_population`; changed in place as the years pass.
    places : list of CountyPlaces
    years : sequence of int, consecutive
    lines : dict
        Monitoring line (yuan per person) by year.
    rng : Generator
    """

    def __init__(self, households, members, places, years, lines, rng):
        self.hh = households
        self.mm = members
        self.places = places
        self.years = list(years)
        self.lines = lines
        self.rng = rng
        H, P = len(households), len(members)
        self.H, self.P = H, P
        self.hh_of = members["hh"].to_numpy()
        self.birth_year = pd.DatetimeIndex(members["birth_date"]).year.to_numpy()

        # Carried state.
        self.months_prev = np.zeros(P)
        self.drift = members["month_drift"].to_numpy().copy()
        self.months_prev2 = np.zeros(P)
        self.public_prev = np.zeros(P, dtype=bool)
        self.dibao_added = np.zeros(H, dtype=bool)
        self.below_prev = np.zeros(H, dtype=bool)
        self.assisted = np.zeros(H, dtype=bool)
        self.expense_prev = np.zeros(H)
        self.net_prev = np.full(H, np.nan)
        self.remittance = households["remittance0"].to_numpy().copy()
        self.exited = np.zeros(H, dtype=bool)
        self.exit_year = np.zeros(H, dtype=int)
        self.active = np.zeros(H, dtype=bool)
        self.ever_monitored = np.zeros(H, dtype=bool)
        self.category = np.full(H, "", dtype=object)
        self.identified_ym = np.full(H, "", dtype=object)
        self.eliminated_ym = np.full(H, "", dtype=object)
        self.method = np.full(H, "", dtype=object)
        self.risks = np.full((H, 5), "", dtype=object)
        self.risk_note = np.full(H, "", dtype=object)
        self.flood_years = {}

        county_names = np.array([p.name for p in places], dtype=object)
        self.county_name = county_names[households["county_index"].to_numpy()]
        township_names = np.empty(H, dtype=object)
        for index, county in enumerate(places):
            rows = households["county_index"].to_numpy() == index
            township_names[rows] = county.townships["name"].to_numpy()[households["township_index"].to_numpy()[rows]]
        self.township_name = township_names

    # --- person state ------------------------------------------------------

    def person_year(self, year: int, first: bool) -> dict:
        """Compute the people's state in `year` (before any hook)."""
        mm, rng, P = self.mm, self.rng, self.P
        age = year - self.birth_year
        status, education, student = schooling(age, self.birth_year, mm["u_school"].to_numpy(),
                                                mm["u_track"].to_numpy(), mm["u_edu"].to_numpy())
        onset = {"new_serious": np.zeros(P, bool), "new_chronic": np.zeros(P, bool)}
        if not first:
            onset = update_health(mm, age, rng)
        skill = labor_skill(mm, age, student)
        laborer = (age >= 16) & (age <= 64) & np.isin(skill, CAPABLE) & ~student

        hh_of = self.hh_of
        serious = mm["serious"].to_numpy()
        severe = mm["disabled"].to_numpy() & np.isin(mm["disability_grade"].to_numpy(), ["一级", "二级"])
        needs_care = serious | severe | (age < 6) | (age >= 80)
        care_hh = _group_sum(needs_care, hh_of, self.H) > 0
        caring = care_hh[hh_of] & laborer & (mm["u_track"].to_numpy() < 0.5)

        weak = skill == "弱劳动力或半劳动力"
        skill_factor = np.select([skill == "技能劳动力", skill == "普通劳动力", weak], [1.0, 0.92, 0.5], 0.0)
        casual = mm["casual"].to_numpy()
        drift = self.drift
        work_prop = mm["work_prop"].to_numpy()

        if first:
            working = laborer & (work_prop < 0.86 * skill_factor * np.where(caring, 0.7, 1.0))
            months = np.where(casual, rng.integers(1, 13, P), 12 - rng.integers(0, 4, P)).astype(float)
        else:
            was = self.months_prev >= 1
            # Losing work: sickness this year, a new weakness, a falling trend.
            lose_p = (0.04 + 0.35 * onset["new_serious"] + 0.3 * (weak & ~(self.months_prev2 == 0))
                      + 0.12 * (self.months_prev < self.months_prev2))
            keeps = laborer & was & (rng.random(P) >= lose_p)
            starts = laborer & ~was & (rng.random(P) < 0.35 * skill_factor * np.where(caring, 0.5, 1.0))
            working = keeps | starts
            # A new job ends a falling trend; some stable jobs start to fall.
            self.drift = np.where(starts, 0, self.drift)
            drift_onset = keeps & (self.drift == 0) & (rng.random(P) < 0.05)
            self.drift = np.where(drift_onset, -rng.integers(2, 5, P), self.drift)
            drift = self.drift
            stable_months = np.clip(self.months_prev + drift + rng.integers(-1, 2, P), 0, 12)
            stable_months = np.where(starts, 12 - rng.integers(0, 5, P), stable_months)
            casual_months = np.where(rng.random(P) < 0.3, rng.integers(1, 4, P), rng.integers(3, 13, P))
            months = np.where(casual, casual_months, stable_months).astype(float)
        months = np.where(caring & working, np.maximum(months - rng.integers(0, 5, P), 1), months)
        working &= months >= 1
        months = np.where(working, months, 0.0)

        place = mm["place_pref"].to_numpy()
        place = np.where(weak | caring | (age >= 55), np.minimum(place, 1), place)
        grow = 1.08 ** (year - self.years[0])
        skill_wage = np.select([skill == "技能劳动力", weak], [1.25, 0.75], 1.0)
        wage = np.round(BASE_WAGE[place] * grow * skill_wage * mm["wage_factor"].to_numpy()
                        * np.where(casual, 0.85, 1.0), -1)
        wage = np.where(working, wage, 0.0)

        return {
            "year": year, "age": age, "status": status, "education": education, "student": student,
            "skill": skill, "laborer": laborer, "caring": caring, "working": working, "months": months,
            "place": place, "wage": wage, "casual": casual & working, "onset": onset,
            "public": np.zeros(P, bool), "public_months": np.zeros(P), "public_wage": np.zeros(P),
        }

    def assign_public_jobs(self, state: dict) -> None:
        """Keep last year's public-welfare posts and give new ones to one
        member of households assisted after falling below the line."""
        rng, P = self.rng, self.P
        age = state["age"]
        eligible = (age >= 18) & (age <= 69) & ~state["student"] & (state["skill"] != "丧失劳动力")
        eligible &= ~state["working"] | (state["months"] <= 6)
        keep = self.public_prev & eligible & (rng.random(P) < 0.9)
        assisted_hh = self.assisted[self.hh_of]
        key = np.where(eligible & assisted_hh & ~keep, rng.random(P), -1.0)
        best = pd.Series(key).groupby(self.hh_of).transform("max").to_numpy()
        chosen = (key >= 0) & (key == best)
        background = eligible & (state["skill"] == "弱劳动力或半劳动力") & (rng.random(P) < 0.05)
        public = keep | chosen | background
        state["public"] = public
        state["public_months"] = np.where(public, rng.integers(6, 13, P), 0).astype(float)
        state["public_wage"] = np.where(public, np.round(rng.uniform(600, 1300, P) * 1.05 ** (state["year"] - self.years[0]), -1), 0.0)
        # A public post replaces casual or short local work.
        replaced = public & state["working"]
        state["working"] = state["working"] & ~replaced
        state["months"] = np.where(replaced, 0.0, state["months"])
        state["wage"] = np.where(replaced, 0.0, state["wage"])

    # --- household income ----------------------------------------------------

    def income_year(self, state: dict) -> dict:
        """Compute household income components and rigid expenditure."""
        hh, mm, rng, H = self.hh, self.mm, self.rng, self.H
        year, age, hh_of = state["year"], state["age"], self.hh_of
        t = year - self.years[0]

        wage_part = _group_sum(state["months"] * state["wage"], hh_of, H)
        public_income = _group_sum(state["public_months"] * state["public_wage"], hh_of, H)
        wage_income = wage_part + public_income

        n_laborers = _group_sum(state["laborer"], hh_of, H)
        elder_able = (age >= 60) & (age <= 75) & (state["skill"] != "丧失劳动力")
        n_elder_able = _group_sum(elder_able, hh_of, H)
        labor_factor = 0.25 + 0.45 * np.minimum(n_laborers, 2) + 0.12 * n_elder_able
        flooded = np.zeros(H, dtype=bool)
        for index, county in enumerate(self.places):
            prone = county.townships["flood_prone"].to_numpy()
            hit = prone & (rng.random(len(prone)) < 0.15)
            self.flood_years[(county.code, year)] = county.townships["name"].to_numpy()[hit].tolist()
            rows = hh["county_index"].to_numpy() == index
            flooded[rows] = hit[hh["township_index"].to_numpy()[rows]]
        flood_factor = np.where(flooded, rng.uniform(0.25, 0.6, H), 1.0)
        asset_factor = np.where(self.expense_prev > 0.3 * np.nan_to_num(self.net_prev, nan=1e9), 0.6, 1.0)
        industry = hh["industry_latent"].to_numpy() & ~hh["edge"].to_numpy()
        gross = (hh["land"].to_numpy() * 1700 * 1.06 ** t * labor_factor * rng.lognormal(0, 0.25, H)
                 * flood_factor * asset_factor * np.where(industry, 1.15, 1.0))
        business_income = np.round(gross, 0)
        business_expense = np.round(gross * rng.uniform(0.3, 0.45, H), 0)

        edge = hh["edge"].to_numpy()
        dividend = np.where(edge, 0.0, np.round(_by_year(DIVIDEND_YEARLY, year) * rng.uniform(0.7, 1.3, H), 0))
        property_income = dividend + hh["other_property"].to_numpy().round(0)

        attribute = hh["poverty_attribute"].to_numpy()
        dibao_hh = (attribute == "低保贫困户") | self.dibao_added
        tekun_hh = attribute == "特困供养贫困户"
        dibao_person = dibao_hh[hh_of] & (mm["u_edu"].to_numpy() < 0.9)
        tekun_person = tekun_hh[hh_of] & (age >= 16)
        pension = np.round(_group_sum(age >= 60, hh_of, H) * 12 * _by_year(PENSION_MONTHLY, year), 0)
        dibao_income = np.round(_group_sum(dibao_person, hh_of, H) * _by_year(DIBAO_YEARLY, year)
                                * rng.uniform(0.8, 1.1, H), 0)
        tekun_income = np.round(_group_sum(tekun_person, hh_of, H) * _by_year(TEKUN_YEARLY, year), 0)
        eco = np.where(hh["eco"].to_numpy(), np.round(rng.uniform(150, 450, H), 0), 0.0)
        n_old = _group_sum(age >= 60, hh_of, H)
        family_planning = np.where(hh["family_planning"].to_numpy() & (n_old > 0), 960.0 * np.minimum(n_old, 2), 0.0)
        serious_hh = _group_sum(mm["serious"].to_numpy(), hh_of, H) > 0
        claim = np.where(serious_hh & (rng.random(H) < 0.3), np.round(rng.uniform(2000, 15000, H), -1), 0.0)
        if t > 0:
            self.remittance = self.remittance * hh["remittance_decay"].to_numpy() * rng.uniform(0.95, 1.05, H)
        other_transfer = np.round(self.remittance, 0)
        transfer_income = pension + dibao_income + tekun_income + eco + family_planning + claim + other_transfer

        net_income = wage_income + business_income + property_income + transfer_income - business_expense
        size = np.bincount(hh_of, minlength=H)
        per_capita = np.round(net_income / np.maximum(size, 1), 2)

        serious = mm["serious"].to_numpy()
        medical_person = np.where(serious, rng.lognormal(np.log(7000), 0.7, self.P),
                                  np.where(mm["chronic"].to_numpy(), rng.uniform(300, 2500, self.P), 0.0))
        status = state["status"].astype(str)
        upper = np.char.startswith(status, "普通高中") | np.char.startswith(status, "中职")
        tertiary = np.char.startswith(status, "高职") | np.char.startswith(status, "本科")
        education_person = np.where(upper, rng.uniform(1500, 4000, self.P),
                                    np.where(tertiary, rng.uniform(4000, 10000, self.P), 0.0))
        medical_expense = np.round(_group_sum(medical_person, hh_of, H), 0)
        education_expense = np.round(_group_sum(education_person, hh_of, H), 0)

        return {
            "wage_income": wage_income, "public_job_income": public_income, "business_income": business_income,
            "property_income": property_income, "dividend_income": dividend, "transfer_income": transfer_income,
            "pension_income": pension, "dibao_income": dibao_income, "tekun_income": tekun_income,
            "eco_compensation_income": eco, "family_planning_income": family_planning, "claim_income": claim,
            "business_expense": business_expense, "net_income": net_income, "net_income_per_capita": per_capita,
            "compliant_expense": medical_expense + education_expense, "medical_expense": medical_expense,
            "education_expense": education_expense, "flooded": flooded, "n_laborers": n_laborers, "size": size,
            "dibao_person": dibao_person, "tekun_person": tekun_person, "dibao_hh": dibao_hh, "tekun_hh": tekun_hh,
        }

    # --- monitoring -------------------------------------------------------------

    def monitoring_year(self, state: dict, income: dict) -> dict:
        """Update exit, monitoring and the risks of each household."""
        hh, rng, H, year = self.hh, self.rng, self.H, state["year"]
        line = self.lines[year]
        per_capita = income["net_income_per_capita"]
        below = per_capita < line
        net = income["net_income"]
        sudden = ((income["compliant_expense"] > np.maximum(5000, 0.5 * np.maximum(net, 0)))
                  | (income["flooded"] & (per_capita < 1.3 * line)))
        edge = hh["edge"].to_numpy()
        exit_latent = hh["exit_latent"].to_numpy()
        first = year == self.years[0]

        # Exit: from the planned year on, once above the line; all by 2020.
        newly = ~self.exited & ~edge & (year >= exit_latent) & (~below | (year >= 2020))
        if first:
            before = ~edge & (exit_latent < year)
            self.exit_year[before] = exit_latent[before]
            self.exited |= before
        self.exit_year[newly] = year
        self.exited |= newly

        # Monitoring of exited and edge households.
        eligible = self.exited | edge
        age_prev_active = self.active.copy()
        identify = eligible & ~self.active & ((below & (rng.random(H) < 0.9)) | (sudden & (rng.random(H) < 0.6)))
        month = rng.integers(3, 12, H)
        category = np.where(edge, "边缘易致贫户", np.where(below, "脱贫不稳定户", "突发严重困难户"))
        self.category[identify] = category[identify]
        self.identified_ym[identify] = np.char.add(str(year), np.char.zfill(month.astype("U2"), 2))[identify]
        self.eliminated_ym[identify] = ""
        self.method[identify] = ""
        self.active |= identify
        self.ever_monitored |= identify

        # Elimination: at least 6 months after identification.
        can_end = age_prev_active & (per_capita >= line) & ~sudden & (rng.random(H) < 0.85)
        identified_month = pd.to_numeric(pd.Series(self.identified_ym, dtype=object).str[4:], errors="coerce")
        identified_month = identified_month.fillna(1).to_numpy(dtype=int)
        end_month = np.clip(identified_month - 6 + rng.integers(0, 7, H), 1, 12)
        end_month = np.maximum(end_month, np.maximum(identified_month - 6, 1))
        self.eliminated_ym[can_end] = np.char.add(str(year), np.char.zfill(end_month.astype("U2"), 2))[can_end]
        self.method[can_end] = np.where(self.assisted[can_end] | (rng.random(can_end.sum()) < 0.6), "帮扶消除", "自然消除")
        self.active &= ~can_end

        # Risks, recorded when a household is identified.
        mm, hh_of = self.mm, self.hh_of
        serious_hh = _group_sum(mm["serious"].to_numpy(), hh_of, H) > 0
        disabled_hh = _group_sum(mm["disabled"].to_numpy(), hh_of, H) > 0
        dropped = _group_sum((self.months_prev - state["months"] >= 3) & (self.months_prev > 0), hh_of, H) > 0
        unsafe = self.unsafe_house(year)
        no_water = self.no_water(year)
        flags = np.column_stack([
            serious_hh | (income["medical_expense"] > 3000),
            income["education_expense"] > 3000,
            disabled_hh,
            income["flooded"],
            dropped,
            (income["n_laborers"] == 0) | ((income["n_laborers"] == 1) & (income["size"] >= 3)),
            unsafe,
            no_water,
        ])
        names = np.array(["因病", "因学", "因残", "因自然灾害", "因务工就业不稳", "缺劳动力", "因安全住房", "因安全饮水"],
                         dtype=object)
        order = np.argsort(~flags, axis=1, kind="stable")[:, :5]
        chosen = np.where(np.take_along_axis(flags, order, axis=1), names[order], "")
        none = ~flags.any(axis=1)
        chosen[none, 0] = "其他"
        self.risks[identify] = chosen[identify]
        self.risk_note[identify] = np.where(none, "家庭收入来源单一", "")[identify]

        # Assistance next year for households identified or below the line.
        self.assisted = (self.active | below) & (rng.random(H) < 0.85)
        no_worker = income["n_laborers"] == 0
        self.dibao_added |= self.assisted & no_worker & ~income["tekun_hh"]
        self.below_prev = below
        return {"below": below, "sudden": sudden, "unsafe": unsafe, "no_water": no_water}

    def unsafe_house(self, year: int) -> np.ndarray:
        fixed = self.hh["house_fixed_year"].to_numpy()
        return (fixed > 0) & (year < fixed)

    def no_water(self, year: int) -> np.ndarray:
        fixed = self.hh["water_fixed_year"].to_numpy()
        return (fixed > 0) & (year < fixed)

    # --- the whole year -----------------------------------------------------------

    def run(self, hook: Callable[[int, dict], None] | None = None):
        """Yield ``(year, households, members)`` in canonical column names."""
        for index, year in enumerate(self.years):
            state = self.person_year(year, first=index == 0)
            self.assign_public_jobs(state)
            if hook is not None:
                hook(year, state)
            income = self.income_year(state)
            monitoring = self.monitoring_year(state, income)
            if index == 0:
                self.main_cause(state, income)
            members = self.member_frame(state, income)
            households = self.household_frame(state, income, monitoring, members)
            # Carry state to the next year.
            total_months = state["months"] + state["public_months"]
            self.months_prev2 = self.months_prev
            self.months_prev = total_months
            self.public_prev = state["public"]
            self.expense_prev = income["compliant_expense"]
            self.net_prev = income["net_income"]
            yield year, households, members

    def main_cause(self, state: dict, income: dict) -> None:
        """Fix each household's main poverty cause from the first year."""
        H, rng, hh_of, mm = self.H, self.rng, self.hh_of, self.mm
        sick = _group_sum(mm["serious"].to_numpy() | mm["chronic"].to_numpy(), hh_of, H) > 0
        disabled = _group_sum(mm["disabled"].to_numpy(), hh_of, H) > 0
        studying = income["education_expense"] > 0
        few = income["n_laborers"] <= 1
        causes = np.array(["因病", "因残", "因学", "缺劳力", "缺技术", "缺资金", "缺土地", "交通条件落后",
                           "自身发展动力不足", "因灾", "缺水"], dtype=object)
        weights = np.column_stack([sick * 3.0, disabled * 3.0, studying * 2.0, few * 3.0,
                                   np.full(H, 1.0), np.full(H, 0.8), np.full(H, 0.4), np.full(H, 0.3),
                                   np.full(H, 0.3), self.hh["flood_prone"].to_numpy() * 0.4, np.full(H, 0.1)])
        score = weights * rng.random(weights.shape)
        self.hh["main_poverty_cause"] = causes[score.argmax(axis=1)]

    # --- output frames ----------------------------------------------------------------

    def member_frame(self, state: dict, income: dict) -> pd.DataFrame:
        """Canonical member rows of the year."""
        mm, rng, P, hh = self.mm, self.rng, self.P, self.hh
        hh_of = self.hh_of
        age = state["age"]
        working = state["working"]
        place = state["place"]
        county_name = self.county_name[hh_of]
        township_name = self.township_name[hh_of]
        work_place, employer, channel = work_details(mm, place, county_name, township_name, working, state["casual"])
        public = state["public"]
        work_place = np.where(public & ~working, township_name, work_place)
        channel = np.where(public & ~working, "公益性岗位", channel)
        employer = np.where(public & ~working, township_name + "人民政府", employer)
        any_work = working | public
        status_place = np.where(public & ~working, 0, place)
        work_status = np.where(any_work, WORK_STATUS_BY_PLACE[status_place], np.where(age >= 16, "未务工", ""))
        county_code = hh["county_code"].to_numpy()[hh_of]
        work_county = np.where(any_work & (status_place <= 1), county_code, "")

        skills, past_work = skills_and_past_work(mm, age)
        laborer = state["laborer"]
        intention_place = np.where(state["caring"] | (state["skill"] == "弱劳动力或半劳动力"),
                                   0, mm["place_pref"].to_numpy())
        intention = np.where(laborer, INTENTION_BY_PLACE[intention_place], np.where(age >= 16, "无", ""))
        expected = np.where(laborer, np.round(BASE_WAGE[intention_place] * 1.06 ** (state["year"] - self.years[0])
                                              * rng.uniform(0.9, 1.3, P), -2), np.nan)
        plans = laborer & ~any_work & (mm["place_pref"].to_numpy() >= 2) & (mm["u_track"].to_numpy() < 0.6)
        service = np.where(plans, np.where(mm["u_school"].to_numpy() < 0.5, "岗位推荐", "技能培训"), "")

        disabled = mm["disabled"].to_numpy()
        dis_type = mm["disability_type"].to_numpy()
        dis_grade = mm["disability_grade"].to_numpy()
        cert = (pd.Series(mm["id_number"].to_numpy()) + pd.Series(dis_type).map(_DISABILITY_CODES)
                + pd.Series(dis_grade).map(_GRADE_CODES)).to_numpy(dtype=object)
        employee_medical = working & (channel == "本地企业") & (mm["u_school"].to_numpy() > 0.9)
        registered = ~hh["edge"].to_numpy()[hh_of]
        # Heads always have a phone: it is the household's contact number.
        phone_shown = ((mm["has_phone"].to_numpy() & (age <= 75)) | (mm["role"].to_numpy() == 0)) & (age >= 16)

        frame = _frame({
            "year": state["year"],
            "county_code": county_code,
            "household_no": hh["household_no"].to_numpy()[hh_of],
            "person_no": mm["person_no"].to_numpy(),
            "name": mm["name"].to_numpy(),
            "sex": np.where(mm["male"].to_numpy(), "男", "女"),
            "birth_date": mm["birth_date"].to_numpy(),
            "id_type": "居民身份证",
            "id_number": mm["id_number"].to_numpy(),
            "relation_to_head": self.relations(),
            "ethnicity": mm["ethnicity"].to_numpy(),
            "education": state["education"],
            "school_status": state["status"],
            "dropout_reason": "",
            "health": health_text(mm),
            "disability_type": np.where(disabled, dis_type, ""),
            "disability_grade": np.where(disabled, dis_grade, ""),
            "disability_cert_no": np.where(disabled, cert, ""),
            "labor_skill": state["skill"],
            "work_status": work_status,
            "work_months": state["months"],
            "work_place": work_place,
            "work_county_code": work_county,
            "employer": employer,
            "employment_channel": channel,
            "monthly_wage": np.where(working, state["wage"], np.where(public, state["public_wage"], np.nan)),
            "public_job_type": np.where(public, public_job_type(mm["u_track"].to_numpy()), ""),
            "public_job_months": state["public_months"],
            "in_resident_medical": ~employee_medical,
            "in_employee_medical": employee_medical,
            "in_serious_illness_insurance": ~employee_medical,
            "in_basic_pension": (age >= 16) & ~state["student"] & (mm["u_edu"].to_numpy() < 0.96),
            "medical_aid": mm["serious"].to_numpy() & registered,
            "dibao": income["dibao_person"],
            "tekun": income["tekun_person"],
            "worked_away": any_work & (status_place >= 2),
            "plans_work_away": plans,
            "service_need": service,
            "work_intention": intention,
            "expected_wage": expected,
            "skills": np.where(age >= 16, skills, ""),
            "past_work": np.where(age >= 18, past_work, ""),
            "phone": np.where(phone_shown, mm["phone"].to_numpy(), ""),
        })
        # Columns used by later steps but not exported.
        frame["_hh"] = hh_of
        frame["_laborer"] = laborer
        frame["_age"] = age
        frame["_caring"] = state["caring"]
        return frame

    def relations(self) -> np.ndarray:
        return self.mm["relation_to_head"].to_numpy()

    def household_frame(self, state, income, monitoring, members) -> pd.DataFrame:
        """Canonical household rows of the year."""
        hh, H, year = self.hh, self.H, state["year"]
        heads = members[members["relation_to_head"] == "户主"].set_index("_hh").reindex(np.arange(H))
        unsafe = monitoring["unsafe"]
        no_water = monitoring["no_water"]
        hh_of = self.hh_of
        age = state["age"]
        mm = self.mm
        n_capable = _group_sum(np.isin(state["skill"], CAPABLE) & (age >= 16) & (age <= 64), hh_of, H)
        any_sick = _group_sum(mm["serious"].to_numpy() | mm["chronic"].to_numpy(), hh_of, H) > 0
        any_disabled = _group_sum(mm["disabled"].to_numpy(), hh_of, H) > 0
        compulsory = _group_sum((age >= 6) & (age <= 15) & state["student"], hh_of, H) > 0
        beyond = income["education_expense"] > 0
        public_hh = _group_sum(state["public"], hh_of, H) > 0
        employed_hh = _group_sum(state["working"], hh_of, H) > 0
        away = _group_sum(state["working"] & (state["place"] >= 2), hh_of, H) > 0
        edge = hh["edge"].to_numpy()
        registered = ~edge
        risks = self.risks
        risk_sets = {r: (risks == r).any(axis=1) & self.ever_monitored for r in ("因病", "因学", "因残", "因安全住房", "因安全饮水")}

        eliminated = self.ever_monitored & ~self.active
        exit_status = np.where(edge, "", np.where(self.exited, "已脱贫（享受政策）", "未脱贫"))
        household_type = np.where(edge, "一般农户", np.where(self.exited, "脱贫户", "贫困户"))
        toilet = ~((hh["toilet_year"].to_numpy() > 0) & (year < hh["toilet_year"].to_numpy()))
        house_grade = np.where(unsafe, hh["house_grade_bad"].to_numpy(),
                               np.where(hh["house_fixed_year"].to_numpy() > 0, "A级", hh["house_grade_good"].to_numpy()))

        rng = self.rng
        measures = {
            "measure_industry": hh["industry_latent"].to_numpy() & registered,
            "measure_employment": employed_hh & registered & (hh["helper_slot"].to_numpy() % 2 == 0),
            "measure_public_job": public_hh,
            "measure_finance": hh["finance_latent"].to_numpy() & registered,
            "measure_health": (any_sick & (rng.random(H) < 0.95)) | risk_sets["因病"],
            "measure_education": (beyond & registered) | risk_sets["因学"],
            "measure_compulsory_education": compulsory & registered,
            "measure_housing": ((hh["house_fixed_year"].to_numpy() > 0) & (year >= hh["house_fixed_year"].to_numpy() - 1))
                               | risk_sets["因安全住房"],
            "measure_water": ((hh["water_fixed_year"].to_numpy() > 0) & (year >= hh["water_fixed_year"].to_numpy() - 1))
                             | risk_sets["因安全饮水"],
            "measure_social_protection": income["dibao_hh"] | income["tekun_hh"] | risk_sets["因残"],
            "measure_dibao": income["dibao_hh"],
            "measure_tekun_support": income["tekun_hh"],
            "measure_disability_allowance": any_disabled & (hh["helper_slot"].to_numpy() % 5 != 0),
            "measure_social_assistance": (risk_sets["因病"] & (rng.random(H) < 0.5)) | (rng.random(H) < 0.05),
            "measure_relocation": hh["relocation"].to_numpy() & registered,
            "measure_transport_subsidy": away & registered & (hh["helper_slot"].to_numpy() % 3 == 0),
        }

        monitored = self.category != ""
        post = monitored & eliminated
        frame = _frame({
            "year": year,
            "county_code": hh["county_code"].to_numpy(),
            "household_no": hh["household_no"].to_numpy(),
            "head_name": heads["name"].to_numpy(),
            "head_id_number": heads["id_number"].to_numpy(),
            "household_size": income["size"],
            "household_type": household_type,
            "poverty_attribute": hh["poverty_attribute"].to_numpy(),
            "exit_status": exit_status,
            "exit_year": np.where(self.exited, self.exit_year, 0),
            "main_poverty_cause": np.where(edge, "", hh["main_poverty_cause"].to_numpy()),
            "monitoring_category": self.category.copy(),
            "identified_ym": self.identified_ym.copy(),
            "eliminated_ym": np.where(post, self.eliminated_ym, ""),
            **{f"risk_{i + 1}": np.where(monitored, self.risks[:, i], "") for i in range(5)},
            "risk_other_note": np.where(monitored, self.risk_note, ""),
            "risk_eliminated": np.where(monitored, np.where(post, "是", "否"), ""),
            "elimination_method": np.where(post, self.method, ""),
            "sudden_hardship": monitoring["sudden"],
            "unsafe_house": unsafe,
            "house_grade": house_grade,
            "safe_drinking_water": ~no_water,
            "drinking_water_difficulty": no_water,
            "has_electricity": True,
            "sanitary_toilet": toilet,
            "road_type": hh["road_type"].to_numpy(),
            "house_area": hh["house_area"].to_numpy(),
            "food_clothing_secured": True,
            "compulsory_education_secured": True,
            "basic_medical_secured": True,
            "housing_secured": ~unsafe,
            "whole_household_no_labor": n_capable == 0,
            **measures,
            **{k: income[k] for k in (
                "wage_income", "public_job_income", "business_income", "property_income", "dividend_income",
                "transfer_income", "pension_income", "dibao_income", "tekun_income", "eco_compensation_income",
                "family_planning_income", "claim_income", "business_expense", "net_income",
                "net_income_per_capita", "compliant_expense", "medical_expense", "education_expense")},
            "post_net_income": np.where(post, income["net_income"], np.nan),
            "post_net_income_per_capita": np.where(post, income["net_income_per_capita"], np.nan),
            "post_housing_secured": np.where(post, np.where(unsafe, "否", "是"), ""),
            "post_medical_secured": np.where(post, "是", ""),
            "post_education_secured": np.where(post, "是", ""),
            "post_safe_drinking_water": np.where(post, np.where(no_water, "否", "是"), ""),
        })
        frame["_hh"] = np.arange(H)
        frame["_below"] = monitoring["below"]
        frame["_flooded"] = income["flooded"]
        return frame
