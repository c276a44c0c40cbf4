"""Postings, trainings and past placements of the sample.

Placements follow a documented preference: a laborer accepts and keeps a job
that is near home, fits the skills, the health and the caring duties, and
pays at least what the person expects. The weights are in `PREFERENCE`, so a
matcher trained on the placements can be compared with them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._vocabulary import POSTING_CATALOGUE, TRAINING_CATALOGUE

__all__ = ["make_jobs", "PREFERENCE"]

_CHANNEL_WEIGHTS = {"企业": 0.35, "扶贫车间": 0.2, "产业基地": 0.15, "公益性岗位": 0.2, "以工代赈": 0.1}

# Weights of the acceptance utility (see docs/sample-data.md).
PREFERENCE = {
    "intercept": 1.0,
    "skill_match": 1.5,  # the posting's skill tag equals the person's
    "distance_km": -0.06,  # straight-line distance from home
    "wage_gap_thousands": 0.9,  # posting wage minus expected wage, in thousand yuan
    "physical_mismatch": -2.0,  # heavy work for a weak, sick or 55+ person
    "caring_far": -1.5,  # caring duties and more than 10 km away
    "age_outside": -3.0,  # outside the posting's age range
    "public_for_weak": 0.8,  # public-welfare post for a weak laborer
}


def _catalogue() -> pd.DataFrame:
    return pd.DataFrame(POSTING_CATALOGUE, columns=["channel", "title", "tag", "physical_demand", "min_age",
                                                    "max_age", "base_wage", "skills_required", "description"])


def _distance_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    x = (np.asarray(lon2) - np.asarray(lon1)) * 111.3 * np.cos(np.radians(23.3))
    y = (np.asarray(lat2) - np.asarray(lat1)) * 111.0
    return np.hypot(x, y)


def make_jobs(frames, hh: pd.DataFrame, places, area: pd.DataFrame, rng: np.random.Generator) -> dict:
    """Build postings, trainings and placements for every county and year.

    Returns
    -------
    dict
        ``postings``, ``trainings``, ``placements`` as canonical frames (plus
        ``county_code``) and ``postings_tags`` with the hidden skill tag.
    """
    catalogue = _catalogue()
    weights = catalogue["channel"].map(_CHANNEL_WEIGHTS).to_numpy()
    weights = weights / weights.sum()
    posting_frames, training_frames, placement_frames = [], [], []
    first_year = frames[0][0]

    for year, households, members in frames:
        t = year - first_year
        for county in places:
            n_households = int((households["county_code"] == county.code).sum())
            towns = county.townships
            n = max(6, int(round(n_households / 60)))
            pick = rng.choice(len(catalogue), n, p=weights)
            spec = catalogue.iloc[pick].reset_index(drop=True)
            town = rng.choice(len(towns), n, p=towns["weight"].to_numpy())
            town_name = towns["name"].to_numpy()[town]
            short_town = pd.Series(town_name).str.replace(r"(镇|街道|乡)$", "", regex=True).to_numpy(dtype=object)
            employer = np.select(
                [spec["channel"] == "企业", spec["channel"] == "扶贫车间", spec["channel"] == "产业基地",
                 spec["channel"] == "公益性岗位"],
                [short_town + np.asarray(["鑫达", "华兴", "粤丰", "恒利", "金源"], dtype=object)[rng.integers(0, 5, n)]
                 + np.asarray(["电子有限公司", "制衣厂", "食品有限公司", "物业服务有限公司", "五金制品厂"],
                              dtype=object)[rng.integers(0, 5, n)],
                 town_name + "扶贫车间",
                 short_town + np.asarray(["砂糖桔", "肉桂", "生态养殖", "蔬菜"], dtype=object)[rng.integers(0, 4, n)]
                 + "产业基地",
                 town_name + "人民政府"],
                county.name + town_name + "以工代赈项目部",
            )
            posting_id = np.char.add(f"GW{county.code}{year}", np.char.zfill(np.arange(1, n + 1).astype("U4"), 4))
            wage = np.round(spec["base_wage"].to_numpy() * 1.05 ** t * rng.uniform(0.9, 1.2, n), -1)
            enterprise = spec["channel"].to_numpy() == "企业"
            posting_frames.append(pd.DataFrame({
                "year": year,
                "posting_id": posting_id,
                "county_code": county.code,
                "township_code": towns["code"].to_numpy()[town],
                "township": town_name,
                "village_code": "",
                "employer": employer,
                "channel": spec["channel"].to_numpy(),
                "title": spec["title"].to_numpy(),
                "description": spec["description"].to_numpy(),
                "location": county.name + town_name,
                "longitude": (towns["longitude"].to_numpy()[town] + rng.normal(0, 0.01, n)).round(6),
                "latitude": (towns["latitude"].to_numpy()[town] + rng.normal(0, 0.01, n)).round(6),
                "min_age": spec["min_age"].to_numpy(),
                "max_age": spec["max_age"].to_numpy(),
                "physical_demand": spec["physical_demand"].to_numpy(),
                "skills_required": spec["skills_required"].to_numpy(),
                "min_education": np.where(enterprise & (rng.random(n) < 0.4), "初中", ""),
                "monthly_wage": wage,
                "openings": rng.integers(1, 21, n),
                "meals_provided": np.where(enterprise | (rng.random(n) < 0.3), "是", "否"),
                "housing_provided": np.where(enterprise & (rng.random(n) < 0.6), "是", "否"),
                "_tag": spec["tag"].to_numpy(),
            }))

            k = int(rng.integers(6, 13))
            spec_t = pd.DataFrame(TRAINING_CATALOGUE, columns=["program", "name", "tag", "days", "subsidy"])
            spec_t = spec_t.iloc[rng.integers(0, len(spec_t), k)].reset_index(drop=True)
            town_t = rng.choice(len(towns), k, p=towns["weight"].to_numpy())
            start = pd.to_datetime(f"{year}-03-01") + pd.to_timedelta(rng.integers(0, 240, k), unit="D")
            training_frames.append(pd.DataFrame({
                "year": year,
                "training_id": np.char.add(f"PX{county.code}{year}", np.char.zfill(np.arange(1, k + 1).astype("U3"), 3)),
                "county_code": county.code,
                "township_code": towns["code"].to_numpy()[town_t],
                "name": spec_t["name"].to_numpy(),
                "program": spec_t["program"].to_numpy(),
                "skill": spec_t["tag"].replace("", "综合").to_numpy(),
                "location": towns["name"].to_numpy()[town_t] + "成人文化技术学校",
                "start_date": start.strftime("%Y-%m-%d"),
                "end_date": (start + pd.to_timedelta(spec_t["days"].to_numpy(), unit="D")).strftime("%Y-%m-%d"),
                "capacity": rng.integers(20, 61, k),
                "subsidy": spec_t["subsidy"].to_numpy().astype(float),
            }))

        if t == 0:
            continue
        posting_frames_year = pd.concat(posting_frames[-len(places):], ignore_index=True)
        placement_frames.append(_placements(year, members, hh, area, posting_frames_year, rng))

    postings = pd.concat(posting_frames, ignore_index=True)
    placements = (pd.concat(placement_frames, ignore_index=True) if placement_frames
                  else pd.DataFrame(columns=["year", "county_code", "household_no", "id_number", "posting_id",
                                             "offer_date", "accepted", "months_kept", "still_employed"]))
    return {
        "postings": postings.drop(columns=["_tag"]),
        "postings_tags": postings[["posting_id", "_tag"]],
        "trainings": pd.concat(training_frames, ignore_index=True),
        "placements": placements,
    }


def _placements(year, members, hh, area, postings, rng) -> pd.DataFrame:
    """Offers made in `year` to some laborers, with the outcome drawn from the
    preference utility."""
    laborers = members[members["_laborer"].to_numpy()]
    chosen = laborers[rng.random(len(laborers)) < 0.08]
    offers_each = rng.integers(1, 4, len(chosen))
    person = chosen.loc[chosen.index.repeat(offers_each)].reset_index(drop=True)
    if person.empty:
        return pd.DataFrame()
    # Offers go to postings of the person's county: most to one of the three
    # postings nearest home (cadres recommend local jobs), the rest anywhere.
    by_county = {code: frame.reset_index(drop=True) for code, frame in postings.groupby("county_code")}
    rows = []
    for code, group in person.groupby("county_code"):
        pool = by_county.get(code)
        if pool is None or pool.empty:
            continue
        home = area.iloc[group["_hh"].to_numpy()]
        distance = _distance_km(home["longitude"].to_numpy()[:, None], home["latitude"].to_numpy()[:, None],
                                pool["longitude"].to_numpy()[None, :], pool["latitude"].to_numpy()[None, :])
        k = min(3, len(pool))
        nearest = np.argsort(distance, axis=1, kind="stable")[:, :k]
        near_pick = nearest[np.arange(len(group)), rng.integers(0, k, len(group))]
        any_pick = rng.integers(0, len(pool), len(group))
        pick = pool.iloc[np.where(rng.random(len(group)) < 0.6, near_pick, any_pick)].reset_index(drop=True)
        pick.index = group.index
        rows.append(pick)
    if not rows:
        return pd.DataFrame()
    posting = pd.concat(rows).reindex(person.index)
    keep = posting["posting_id"].notna().to_numpy()
    person, posting = person[keep].reset_index(drop=True), posting[keep].reset_index(drop=True)

    home = area.iloc[person["_hh"].to_numpy()]
    distance = _distance_km(home["longitude"].to_numpy(), home["latitude"].to_numpy(),
                            posting["longitude"].to_numpy(), posting["latitude"].to_numpy())
    age = person["_age"].to_numpy()
    weak = person["labor_skill"].to_numpy() == "弱劳动力或半劳动力"
    sick = person["health"].to_numpy() != "健康"
    tags = pd.Series(posting["_tag"].to_numpy())
    skill_match = (tags != "") & (tags.to_numpy() == _person_tags(person))
    physical = (posting["physical_demand"].to_numpy() == "重") & (weak | sick | (age >= 55))
    caring = person["_caring"].to_numpy() if "_caring" in person else np.zeros(len(person), bool)
    outside = (age < posting["min_age"].to_numpy()) | (age > posting["max_age"].to_numpy())
    expected = pd.to_numeric(person["expected_wage"], errors="coerce").fillna(2500).to_numpy()
    gap = (posting["monthly_wage"].to_numpy() - expected) / 1000
    public_weak = (posting["channel"].to_numpy() == "公益性岗位") & weak
    p = PREFERENCE
    utility = (p["intercept"] + p["skill_match"] * skill_match + p["distance_km"] * distance
               + p["wage_gap_thousands"] * gap + p["physical_mismatch"] * physical
               + p["caring_far"] * (caring & (distance > 10)) + p["age_outside"] * outside
               + p["public_for_weak"] * public_weak)
    accepted = utility + rng.logistic(0, 1, len(utility)) > 0
    retention = 1 / (1 + np.exp(-(utility + rng.normal(0, 1, len(utility)))))
    months_kept = np.where(accepted, np.clip(np.round(12 * retention), 1, 12), 0.0)
    still = accepted & (months_kept >= 6) & (rng.random(len(utility)) < retention)
    offer_date = pd.to_datetime(f"{year}-01-01") + pd.to_timedelta(rng.integers(0, 330, len(person)), unit="D")
    return pd.DataFrame({
        "year": year,
        "county_code": person["county_code"].to_numpy(),
        "household_no": person["household_no"].to_numpy(),
        "id_number": person["id_number"].to_numpy(),
        "posting_id": posting["posting_id"].to_numpy(),
        "offer_date": offer_date.strftime("%Y-%m-%d"),
        "accepted": np.where(accepted, "是", "否"),
        "months_kept": months_kept,
        "still_employed": np.where(still, "是", "否"),
    }).drop_duplicates(["id_number", "posting_id"])


def _person_tags(person: pd.DataFrame) -> np.ndarray:
    """Recover each person's skill tag from the skills text."""
    from ._vocabulary import SKILL_TEXT

    lookup = {text: tag for tag, texts in SKILL_TEXT.items() for text in texts if text}
    return person["skills"].map(lookup).fillna("").to_numpy(dtype=object)
