"""Job and training matching: laborer profiles, hard constraints, fit
ranking, capacity-aware allocation and employment statistics.

Typical use::

    profiles = build_laborer_profiles(members, households, year=2020)
    matcher = JobMatcher().fit(postings, profiles, placements)
    top10 = matcher.recommend(profiles, k=10)
    plan = allocate(matcher, profiles, trainings=trainings)
    stats = employment_statistics(members, households, year=2020)
"""

from ._allocate import allocate, assign_with_capacity, suggest_trainings
from ._employment import CHANNEL_CODES, EMPLOYMENT_HEADERS, employment_statistics, rate_percent, subsidy_eligibility
from ._evaluate import congestion, evaluate_matcher, ndcg_at_k, recall_at_k
from ._pipeline import MatchRun, run_matching
from ._profiles import PROFILE_COLUMNS, build_laborer_profiles
from ._rank import JobMatcher, kept_placements
from ._settings import INTENTIONS, MatchingSettings, load_matching_settings

__all__ = [
    "build_laborer_profiles",
    "PROFILE_COLUMNS",
    "JobMatcher",
    "kept_placements",
    "allocate",
    "assign_with_capacity",
    "suggest_trainings",
    "employment_statistics",
    "subsidy_eligibility",
    "rate_percent",
    "EMPLOYMENT_HEADERS",
    "CHANNEL_CODES",
    "evaluate_matcher",
    "ndcg_at_k",
    "recall_at_k",
    "congestion",
    "run_matching",
    "MatchRun",
    "MatchingSettings",
    "load_matching_settings",
    "INTENTIONS",
]
