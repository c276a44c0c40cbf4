"""Fake personal identity data: names, resident ID numbers, phone numbers.

Everything here is drawn at random. ID numbers have the valid format of the
national standard GB 11643-1999 (6-digit area code, 8-digit birth date, 3-digit
sequence whose last digit is odd for men and even for women, ISO 7064
MOD 11-2 check character), but they belong to nobody.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "ID_WEIGHTS",
    "id_check_characters",
    "make_id_numbers",
    "make_names",
    "make_phones",
]

# Weight of each of the first 17 digits in the MOD 11-2 check: 2**(17 - i) mod 11.
ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_CHECK_CHARACTERS = np.array(list("10X98765432"))

# Common surnames of western Guangdong, most frequent first.
SURNAMES = np.array(list(
    "陈李黄梁林张罗何莫冯邓吴刘叶谢欧苏潘卢杨钟周郭徐严孔彭曾蔡邝植伍骆麦江黎赖"
))
_SURNAME_WEIGHTS = np.linspace(3.0, 0.5, len(SURNAMES))
_SURNAME_WEIGHTS /= _SURNAME_WEIGHTS.sum()

_MALE_CHARACTERS = np.array(list("伟强明华建国志荣永文德金海军杰俊锦辉炳坤福贵财汉源桂成家兴广亮耀振雄树"))
_FEMALE_CHARACTERS = np.array(list("丽芳秀英玉兰凤霞梅燕娟婷敏红艳群珍莲彩妹娇桂银少晓美嘉雪慧琴月婵"))


def id_check_characters(first17: np.ndarray) -> np.ndarray:
    """Compute the MOD 11-2 check character of 17-digit ID prefixes.

    Parameters
    ----------
    first17 : ndarray of int64
        The first 17 digits of each ID number as one integer.

    Returns
    -------
    ndarray of str
        ``"0"``–``"9"`` or ``"X"``.
    """
    first17 = np.asarray(first17, dtype=np.int64)
    powers = 10 ** np.arange(16, -1, -1, dtype=np.int64)
    digits = (first17[:, None] // powers[None, :]) % 10
    remainder = (digits * ID_WEIGHTS).sum(axis=1) % 11
    return _CHECK_CHARACTERS[remainder]


def make_id_numbers(county_code: np.ndarray, birth_date: pd.Series, male: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
    """Draw unique 18-digit ID numbers that agree with birth date and sex.

    Within a county, people born on the same day of the same sex get distinct
    sequence numbers, so the result has no duplicates.
    """
    county = np.asarray(county_code).astype(np.int64)
    birth = pd.to_datetime(birth_date)
    ymd = (birth.dt.year * 10000 + birth.dt.month * 100 + birth.dt.day).to_numpy(np.int64)
    male = np.asarray(male, dtype=bool)

    # Rank people within (county, birth date, sex) so their sequences differ.
    keys = pd.DataFrame({"c": county, "d": ymd, "m": male})
    rank = keys.groupby(["c", "d", "m"], sort=False).cumcount().to_numpy()
    offset = rng.integers(0, 300, size=len(county))
    pair = (offset + rank) % 500  # 0..499, the sequence without its sex digit
    sequence = pair * 2 + male.astype(np.int64)  # odd for men, even for women

    first17 = county * 10**11 + ymd * 1000 + sequence
    check = id_check_characters(first17)
    return np.char.add(first17.astype("U17"), check)


def make_names(surname: np.ndarray, male: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Compose given names of one or two characters after the given surnames."""
    n = len(surname)
    male = np.asarray(male, dtype=bool)
    first = np.where(male, rng.choice(_MALE_CHARACTERS, n), rng.choice(_FEMALE_CHARACTERS, n))
    second = np.where(male, rng.choice(_MALE_CHARACTERS, n), rng.choice(_FEMALE_CHARACTERS, n))
    two_characters = rng.random(n) < 0.8
    given = np.where(two_characters, np.char.add(first, second), first)
    return np.char.add(np.asarray(surname, dtype="U1"), given)


def draw_surnames(n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw `n` surnames with the regional frequencies."""
    return rng.choice(SURNAMES, n, p=_SURNAME_WEIGHTS)


def make_phones(n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw 11-digit mobile numbers of the form 1[3-9]xxxxxxxxx."""
    second = rng.choice(np.array(list("3456789")), n, p=[0.3, 0.05, 0.2, 0.05, 0.1, 0.25, 0.05])
    rest = np.char.zfill(rng.integers(0, 10**9, size=n).astype("U9"), 9)
    return np.char.add(np.char.add("1", second), rest)
