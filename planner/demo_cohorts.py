"""Births and children by unit, year and grade for the synthetic demo county.

Births follow the national curve's shape (NBS communiqués; shared/data/china_births.csv): a
2016 peak and about −45 % by 2023, each unit's level scaled by its size and drifting against
the national curve (the county seat's births fall slower, villages' faster). After birth each
cohort moves: every year a share of village and township children leaves (families moving to
the county seat, 进城入学, or out of the county); those who stay in the county arrive in the seat
and the towns in proportion to their size. Children of school year y in grade g were born in
y − 5 − g (grade 1 of 2026 was born in 2020: September cut-off, entry at six).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Births in mainland China, 10 000s (NBS statistical communiqués). 2025 is not in the series
# the project ships; it is an assumption (a little below 2024's dragon-year rebound).
NATIONAL_BIRTHS_10K = {
    2009: 1587, 2010: 1588, 2011: 1600, 2012: 1635, 2013: 1640, 2014: 1687, 2015: 1655,
    2016: 1786, 2017: 1723, 2018: 1523, 2019: 1465, 2020: 1202, 2021: 1062, 2022: 956,
    2023: 902, 2024: 954, 2025: 880,
}
FIRST_BORN = 2009  # the oldest cohort needed: grade 9 of school year 2023
BIRTHS_TABLE_YEARS = range(2010, 2026)  # the births table the demo ships

# Yearly share of a cohort's children who leave their unit, by settlement kind, and where the
# leavers go (the rest leave the county).
LEAVE_RATE = {"seat": 0.0, "town": 0.005, "township": 0.012, "village": 0.022}
TO_SEAT, TO_TOWNS = 0.55, 0.15


def grade_born(year: int, grade: int) -> int:
    """Return the birth year of grade `grade` in school year `year` (entry at six)."""
    return year - 5 - grade


@dataclass(frozen=True)
class Cohorts:
    """Births and resident children by unit.

    Attributes
    ----------
    births
        (units, years) births for FIRST_BORN … the last year, whole numbers.
    residents
        Birth year → school year → (units,) children of that cohort living in each unit.
    """

    births: np.ndarray
    residents: dict[int, dict[int, np.ndarray]]

    def grade(self, year: int, grade: int) -> np.ndarray:
        """Return the children of a grade in a school year, by unit."""
        return self.residents[grade_born(year, grade)][year]

    def births_of(self, year: int) -> np.ndarray:
        """Return the births of a calendar year, by unit."""
        return self.births[:, year - FIRST_BORN]


def simulate(rng: np.random.Generator, size: np.ndarray, kind: list[str], *, now: int,
             first_kept: int, seat_growth: float, village_decline: float) -> Cohorts:
    """Simulate births and cohort moves for every unit up to school year `now`.

    Parameters
    ----------
    rng
        The random generator.
    size
        Each unit's children per grade at the 2016 peak (its scale).
    kind
        Each unit's settlement: seat, town, township or village.
    now
        The last school year simulated.
    first_kept
        The first school year whose residents are kept (for the enrolment history).
    seat_growth, village_decline
        Yearly drift of the seat's and the villages' births against the national curve after
        its 2016 peak.

    Returns
    -------
    The births and the residents of every cohort born FIRST_BORN … now − 6 in the school
    years first_kept … now.
    """
    kind_arr = np.array(kind)
    drift = np.select([kind_arr == "seat", kind_arr == "village", kind_arr == "township"],
                      [1 + seat_growth, 1 - village_decline, 1 - village_decline / 2], 1.0)
    years = np.arange(FIRST_BORN, max(NATIONAL_BIRTHS_10K) + 1)
    national = np.array([NATIONAL_BIRTHS_10K[y] for y in years]) / NATIONAL_BIRTHS_10K[2016]
    # units follow the national curve up to its 2016 peak and drift apart after it
    after = np.maximum(years - 2016, 0)
    lam = size[:, None] * national[None, :] * drift[:, None] ** after[None, :]
    births = rng.poisson(lam)
    leave = np.array([LEAVE_RATE[k] for k in kind])
    seat = np.flatnonzero(kind_arr == "seat")
    towns = np.flatnonzero(kind_arr == "town")
    seat_w = size[seat] / size[seat].sum() if len(seat) else None
    town_w = size[towns] / size[towns].sum() if len(towns) else None
    residents: dict[int, dict[int, np.ndarray]] = {}
    for born in range(FIRST_BORN, now - 5):
        n = births[:, born - FIRST_BORN].copy()
        kept: dict[int, np.ndarray] = {}
        for year in range(born + 1, now + 1):
            leavers = rng.binomial(n, leave)
            n = n - leavers
            moved = int(leavers.sum())
            to_seat = int(rng.binomial(moved, TO_SEAT))
            to_towns = int(rng.binomial(moved - to_seat, TO_TOWNS / (1 - TO_SEAT)))
            if seat_w is not None:
                n[seat] += rng.multinomial(to_seat, seat_w)
            if town_w is not None:
                n[towns] += rng.multinomial(to_towns, town_w)
            if year >= first_kept:
                kept[year] = n.copy()
        residents[born] = kept
    return Cohorts(births=births, residents=residents)
