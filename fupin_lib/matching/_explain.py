"""Chinese explanations of recommendations, for the cadres who pass them on
("离家 3 公里，可兼顾照顾老人；有厨房工作经验")."""

from __future__ import annotations

import difflib
import functools

import numpy as np
import pandas as pd

from ._settings import MatchingSettings

__all__ = ["explain_pairs", "shared_term"]

# Characters that make a shared substring meaningless on their own.
_FILLER = set(" ，、；。,;.:：/（）()-工作岗位经验技能人员一般其他等有无")

_PLACE_BY_RELATION = ("在本村", "在本乡镇", "在本县", "在省内", "在省外")


@functools.lru_cache(maxsize=200_000)
def shared_term(left: str, right: str, min_length: int = 2) -> str:
    """Return the longest substring of at least `min_length` meaningful
    characters that both texts contain, or "" when there is none.

    Examples
    --------
    >>> shared_term("在餐馆厨房帮工五年", "机关食堂厨房帮工")
    '厨房帮工'
    """
    if not left or not right:
        return ""
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    match = matcher.find_longest_match(0, len(left), 0, len(right))
    term = left[match.a:match.a + match.size].strip(" ，、；。,;.:：/（）()-")
    meaningful = [c for c in term if c not in _FILLER]
    return term if len(meaningful) >= min_length else ""


def _text(values) -> np.ndarray:
    return pd.Series(values).astype("string").fillna("").str.strip().to_numpy(dtype=object)


def explain_pairs(laborers: pd.DataFrame, postings: pd.DataFrame, li, pj,
                  features: pd.DataFrame, settings: MatchingSettings) -> np.ndarray:
    """Write one Chinese explanation per (laborer, posting) pair.

    Parameters
    ----------
    laborers : DataFrame
        Laborer profiles; rows are addressed by position `li`.
    postings : DataFrame
        Postings; rows are addressed by position `pj`.
    features : DataFrame
        `pair_features` of the same pairs.

    Returns
    -------
    ndarray of str
        Parts joined with "；": distance (km, or the administrative place when
        coordinates are missing) and care ("可兼顾照顾老人") when near home,
        shared experience and skills, the wage against the expectation,
        meals and housing for distant work, and the public-welfare channel.
    """
    li = np.asarray(li)
    pj = np.asarray(pj)
    near = features["distance_km"].to_numpy() <= settings.near_home_km
    parts = [
        _distance_part(features, laborers, postings, li, pj, near),
        _experience_part(laborers, postings, li, pj),
        _wage_part(laborers, postings, li, pj),
        _lodging_part(postings, pj, near),
        np.where(_text(postings["channel"])[pj] == "公益性岗位", "公益性岗位托底安置", ""),
    ]
    joined = parts[0]
    for part in parts[1:]:
        joined = np.where(part == "", joined, np.where(joined == "", part, joined + "；" + part))
    return joined.astype(object)


def _distance_part(features, laborers, postings, li, pj, near):
    distance = features["distance_km"].to_numpy()
    measured = features["measured"].to_numpy(dtype=bool)
    kilometres = np.where(distance < 1, "离家不到 1 公里",
                          np.char.add(np.char.add("离家 ", np.round(distance).astype(int).astype(str)), " 公里"))
    relation = _relation(laborers, postings, li, pj)
    place = np.array(_PLACE_BY_RELATION, dtype=object)[relation]
    text = np.where(measured, kilometres.astype(object), place)
    reason = _text(laborers["caring_reason"])[li]
    caring = laborers["caring"].to_numpy(dtype=bool)[li] & near & (reason != "")
    care = np.where(caring, "，可兼顾照顾" + reason.astype(str), "")
    return (text.astype(str) + care.astype(str)).astype(object)


def _relation(laborers, postings, li, pj):
    relation = np.full(len(li), 4)
    for value, column in ((3, "province_code"), (2, "county_code"), (1, "township_code"), (0, "village_code")):
        if column not in laborers or column not in postings:
            continue
        left = _text(laborers[column])[li]
        right = _text(postings[column])[pj]
        relation = np.where((left == right) & (left != ""), value, relation)
    return relation


def _experience_part(laborers, postings, li, pj):
    past = _text(laborers["past_work"])[li]
    skills = _text(laborers["skills"])[li]
    posting_text = (_text(postings.get("title", pd.Series("", index=postings.index))) + " "
                    + _text(postings.get("description", pd.Series("", index=postings.index))))[pj]
    required = (_text(postings.get("skills_required", pd.Series("", index=postings.index))) + " "
                + _text(postings.get("title", pd.Series("", index=postings.index))))[pj]
    pairs = pd.DataFrame({"past": past, "skills": skills, "posting": posting_text, "required": required})
    distinct = pairs.drop_duplicates()
    experience = [shared_term(a, b) for a, b in zip(distinct["past"], distinct["posting"])]
    skill = [shared_term(a, b) for a, b in zip(distinct["skills"], distinct["required"])]
    texts = []
    for exp_term, skill_term in zip(experience, skill):
        pieces = []
        if exp_term:
            pieces.append(f"有{exp_term}工作经验")
        if skill_term and skill_term not in exp_term:
            pieces.append(f"技能对口（{skill_term}）")
        texts.append("，".join(pieces))
    lookup = pd.Series(texts, index=pd.MultiIndex.from_frame(distinct), dtype=object)
    return lookup.reindex(pd.MultiIndex.from_frame(pairs)).to_numpy(dtype=object)


def _wage_part(laborers, postings, li, pj):
    wage = pd.to_numeric(postings["monthly_wage"], errors="coerce").to_numpy(dtype=float)[pj] \
        if "monthly_wage" in postings else np.full(len(pj), np.nan)
    expected = pd.to_numeric(laborers["expected_wage"], errors="coerce").to_numpy(dtype=float)[li]
    has_wage = wage > 0
    wage_text = np.char.add(np.char.add("月工资 ", np.nan_to_num(wage).round().astype(int).astype(str)), " 元")
    expected_text = np.nan_to_num(expected).round().astype(int).astype(str)
    reached = np.char.add(wage_text, "，达到期望")
    below = np.char.add(np.char.add(np.char.add(wage_text, "，低于期望 "), expected_text), " 元")
    text = np.where(expected > 0, np.where(wage >= expected, reached, below), wage_text)
    return np.where(has_wage, text, "").astype(object)


def _lodging_part(postings, pj, near):
    meals = postings["meals_provided"].astype("boolean").fillna(False).to_numpy(dtype=bool)[pj] \
        if "meals_provided" in postings else np.zeros(len(pj), dtype=bool)
    housing = postings["housing_provided"].astype("boolean").fillna(False).to_numpy(dtype=bool)[pj] \
        if "housing_provided" in postings else np.zeros(len(pj), dtype=bool)
    text = np.where(meals & housing, "包吃包住", np.where(housing, "包住", np.where(meals, "包吃", "")))
    return np.where(near, "", text).astype(object)
