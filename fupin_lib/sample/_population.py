"""The base population of the sample: households, members and their fixed
(latent) traits, drawn once for the first year and then aged by the panel."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._identity import draw_surnames, make_id_numbers, make_names, make_phones
from ._places import CountyPlaces
from ._vocabulary import SKILL_TAG_WEIGHTS, SKILL_TAGS

__all__ = ["draw_population"]

# Household size of registered poor households, 1..6 people (mean about 2.35).
_SIZE_P = np.array([0.35, 0.28, 0.16, 0.12, 0.06, 0.03])


def _draw_counts(size: np.ndarray, rng: np.random.Generator):
    """Draw the household composition: elderly head or not, spouse, parents,
    children and grandchildren, summing to `size` with the head."""
    n = len(size)
    p_elderly = np.select([size == 1, size == 2, size == 3], [0.6, 0.45, 0.2], 0.12)
    elderly = rng.random(n) < p_elderly
    spouse = (size >= 2) & (rng.random(n) < np.where(elderly, 0.55, 0.75))
    rest = size - 1 - spouse
    grandchildren = np.where(elderly, rng.binomial(rest, 0.6), 0)
    parents = np.where(elderly, 0, np.minimum(rest, rng.binomial(2, 0.18, n)))
    children = rest - grandchildren - parents
    return elderly, spouse.astype(int), parents, children, grandchildren


def draw_population(places: list[CountyPlaces], counts: dict[str, int], first_year: int,
                    rng: np.random.Generator, fixed_townships: dict[tuple[str, str], int] | None = None):
    """Draw households and members as they are in `first_year`.

    Parameters
    ----------
    places : list of CountyPlaces
    counts : dict
        Households per county code.
    first_year : int
    rng : Generator
    fixed_townships : dict, optional
        ``(county_code, township_name) -> minimum households``, filled first.

    Returns
    -------
    households, members : DataFrame
        One row per household and per person, with latent traits. Members are
        ordered by household with the head first.
    """
    frames = []
    village_offset = 0
    for county_index, county in enumerate(places):
        n = counts[county.code]
        weights = county.townships["weight"].to_numpy()
        township = rng.choice(len(weights), size=n, p=weights)
        # Households guaranteed to some townships (the 连麦镇 case).
        for (code, name), minimum in (fixed_townships or {}).items():
            if code != county.code:
                continue
            index = int(np.flatnonzero(county.townships["name"].to_numpy() == name)[0])
            missing = minimum - int((township == index).sum())
            if missing > 0:
                others = np.flatnonzero(township != index)
                township[rng.choice(others, size=min(missing, len(others)), replace=False)] = index
        villages = county.villages
        village = np.empty(n, dtype=np.int64)
        for index in range(len(weights)):
            rows = np.flatnonzero(township == index)
            candidates = np.flatnonzero(villages["township_index"].to_numpy() == index)
            village[rows] = rng.choice(candidates, size=len(rows))
        numbers = rng.permutation(np.arange(n)) + int(rng.integers(10_000, 400_000))
        frames.append(pd.DataFrame({
            "county_index": county_index,
            "county_code": county.code,
            "township_index": township,
            "village_local": village,
            "village_index": village + village_offset,
            "household_no": np.char.add(county.code[2:], np.char.zfill(numbers.astype("U7"), 7)),
            "flood_prone": county.townships["flood_prone"].to_numpy()[township],
        }))
        village_offset += len(villages)
    hh = pd.concat(frames, ignore_index=True)
    H = len(hh)

    size = rng.choice(np.arange(1, 7), size=H, p=_SIZE_P)
    elderly, spouse, parents, children, grandchildren = _draw_counts(size, rng)
    hh["size0"] = size

    head_age = np.where(
        elderly,
        60 + np.minimum(rng.gamma(2.0, 6.0, H), 35).astype(int),
        np.where(size == 1, rng.integers(35, 60, H), rng.integers(28, 60, H)),
    )
    head_male = rng.random(H) < np.where(elderly & (size == 1), 0.5, 0.82)

    # Expand roles: 0 head, 1 spouse, 2 parent, 3 child, 4 grandchild.
    role_counts = np.column_stack([np.ones(H, int), spouse, parents, children, grandchildren])
    hh_of = np.repeat(np.arange(H), size)
    role = np.repeat(np.tile(np.arange(5), H), role_counts.ravel())
    P = len(hh_of)
    # Index of the member inside its role group (0 = first parent, first child, ...).
    order_in_role = pd.Series(np.arange(P)).groupby([hh_of, role]).cumcount().to_numpy()

    h_age = head_age[hh_of]
    h_male = head_male[hh_of]
    age = np.empty(P, dtype=int)
    male = np.empty(P, dtype=bool)

    is_head = role == 0
    age[is_head] = h_age[is_head]
    male[is_head] = h_male[is_head]

    sp = role == 1
    age[sp] = np.clip(h_age[sp] + np.where(h_male[sp], -2, 2) + rng.normal(0, 3, sp.sum()).round().astype(int), 20, 95)
    male[sp] = ~h_male[sp]

    par = role == 2
    age[par] = np.clip(h_age[par] + rng.integers(24, 34, par.sum()), 50, 96)
    two_parents = (parents[hh_of] == 2)
    male[par] = np.where(two_parents[par], order_in_role[par] == 0, rng.random(par.sum()) < 0.35)

    ch = role == 3
    max_child_age = np.where(elderly[hh_of], np.clip(h_age - 22, 20, 50), np.clip(h_age - 20, 0, 32))
    min_child_age = np.where(elderly[hh_of], 20, 0)
    span = np.maximum(max_child_age - min_child_age, 0)
    age[ch] = (min_child_age + rng.random(P) * (span + 1)).astype(int)[ch]
    male[ch] = rng.random(ch.sum()) < 0.53

    gc = role == 4
    age[gc] = rng.integers(0, 18, gc.sum())
    male[gc] = rng.random(gc.sum()) < 0.53

    birth_year = first_year - age
    day_of_year = rng.integers(0, 365, P)
    birth_date = pd.to_datetime(birth_year.astype(str), format="%Y") + pd.to_timedelta(day_of_year, unit="D")
    # A 31 December draw in a leap year would move into the next year.
    birth_date = birth_date.where(birth_date.year == birth_year, birth_date - pd.Timedelta(days=1))

    relation = np.full(P, "其他", dtype=object)
    relation[is_head] = "户主"
    relation[sp] = "配偶"
    relation[par] = np.where(male[par], "之父", "之母")
    relation[ch] = np.where(male[ch], "之子", "之女")
    maternal = rng.random(P) < 0.2
    relation[gc] = np.where(male[gc], np.where(maternal[gc], "之外孙子", "之孙子"),
                            np.where(maternal[gc], "之外孙女", "之孙女"))

    county_codes = hh["county_code"].to_numpy()[hh_of]
    household_surname = draw_surnames(H, rng)
    surname = household_surname[hh_of].copy()
    other_surname = draw_surnames(P, rng)
    takes_other = sp | (par & ~h_male) | (is_head & ~h_male & (rng.random(P) < 0.3))
    surname[takes_other] = other_surname[takes_other]

    members = pd.DataFrame({
        "hh": hh_of,
        "role": role,
        "relation_to_head": relation,
        "male": male,
        "birth_date": birth_date.values,
        "name": make_names(surname, male, rng),
        "id_number": make_id_numbers(county_codes, pd.Series(birth_date), male, rng),
    })
    members["person_no"] = np.char.add(hh["household_no"].to_numpy()[hh_of].astype("U11"),
                                       np.char.zfill((order_in_role + 1 + 10 * role).astype("U2"), 2))

    # Ethnicity: mostly Han; ethnic townships are partly Zhuang and Yao.
    ethnic_township = np.zeros(H, dtype=bool)
    for county_index, county in enumerate(places):
        flags = county.townships["ethnic"].map(bool).to_numpy()
        rows = hh["county_index"].to_numpy() == county_index
        ethnic_township[rows] = flags[hh["township_index"].to_numpy()[rows]]
    minority = ethnic_township & (rng.random(H) < 0.6)
    household_ethnicity = np.where(minority, rng.choice(np.array(["壮族", "瑶族"], dtype=object), H), "汉族")
    ethnicity = household_ethnicity[hh_of].astype(object)
    scattered = rng.random(P) < 0.01
    ethnicity[scattered] = rng.choice(np.array(["瑶族", "壮族"], dtype=object), scattered.sum())
    members["ethnicity"] = ethnicity

    # Fixed traits of people, used every year.
    members["u_school"] = rng.random(P)  # how far schooling goes
    members["u_track"] = rng.random(P)  # general or vocational track
    members["u_edu"] = rng.random(P)  # education of older cohorts
    members["u_labor"] = rng.random(P)  # labour ability choice between options
    members["frailty"] = rng.lognormal(0.0, 0.5, P)
    members["work_prop"] = rng.random(P)
    members["casual"] = rng.random(P) < 0.22
    members["month_drift"] = np.where(rng.random(P) < 0.18, -rng.integers(2, 5, P), 0)
    members["skill_tag"] = rng.choice(np.array(SKILL_TAGS, dtype=object), P, p=np.array(SKILL_TAG_WEIGHTS) / sum(SKILL_TAG_WEIGHTS))
    members["certified"] = rng.random(P) < 0.22
    members["place_pref"] = rng.choice(4, P, p=[0.2, 0.3, 0.38, 0.12])  # township, county, province, out of province
    members["wage_factor"] = rng.lognormal(0.0, 0.15, P)
    members["phone"] = make_phones(P, rng)
    members["has_phone"] = rng.random(P) < 0.75

    # Health at the start.
    chronic_p = np.where(age >= 30, np.clip(0.02 + 0.006 * (age - 30), 0.02, 0.45), 0.01)
    members["chronic"] = rng.random(P) < chronic_p
    members["serious"] = rng.random(P) < (0.004 + 0.0008 * age)
    disabled = rng.random(P) < (0.045 + 0.001 * age)
    members["disabled"] = disabled
    members["disability_type"] = rng.choice(
        np.array(["肢体", "视力", "听力", "言语", "智力", "精神", "多重"], dtype=object), P,
        p=[0.45, 0.12, 0.10, 0.03, 0.12, 0.12, 0.06])
    members["disability_grade"] = rng.choice(np.array(["一级", "二级", "三级", "四级"], dtype=object), P,
                                             p=[0.15, 0.25, 0.30, 0.30])

    # Households: fixed traits.
    hh["surname"] = household_surname
    hh["elderly_head"] = elderly
    attribute = rng.choice(np.array(["一般贫困户", "低保贫困户", "特困供养贫困户", "一般农户"], dtype=object), H,
                           p=[0.62, 0.30, 0.03, 0.05])
    single_elderly = (size == 1) & elderly
    attribute = np.where(single_elderly & (rng.random(H) < 0.25), "特困供养贫困户", attribute)
    attribute = np.where((attribute == "特困供养贫困户") & (size > 2), "低保贫困户", attribute)
    hh["poverty_attribute"] = attribute
    hh["edge"] = attribute == "一般农户"
    hh["exit_latent"] = rng.choice([2016, 2017, 2018, 2019, 2020], H, p=[0.35, 0.30, 0.20, 0.13, 0.02])
    hh["land"] = rng.lognormal(np.log(2.5), 0.5, H)
    hh["industry_latent"] = rng.random(H) < 0.68
    hh["finance_latent"] = rng.random(H) < 0.12
    hh["relocation"] = rng.random(H) < 0.02
    hh["eco"] = rng.random(H) < 0.3
    hh["family_planning"] = rng.random(H) < 0.08
    hh["remittance0"] = np.where(elderly, rng.uniform(800, 4500, H), rng.uniform(0, 1200, H))
    hh["remittance_decay"] = np.where(elderly & (rng.random(H) < 0.4), rng.uniform(0.55, 0.85, H),
                                      rng.uniform(0.97, 1.1, H))
    hh["other_property"] = np.where(rng.random(H) < 0.05, rng.uniform(500, 3000, H), 0.0)
    unsafe = rng.random(H) < 0.07
    hh["house_fixed_year"] = np.where(unsafe, rng.choice([first_year, first_year + 1, first_year + 2, first_year + 3, 9999],
                                                         H, p=[0.2, 0.4, 0.33, 0.06, 0.01]), 0)
    hh["house_grade_bad"] = rng.choice(np.array(["C级", "D级"], dtype=object), H, p=[0.6, 0.4])
    hh["house_grade_good"] = rng.choice(np.array(["A级", "B级"], dtype=object), H, p=[0.55, 0.45])
    water_bad = rng.random(H) < 0.06
    hh["water_fixed_year"] = np.where(water_bad, rng.choice([first_year, first_year + 1, first_year + 2, 9999], H,
                                                            p=[0.3, 0.4, 0.29, 0.01]), 0)
    hh["toilet_year"] = np.where(rng.random(H) < 0.15, rng.choice([first_year + 1, first_year + 2, first_year + 3], H), 0)
    hh["road_type"] = rng.choice(np.array(["水泥路", "砂石路", "泥土路", "柏油路"], dtype=object), H,
                                 p=[0.7, 0.15, 0.1, 0.05])
    hh["house_area"] = np.round(rng.uniform(40, 160, H), 1)
    hh["helper_slot"] = rng.integers(0, 1_000_000, H)
    hh["natural_choice"] = rng.random(H)
    hh["house_number"] = rng.integers(1, 120, H)
    return hh, members
