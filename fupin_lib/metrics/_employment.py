"""Employment of laborers in an area, from the members in employment.parquet."""

from __future__ import annotations

from ._kpis import scoped_where
from ._source import output_files, query, scoped_area

__all__ = ["employment_rate"]


def employment_rate(area_code: str, year: int, *, outputs_root, user) -> dict:
    """Compute the employment rate of laborers (劳动力就业率) in an area.

    A laborer and an employed person are as the run marked them
    (``is_laborer``, ``employed``; see `fupin_lib.schema.is_laborer` and
    `fupin_lib.schema.is_employed`).

    Parameters
    ----------
    area_code : str
        Area (see `kpis`).
    year : int
    outputs_root : path-like
    user : User
        The signed-in user; members outside their area are never read.

    Returns
    -------
    dict
        ``laborers``, ``employed`` (employed laborers), ``rate`` (employed /
        laborers, None without laborers) and ``by_channel``: employed
        laborers per employment channel, largest first (``未填写`` when the
        channel is blank).
    """
    code = scoped_area(area_code, user)
    files = output_files(outputs_root, "employment", code, [int(year)])
    result = {"laborers": 0, "employed": 0, "rate": None, "by_channel": {}}
    if not files:
        return result
    where, parameters = scoped_where(code, user)
    frame = query(
        f"""SELECT coalesce(nullif(trim(channel), ''), '未填写') AS channel,
                   count(*) FILTER (WHERE is_laborer) AS laborers,
                   count(*) FILTER (WHERE is_laborer AND employed) AS employed
            FROM {{source}} WHERE {where} AND year = ?
            GROUP BY 1""",
        files, parameters + [int(year)],
    )
    laborers = int(frame["laborers"].sum())
    employed = int(frame["employed"].sum())
    channels = frame[frame["employed"] > 0].sort_values(["employed", "channel"], ascending=[False, True])
    result.update({
        "laborers": laborers,
        "employed": employed,
        "rate": employed / laborers if laborers else None,
        "by_channel": {str(c): int(n) for c, n in zip(channels["channel"], channels["employed"])},
    })
    return result
