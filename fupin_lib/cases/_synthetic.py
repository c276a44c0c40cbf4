"""Synthetic run results in the layout of ``households.parquet``, for tests,
benchmarks and demos of the case store without running the whole pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["synthetic_run_results"]

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def synthetic_run_results(county_code: str = "441202", households: int = 100, *,
                          year: int = 2020, townships: int = 4, villages_per_township: int = 5,
                          seed: int = 0) -> pd.DataFrame:
    """Return fake run results for one county: codes follow the division
    layout (township = county + 3 digits, village = township + 3 digits),
    names are masked, about a third of the households are flagged."""
    rng = np.random.default_rng(seed)
    index = np.arange(households)
    township_no = index % townships + 1
    village_no = (index // townships) % villages_per_township + 1
    township_code = [f"{county_code}{t:03d}" for t in township_no]
    village_code = [f"{t}{v:03d}" for t, v in zip(township_code, village_no)]
    probability = rng.beta(1.2, 4.0, households)
    band = np.where(probability >= 0.5, "高", np.where(probability >= 0.25, "中", "低"))
    rule_flagged = rng.random(households) < 0.15
    rank = pd.Series(probability).rank(ascending=False, method="first").astype(int)
    return pd.DataFrame({
        "year": year,
        "county_code": county_code,
        "county": f"示例县{county_code[-2:]}",
        "township_code": township_code,
        "township": [f"第{t}镇" for t in township_no],
        "village_code": village_code,
        "village": [f"第{t}镇{v}村" for t, v in zip(township_no, village_no)],
        "household_no": [f"{county_code}{i:08d}" for i in index],
        "household_size": rng.integers(1, 7, households),
        "head_name_masked": [_SURNAMES[i % len(_SURNAMES)] + "*" for i in index],
        "monitoring_category": rng.choice(np.array([None, "脱贫不稳定户", "边缘易致贫户"], dtype=object), households,
                                          p=[0.8, 0.1, 0.1]),
        "verified": True,
        "rule_flagged": rule_flagged,
        "rule_reasons": np.where(rule_flagged, "人均纯收入低于监测线", ""),
        "risk_probability": probability.round(4),
        "risk_rank": rank.to_numpy(),
        "risk_band": band,
        "suggested_category": np.where(band == "高", "边缘易致贫户", ""),
        "risk_reasons": np.where(band == "高", "务工收入下降；医疗支出高", ""),
        "laborers": rng.integers(0, 4, households),
        "employed": rng.integers(0, 3, households),
        "problems_open": rng.integers(0, 3, households),
        "problems_closed": 0,
        "net_income_per_capita": rng.normal(9000, 3000, households).round(2),
    })
