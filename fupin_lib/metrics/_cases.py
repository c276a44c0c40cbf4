"""Monitoring cases by procedure state, from the case store."""

from __future__ import annotations

import logging

from sqlalchemy import func, inspect, select

from ..cases import Case, Household, get_engine
from ..cases._workflow import STATES
from ._source import scoped_area, user_area_code

__all__ = ["cases_by_status"]

logger = logging.getLogger(__name__)


def cases_by_status(area_code: str, year: int, *, user, url: str | None = None) -> dict[str, int]:
    """Count the cases of an area's households in one monitoring period by
    procedure state (线索, 入户核实, …, 风险消除).

    Every case in the area counts, whoever it is assigned to: a dashboard
    shows a cadre their whole area, as `fupin_lib.cases.access.area_clause`
    does for other aggregate views.

    Parameters
    ----------
    area_code : str
        Area (see `fupin_lib.metrics.kpis`).
    year : int
        The period (the run's year) of the cases.
    user : User
        The signed-in user; cases outside their area are not counted.
    url : str, optional
        Case store URL; default `fupin_lib._paths.database_url`.

    Returns
    -------
    dict
        State -> number of cases, in the order of the procedure, states
        without cases left out. Empty when the case store has not been
        created yet (logged as a warning).
    """
    code = scoped_area(area_code, user)
    allowed = user_area_code(user)
    engine = get_engine(url)
    if not inspect(engine).has_table(Case.__tablename__):
        logger.warning("the case store at %s has no cases table yet; showing no cases", engine.url)
        return {}
    statement = (
        select(Case.state, func.count())
        .join(Household, Case.household_id == Household.id)
        .where(Case.period == int(year))
        .where(Household.village_code.startswith(code, autoescape=True))
        .where(Household.village_code.startswith(allowed, autoescape=True))
        .group_by(Case.state)
    )
    with engine.connect() as connection:
        counts = {state: int(count) for state, count in connection.execute(statement)}
    order = {state: i for i, state in enumerate(STATES)}
    return dict(sorted(counts.items(), key=lambda item: order.get(item[0], len(order))))
