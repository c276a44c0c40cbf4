"""Arrays of laborers and postings, and the pair features of the fit score.

Both sides are turned into NumPy arrays once, so that scoring a block of
laborers against a block of postings is a handful of broadcast operations.
Free text (skills, past work, posting requirements) is compared through
character n-gram TF-IDF vectors, computed once per distinct text.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from ._profiles import DEMAND_LEVELS, EDUCATION_RANK
from ._settings import FEATURES, INTENTIONS, MatchingSettings

__all__ = ["TextEncoder", "PostingArrays", "LaborerArrays", "pair_features", "KM_PER_DEGREE_LAT"]

KM_PER_DEGREE_LAT = 110.574
_KM_PER_DEGREE_LON_EQUATOR = 111.320

# Punctuation and separators seen in free-text cells; they carry no meaning.
_SEPARATORS = re.compile(r"[\s,，、;；。.:：/\\()（）\[\]【】\-_|]+")


def _char_ngrams(text: str) -> list[str]:
    """Character unigrams and bigrams inside each word: no n-gram spans a
    separator, so unrelated texts share no padding n-grams."""
    grams = []
    for word in _SEPARATORS.split(text):
        grams.extend(word)
        grams.extend(word[i:i + 2] for i in range(len(word) - 1))
    return grams


def _strings(series) -> pd.Series:
    return pd.Series(series).astype("string").fillna("").str.strip()


class TextEncoder:
    """Character n-gram TF-IDF over distinct texts.

    Chinese job text has no spaces, and character uni- and bigrams catch
    shared words (厨房, 电焊) without a dictionary. Vectors are L2-normalised,
    so the dot product of two vectors is their cosine similarity.
    """

    def __init__(self):
        self.vectorizer = TfidfVectorizer(analyzer=_char_ngrams, sublinear_tf=True)

    def fit(self, texts: pd.Series) -> "TextEncoder":
        distinct = pd.unique(_strings(texts))
        distinct = [t for t in distinct if t.strip()] or ["无"]
        self.vectorizer.fit(distinct)
        return self

    def encode(self, texts) -> tuple[np.ndarray, "object"]:
        """Return per-row ids into the matrix of distinct texts, and that
        sparse matrix (one row per distinct text)."""
        codes, distinct = pd.factorize(_strings(texts))
        matrix = self.vectorizer.transform(list(distinct)) if len(distinct) else None
        return codes.astype(np.int64), matrix


def _project(longitude, latitude, reference_latitude: float):
    """Project degrees to kilometres on a plane tangent at the reference
    latitude; the error stays under 1 % within a few hundred kilometres."""
    lon = np.asarray(longitude, dtype=np.float64)
    lat = np.asarray(latitude, dtype=np.float64)
    x = lon * _KM_PER_DEGREE_LON_EQUATOR * np.cos(np.radians(reference_latitude))
    y = lat * KM_PER_DEGREE_LAT
    return x.astype(np.float32), y.astype(np.float32)


def _encode_codes(values, vocabulary: dict, missing: int) -> np.ndarray:
    strings = _strings(values)
    codes = strings.map(vocabulary).fillna(missing).astype(np.int64).to_numpy().copy()
    codes[(strings == "").to_numpy()] = missing
    return codes


@dataclasses.dataclass
class PostingArrays:
    """Postings as arrays, in the order of `frame`."""

    frame: pd.DataFrame
    min_age: np.ndarray
    max_age: np.ndarray
    demand: np.ndarray
    min_education: np.ndarray
    public_job: np.ndarray
    housing: np.ndarray
    log_wage: np.ndarray
    has_wage: np.ndarray
    openings: np.ndarray
    channel: np.ndarray
    x: np.ndarray
    y: np.ndarray
    has_xy: np.ndarray
    codes: dict            # level name -> int codes (village, township, county, province)
    skill_ids: np.ndarray
    experience_ids: np.ndarray
    skill_matrix: object
    experience_matrix: object

    @classmethod
    def build(cls, postings: pd.DataFrame, encoder: TextEncoder, vocabularies: dict,
              reference_latitude: float) -> "PostingArrays":
        frame = postings.reset_index(drop=True)
        n = len(frame)

        def number(column, default):
            values = pd.to_numeric(frame[column], errors="coerce") if column in frame else pd.Series(np.nan, index=frame.index)
            return values.fillna(default).to_numpy(dtype=np.float32)

        channel = _strings(frame.get("channel", pd.Series("", index=frame.index)))
        wage = number("monthly_wage", np.nan)
        demand = _strings(frame.get("physical_demand", pd.Series("", index=frame.index)))
        education = _strings(frame.get("min_education", pd.Series("", index=frame.index)))
        x, y = _project(number("longitude", np.nan), number("latitude", np.nan), reference_latitude)
        skill_ids, skill_matrix = encoder.encode(_join(frame, ("title", "skills_required")))
        experience_ids, experience_matrix = encoder.encode(_join(frame, ("title", "description", "skills_required")))
        openings = pd.to_numeric(frame.get("openings", pd.Series(1, index=frame.index)), errors="coerce")
        return cls(
            frame=frame,
            min_age=number("min_age", 0),
            max_age=number("max_age", 200),
            # NOTE: a posting without 体力要求 is taken as medium (中), so weak
            # laborers are not sent to work of unknown demand.
            demand=demand.map(DEMAND_LEVELS).fillna(2).to_numpy(dtype=np.int8),
            min_education=education.map(EDUCATION_RANK).fillna(-1).to_numpy(dtype=np.int8),
            public_job=(channel == "公益性岗位").to_numpy(),
            housing=_flag(frame, "housing_provided"),
            log_wage=np.log(np.where(wage > 0, wage, 1)).astype(np.float32),
            has_wage=wage > 0,
            openings=openings.fillna(1).clip(lower=0).to_numpy(dtype=np.int64),
            channel=channel.to_numpy(dtype=object),
            x=x, y=y, has_xy=~(np.isnan(x) | np.isnan(y)),
            codes={level: _encode_codes(frame.get(column, pd.Series(pd.NA, index=frame.index)), vocabularies[level], -2)
                   for level, column in _CODE_COLUMNS.items()},
            skill_ids=skill_ids, experience_ids=experience_ids,
            skill_matrix=skill_matrix, experience_matrix=experience_matrix,
        )

    def __len__(self):
        return len(self.frame)


_CODE_COLUMNS = {"village": "village_code", "township": "township_code", "county": "county_code",
                 "province": "province_code"}


def _flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _join(frame: pd.DataFrame, columns) -> pd.Series:
    parts = [_strings(frame[c]) for c in columns if c in frame]
    if not parts:
        return pd.Series("", index=frame.index)
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + " " + part
    return joined.str.strip()


def code_vocabularies(postings: pd.DataFrame) -> dict:
    """Map each administrative level to {code: integer id} over the
    postings' codes; laborer codes outside it cannot equal any posting's."""
    frame = postings.copy()
    if "province_code" not in frame:
        frame["province_code"] = _strings(frame.get("county_code", pd.Series("", index=frame.index))).str[:2]
    vocabularies = {}
    for level, column in _CODE_COLUMNS.items():
        values = _strings(frame.get(column, pd.Series("", index=frame.index)))
        distinct = [v for v in pd.unique(values) if v]
        vocabularies[level] = {code: i for i, code in enumerate(distinct)}
    return vocabularies


@dataclasses.dataclass
class LaborerArrays:
    """Laborer profiles as arrays, in the order of `frame`."""

    frame: pd.DataFrame
    age: np.ndarray
    capacity: np.ndarray
    education: np.ndarray
    public_job_eligible: np.ndarray
    caring: np.ndarray
    log_expected_wage: np.ndarray
    has_expected_wage: np.ndarray
    intention: np.ndarray       # index into INTENTIONS; -1 for no wish to work
    x: np.ndarray
    y: np.ndarray
    has_xy: np.ndarray
    codes: dict
    skill_ids: np.ndarray
    experience_ids: np.ndarray
    skill_matrix: object
    experience_matrix: object

    @classmethod
    def build(cls, profiles: pd.DataFrame, encoder: TextEncoder, vocabularies: dict,
              reference_latitude: float) -> "LaborerArrays":
        frame = profiles.reset_index(drop=True)
        expected = pd.to_numeric(frame["expected_wage"], errors="coerce").to_numpy(dtype=float)
        x, y = _project(frame["longitude"], frame["latitude"], reference_latitude)
        intention = _strings(frame["intention"]).map({name: i for i, name in enumerate(INTENTIONS)})
        intention = intention.fillna(-1).to_numpy(dtype=np.int8)
        intention[~frame["wants_work"].to_numpy(dtype=bool)] = -1
        if "province_code" not in frame or frame["province_code"].isna().all():
            frame = frame.assign(province_code=_strings(frame["county_code"]).str[:2])
        skill_ids, skill_matrix = encoder.encode(frame["skills"])
        experience_ids, experience_matrix = encoder.encode(frame["past_work"])
        return cls(
            frame=frame,
            age=pd.to_numeric(frame["age"], errors="coerce").fillna(-1).to_numpy(dtype=np.int16),
            capacity=frame["physical_capacity"].to_numpy(dtype=np.int8),
            education=frame["education_rank"].to_numpy(dtype=np.int8),
            public_job_eligible=frame["public_job_eligible"].to_numpy(dtype=bool),
            caring=frame["caring"].to_numpy(dtype=bool),
            log_expected_wage=np.log(np.where(expected > 0, expected, 1)).astype(np.float32),
            has_expected_wage=expected > 0,
            intention=intention,
            x=x, y=y, has_xy=~(np.isnan(x) | np.isnan(y)),
            codes={level: _encode_codes(frame[column], vocabularies[level], -1)
                   for level, column in _CODE_COLUMNS.items()},
            skill_ids=skill_ids, experience_ids=experience_ids,
            skill_matrix=skill_matrix, experience_matrix=experience_matrix,
        )

    def __len__(self):
        return len(self.frame)


def admin_relation(laborers: LaborerArrays, postings: PostingArrays, li, pj) -> np.ndarray:
    """Closest shared administrative level of each pair: 0 village, 1
    township, 2 county, 3 province, 4 none. `li` and `pj` broadcast."""
    relation = np.full(np.broadcast(li, pj).shape, 4, dtype=np.int8)
    for value, level in ((3, "province"), (2, "county"), (1, "township"), (0, "village")):
        same = laborers.codes[level][li] == postings.codes[level][pj]
        relation = np.where(same, np.int8(value), relation)
    return relation


def distance_km(laborers: LaborerArrays, postings: PostingArrays, li, pj,
                settings: MatchingSettings) -> tuple[np.ndarray, np.ndarray]:
    """Distance of each pair in km, and whether it came from coordinates.

    Pairs where either side lacks coordinates get the settings' distance for
    their administrative relation (same village, township, county, province).
    """
    dx = laborers.x[li] - postings.x[pj]
    dy = laborers.y[li] - postings.y[pj]
    measured = laborers.has_xy[li] & postings.has_xy[pj]
    distance = np.sqrt(dx * dx + dy * dy)
    if not measured.all():
        table = settings.admin_distance_km
        by_relation = np.array([table["same_village"], table["same_township"], table["same_county"],
                                table["same_province"], table["other"]], dtype=np.float32)
        fallback = by_relation[admin_relation(laborers, postings, li, pj)]
        distance = np.where(measured, distance, fallback)
    return distance.astype(np.float32), measured


def within_intention(laborers: LaborerArrays, postings: PostingArrays, li, pj,
                     distance: np.ndarray, settings: MatchingSettings) -> np.ndarray:
    """Check that each posting lies in the area of the laborer's work
    intention and within the intention's distance limit."""
    intention = laborers.intention[li]
    relation = admin_relation(laborers, postings, li, pj)
    # Intention level k (0 乡镇内 … 3 省外) accepts relations up to k + 1:
    # 乡镇内 needs the same township (relation <= 1), 省外 accepts any.
    inside = (intention >= 0) & (relation <= intention + 1)
    limits = np.array([settings.max_distance_km[name] or np.inf for name in INTENTIONS], dtype=np.float32)
    return inside & (distance <= limits[np.maximum(intention, 0)])


def constraint_table(classes: np.ndarray, postings: PostingArrays, columns: np.ndarray) -> np.ndarray:
    """Hard constraints that depend on one laborer's class only.

    Parameters
    ----------
    classes : ndarray of shape (n_classes, 4)
        Distinct (age, physical capacity, education rank, public-job
        eligibility) rows.
    columns : ndarray of int
        Postings to evaluate.

    Returns
    -------
    ndarray of bool, shape (n_classes, len(columns))
        Age inside the posting's range, physical demand within capacity,
        education at least the minimum, and public-welfare posts only for
        eligible laborers.
    """
    age, capacity, education, eligible = (classes[:, i:i + 1] for i in range(4))
    return (
        (postings.min_age[columns] <= age) & (age <= postings.max_age[columns])
        & (postings.demand[columns] <= capacity)
        & (postings.min_education[columns] <= education)
        & (~postings.public_job[columns] | eligible.astype(bool))
    )


def laborer_classes(laborers: LaborerArrays, rows=slice(None)) -> tuple[np.ndarray, np.ndarray]:
    """Distinct constraint classes of the laborers and each laborer's class."""
    stacked = np.stack([laborers.age[rows], laborers.capacity[rows], laborers.education[rows],
                        laborers.public_job_eligible[rows]], axis=1).astype(np.int16)
    classes, inverse = np.unique(stacked, axis=0, return_inverse=True)
    return classes, inverse.ravel()


def feasible_pairs(laborers: LaborerArrays, postings: PostingArrays, li, pj,
                   settings: MatchingSettings) -> np.ndarray:
    """Evaluate every hard constraint for arbitrary pairs (vectors of equal
    length), openings left included."""
    li = np.asarray(li)
    pj = np.asarray(pj)
    distance, _ = distance_km(laborers, postings, li, pj, settings)
    age = laborers.age[li]
    return (
        within_intention(laborers, postings, li, pj, distance, settings)
        & (postings.min_age[pj] <= age) & (age <= postings.max_age[pj])
        & (postings.demand[pj] <= laborers.capacity[li])
        & (postings.min_education[pj] <= laborers.education[li])
        & (~postings.public_job[pj] | laborers.public_job_eligible[li])
        & (postings.openings[pj] > 0)
    )


def text_similarity(laborer_matrix, laborer_ids, posting_matrix, posting_ids) -> np.ndarray:
    """Cosine similarity of pairs of texts given by ids into the two
    matrices of distinct texts; pairs are rows of equal-length id vectors."""
    if laborer_matrix is None or posting_matrix is None:
        return np.zeros(len(laborer_ids), dtype=np.float32)
    pairs = pd.DataFrame({"l": laborer_ids, "p": posting_ids})
    distinct = pairs.drop_duplicates()
    left = laborer_matrix[distinct["l"].to_numpy()]
    right = posting_matrix[distinct["p"].to_numpy()]
    values = np.asarray(left.multiply(right).sum(axis=1)).ravel().astype(np.float32)
    lookup = pd.Series(values, index=pd.MultiIndex.from_frame(distinct))
    return lookup.reindex(pd.MultiIndex.from_frame(pairs)).to_numpy(dtype=np.float32)


def pair_features(laborers: LaborerArrays, postings: PostingArrays, li, pj,
                  settings: MatchingSettings) -> pd.DataFrame:
    """Features of the fit score for arbitrary pairs.

    Returns
    -------
    DataFrame
        One row per pair with the columns of ``FEATURES`` (``skill``:
        skills against the posting's title and requirements; ``experience``:
        past work against the posting's text; ``proximity``:
        1 / (1 + km / proximity_scale_km); ``caring_proximity``: proximity
        for laborers with caring duties, else 0; ``wage``: log of the wage
        over the expected wage, clipped to [-1, 1], 0 when either is
        unknown; ``housing_far``: housing provided times 1 - proximity;
        ``public_job``: 1 for public-welfare posts) plus ``distance_km`` and
        ``measured``.
    """
    li = np.asarray(li, dtype=np.int64)
    pj = np.asarray(pj, dtype=np.int64)
    distance, measured = distance_km(laborers, postings, li, pj, settings)
    proximity = 1.0 / (1.0 + distance / np.float32(settings.proximity_scale_km))
    wage = np.clip(postings.log_wage[pj] - laborers.log_expected_wage[li], -1, 1)
    wage = np.where(postings.has_wage[pj] & laborers.has_expected_wage[li], wage, 0)
    features = pd.DataFrame({
        "skill": text_similarity(laborers.skill_matrix, laborers.skill_ids[li],
                                 postings.skill_matrix, postings.skill_ids[pj]),
        "experience": text_similarity(laborers.experience_matrix, laborers.experience_ids[li],
                                      postings.experience_matrix, postings.experience_ids[pj]),
        "proximity": proximity,
        "caring_proximity": proximity * laborers.caring[li],
        "wage": wage,
        "housing_far": postings.housing[pj] * (1 - proximity),
        "public_job": postings.public_job[pj].astype(np.float32),
    })[list(FEATURES)]
    features["distance_km"] = distance
    features["measured"] = measured
    return features
