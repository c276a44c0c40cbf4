"""The synthetic sample: Excel exports of a city's registered poor households
over several years, with fake people, for demos and tests.

Production code must not import this package.
"""

from ._damage import DAMAGE_KINDS, damage_frame
from ._generate import SimulationResult, allocate_households, generate_sample, simulate
from ._identity import id_check_characters

__all__ = [
    "generate_sample",
    "simulate",
    "SimulationResult",
    "allocate_households",
    "damage_frame",
    "DAMAGE_KINDS",
    "id_check_characters",
]
