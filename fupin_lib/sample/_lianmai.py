"""The 连麦镇 case: in 2020 the villages 莲社村, 仓社村 and 下坑村 of 连麦镇,
怀集县 hold exactly 128 laborers of whom 116 are employed, the figures a
Zhaoqing work team reported for its three villages."""

from __future__ import annotations

import numpy as np

from ._places import LIANMAI_COUNTY, LIANMAI_TOWNSHIP, LIANMAI_VILLAGES

__all__ = ["LianmaiCase", "CASE_LABORERS", "CASE_EMPLOYED", "CASE_YEAR", "CASE_POOL_HOUSEHOLDS"]

CASE_YEAR = 2020
CASE_LABORERS = 128
CASE_EMPLOYED = 116
# Households always drawn into 连麦镇, enough to find 128 laborers among them.
CASE_POOL_HOUSEHOLDS = 230


class LianmaiCase:
    """A panel hook that sets the case villages and employment in 2020.

    In `CASE_YEAR` it chooses 连麦镇 households whose laborers add up to
    exactly `CASE_LABORERS` and moves them into the three villages. Every
    other 连麦镇 household moves to the township's other villages. Then
    exactly `CASE_EMPLOYED` of those laborers are made employed: surplus
    workers lose their work, and missing ones get a public-welfare post (the
    last-resort channel). The change happens before incomes are computed, so
    incomes stay consistent.
    """

    def __init__(self, panel, places, rng):
        self.panel = panel
        self.rng = rng
        hh = panel.hh
        county_index = next((i for i, p in enumerate(places) if p.code == LIANMAI_COUNTY), None)
        self.enabled = county_index is not None
        if not self.enabled:
            return
        county = places[county_index]
        names = county.townships["name"].to_numpy()
        township_index = int(np.flatnonzero(names == LIANMAI_TOWNSHIP)[0])
        villages = county.villages
        offset = sum(len(p.villages) for p in places[:county_index])
        in_township = villages["township_index"].to_numpy() == township_index
        case_local = np.flatnonzero(in_township & villages["name"].isin(LIANMAI_VILLAGES).to_numpy())
        other_local = np.flatnonzero(in_township & ~villages["name"].isin(LIANMAI_VILLAGES).to_numpy())
        self.case_villages = case_local + offset
        self.other_villages = other_local + offset
        self.pool = np.flatnonzero((hh["county_index"].to_numpy() == county_index)
                                   & (hh["township_index"].to_numpy() == township_index))

    def __call__(self, year: int, state: dict) -> None:
        if not self.enabled or year != CASE_YEAR:
            return
        panel, rng = self.panel, self.rng
        hh_of = panel.hh_of
        laborer = state["laborer"]
        per_household = np.bincount(hh_of[laborer], minlength=panel.H)[self.pool]

        order = rng.permutation(len(self.pool))
        chosen = []
        remaining = CASE_LABORERS
        for position in order:  # a few hundred households at most
            count = int(per_household[position])
            if count <= remaining:
                chosen.append(position)
                remaining -= count
            if remaining == 0:
                break
        if remaining:
            raise RuntimeError(f"连麦镇 pool has too few laborers: {remaining} of {CASE_LABORERS} missing")
        chosen = np.array(chosen, dtype=int)
        case_households = self.pool[chosen]
        others = np.setdiff1d(self.pool, case_households)

        village = panel.hh["village_index"].to_numpy().copy()
        village[case_households] = rng.choice(self.case_villages, len(case_households))
        village[others] = rng.choice(self.other_villages, len(others))
        panel.hh["village_index"] = village

        in_case = np.isin(hh_of, case_households) & laborer
        employed = (state["working"] | state["public"]) & in_case
        surplus = int(employed.sum()) - CASE_EMPLOYED
        if surplus > 0:
            drop = rng.choice(np.flatnonzero(employed), surplus, replace=False)
            state["working"][drop] = False
            state["months"][drop] = 0.0
            state["wage"][drop] = 0.0
            state["public"][drop] = False
            state["public_months"][drop] = 0.0
            state["public_wage"][drop] = 0.0
            state["casual"][drop] = False
        elif surplus < 0:
            add = rng.choice(np.flatnonzero(in_case & ~employed), -surplus, replace=False)
            state["public"][add] = True
            state["public_months"][add] = rng.integers(6, 13, len(add)).astype(float)
            state["public_wage"][add] = np.round(rng.uniform(800, 1300, len(add)), -1)
