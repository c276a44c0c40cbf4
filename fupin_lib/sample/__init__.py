"""The synthetic sample: Excel exports of a city's registered poor households
over several years, with fake people, for demos and tests.

Production code must not import this package.
"""

from ._damage import damage_frame
from ._generate import allocate_households, generate_sample
from ._identity import id_check_characters

__all__ = ["generate_sample", "allocate_households", "damage_frame", "id_check_characters"]
