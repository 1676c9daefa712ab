"""Fictional place names for the synthetic demo county.

The demo lies on the north-China plain, on a real county's coordinates, so its names must be
plainly invented: township, street-office, community and village names are built from stems
of uncommon characters (water plants and riverbank words) that are not the stem of any real
township in the National Bureau of Statistics' 2022 division codes (checked when this list
was written; tests/data/nanle_townships.csv holds the real townships of the county the demo's
coordinates belong to, and tests/test_demo.py checks every name against it).
"""

from __future__ import annotations

import numpy as np

# Township and street-office stems: first × second character.
_TOWN_FIRST = list("澄沁苇菱棠栖蓼葭荇芷蘅汀岚霁")
_TOWN_SECOND = list("湾汀陂渚畈塬垣泽洼埠")
# Community stems (社区) and village stems (村).
_COMMUNITY_FIRST = list("翠芳棠芷蘅澄沁栖霁岚葭菱蓼苇荇汀")
_COMMUNITY_SECOND = list("园苑坊里庭轩")
_VILLAGE_FIRST = list("苇菱荇蓼葭芷蘅茭荻蒲蒿芹菖藜苕蕖")
_VILLAGE_SECOND = list("庄营屯寨集湾岗坡店窑")
_VILLAGE_PREFIX = ["", "", "", "东", "西", "南", "北", "前", "后"]
# a few village names occur twice in different townships, as in real counties
VILLAGE_TWINS = 4


def _pairs(first: list[str], second: list[str]) -> list[str]:
    return [a + b for a in first for b in second if a != b]


def township_names(rng: np.random.Generator, n: int, *, suffix: str) -> list[str]:
    """Return n distinct fictional township names ending in `suffix` (乡, 镇 or 街道)."""
    pool = _pairs(_TOWN_FIRST, _TOWN_SECOND)
    if n > len(pool):
        msg = f"only {len(pool)} fictional township names; asked for {n}"
        raise ValueError(msg)
    picks = rng.choice(len(pool), size=n, replace=False)
    return [pool[i] + suffix for i in picks]


def community_names(rng: np.random.Generator, n: int) -> list[str]:
    """Return n distinct fictional community names (…社区)."""
    pool = _pairs(_COMMUNITY_FIRST, _COMMUNITY_SECOND)
    out = [pool[i] + "社区" for i in rng.permutation(len(pool))[:n]]
    out += [f"第{i + 1}社区" for i in range(len(out), n)]
    return out


def village_names(rng: np.random.Generator, n: int, townships: list[str]) -> list[str]:
    """Return fictional village names (…村) for villages in the given townships.

    Names are distinct within a township; VILLAGE_TWINS names are given twice, to villages of
    two different townships (a published list names such a village with its township).
    """
    pool = list(dict.fromkeys(p + s for p in _VILLAGE_PREFIX
                              for s in _pairs(_VILLAGE_FIRST, _VILLAGE_SECOND)))
    names = [pool[i] + "村" for i in rng.permutation(len(pool))[:n]]
    names += [f"第{i + 1}村" for i in range(len(names), n)]
    taken: set[int] = set()
    for i in rng.permutation(n):
        if len(taken) >= 2 * VILLAGE_TWINS:
            break
        others = [j for j in range(n) if j not in taken and j != i
                  and townships[j] != townships[i]]
        if i in taken or not others:
            continue
        j = others[int(rng.integers(len(others)))]
        names[j] = names[i]
        taken |= {i, j}
    return names
