"""Standards as values: thresholds, caps, radii, split weights and scope rules (SPEC §2–§4).

`NATIONAL_2017` is the national method 教督〔2017〕6号; `HENAN` adds the rule Henan's
monitoring asks of counties preparing to apply: the basic-balance combined CV (the mean CV of
the eight indicators of the 2012 basic-balance method) within 0.60 primary / 0.50 junior. A
province's own profile is a TOML file naming a base profile and the values it changes::

    name = "my_province"
    base = "national_2017"
    teaching_point_min_students = 30
    [primary]
    basic_balance_cv_limit = 0.60
    service_radius_rural_m = 2000

Never module-level mutable settings: under Streamlit every session shares a module's globals.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from planner.errors import StandardsError
from planner.schema import is_junior, section_grades

# The seven resource indicators of §2.1, in order R1..R7.
RESOURCE_KEYS = (
    "above_degree_teachers_per100",
    "backbone_teachers_per100",
    "pe_art_teachers_per100",
    "teaching_aux_area_per_student",
    "sports_area_per_student",
    "equipment_value_per_student",
    "multimedia_rooms_per100",
)
RESOURCE_IDS = tuple(f"R{i}" for i in range(1, 8))
# The school column each indicator divides by students, and the factor (per 100 students or 1).
RESOURCE_COLUMNS = {
    "above_degree_teachers_per100": ("teachers_above_degree", 100.0),
    "backbone_teachers_per100": ("teachers_backbone", 100.0),
    "pe_art_teachers_per100": ("teachers_pe_art", 100.0),
    "teaching_aux_area_per_student": ("teaching_aux_area_m2", 1.0),
    "sports_area_per_student": ("sports_area_m2", 1.0),
    "equipment_value_per_student": ("equipment_value_yuan", 1.0),
    "multimedia_rooms_per100": ("multimedia_rooms", 100.0),
}
TEACHER_KEYS = RESOURCE_KEYS[:3]
FACILITY_KEYS = RESOURCE_KEYS[3:]
# The eight indicators of the 2012 basic-balance method (教督〔2012〕3号), whose mean CV some
# provinces monitor: (key, school column, factor, teacher-like). Columns the schools layer may
# lack (computers, books, teachers with intermediate or higher titles) make it `missing`.
BASIC_BALANCE = (
    ("teaching_aux_area_per_student", "teaching_aux_area_m2", 1.0, False),
    ("sports_area_per_student", "sports_area_m2", 1.0, False),
    ("equipment_value_per_student", "equipment_value_yuan", 1.0, False),
    ("computers_per100", "computers", 100.0, False),
    ("books_per_student", "books", 1.0, False),
    ("teachers_per100", "teachers_total", 100.0, True),
    ("above_degree_teachers_per100", "teachers_above_degree", 100.0, True),
    ("intermediate_title_teachers_per100", "teachers_intermediate_title", 100.0, True),
)


@dataclass(frozen=True)
class SectionStandards:
    """Thresholds of one section (primary or junior).

    Attributes
    ----------
    above_degree_teachers_per100 … multimedia_rooms_per100
        The seven resource thresholds of §2.1 (per 100 students or per student).
    cv_limit
        The largest allowed inter-school coefficient of variation of each indicator.
    class_size_cap
        The largest allowed class (G5).
    school_size_cap
        The largest allowed school of this section alone (G4): a primary school (and a
        teaching point) against the primary cap, a junior or complete middle school against
        the junior cap.
    basic_balance_cv_limit
        The largest allowed mean CV of the eight basic-balance indicators (a provincial
        monitoring rule, e.g. Henan's 0.60 / 0.50), or None where the profile sets none.
    pupils_per_teacher
        The staffing norm (编制标准): pupils per teaching staff member (national unified
        norm 19 primary, 13.5 junior); a school section's places are at most its teachers
        times this.
    zoned_share_min
        The smallest allowed share of zoned students in urban and town schools (G13).
    service_radius_urban_m, service_radius_town_m, service_radius_rural_m
        Walking distance by road within which a school serves its students (G1), metres.
    """

    above_degree_teachers_per100: float
    backbone_teachers_per100: float
    pe_art_teachers_per100: float
    teaching_aux_area_per_student: float
    sports_area_per_student: float
    equipment_value_per_student: float
    multimedia_rooms_per100: float
    cv_limit: float
    class_size_cap: int
    zoned_share_min: float
    service_radius_urban_m: float
    service_radius_town_m: float
    service_radius_rural_m: float
    school_size_cap: int = 2000
    basic_balance_cv_limit: float | None = None
    pupils_per_teacher: float = 19.0

    def threshold(self, key: str) -> float:
        """Return the threshold of a resource indicator by its key."""
        if key not in RESOURCE_KEYS:
            msg = f"unknown resource indicator {key!r}"
            raise StandardsError(msg)
        return float(getattr(self, key))

    def radius_m(self, area_type: str) -> float:
        """Return the service radius for an area type (urban, town, rural), metres."""
        return float(getattr(self, f"service_radius_{area_type}_m"))


@dataclass(frozen=True)
class Standards:
    """A standards profile: both sections' thresholds and the rules around them.

    Attributes
    ----------
    name
        The profile's name, as stored in a workspace's meta table.
    primary, junior
        Section thresholds.
    mixed_school_cap
        The largest compulsory part of a nine- or twelve-year school (G4).
    min_indicators_met
        How many of the seven resource indicators a school section must meet.
    floor_share
        The share of its threshold each missed indicator must still reach.
    teaching_point_min_students
        Teaching points with fewer students are out of the resource evaluation.
    include_private
        Whether private (non-public) schools count in the resource evaluation and the CVs;
        when false they are left out and every output says so.
    junior_from_grade
        The first junior grade (7 in the 6+3 system).
    junior_weight, senior_weight_twelve_year, senior_weight_complete_middle
        Student weights that split a mixed school's resources: primary 1, junior 1.1,
        senior 1.32 (twelve-year, A : 1.1B : 1.32C) or 1.2 (complete middle school, B : 1.2C).
    classes_per_art_room, music_room_min_m2, art_room_min_m2
        G3: one music and one art room per 12 classes, each at least 96 / 90 m².
    small_school_funded_as
        G6: village schools and teaching points under this many students are funded as this many.
    zoned_entry_grades_only
        G13: count only the entry grades (1 and 7) in the denominator instead of all students.
    cost_teacher_year, cost_teaching_area_m2, cost_sports_area_m2, cost_equipment_yuan,
    cost_multimedia_room, cost_exchange_teacher_year
        Unit costs the roadmap prices additions with, yuan: a teacher for a year, a m² of
        teaching and auxiliary floor built, a m² of sports ground, a yuan of equipment value,
        a networked multimedia room fitted, a year's allowance of an exchanged teacher. This
        tool's defaults (a county's own figures belong in its profile).
    classroom_build_m2
        G5: the floor an ordinary classroom built for the plan of record adds, with its share
        of corridors and stairs (this tool's default 85 m², priced at cost_teaching_area_m2
        and counted in R4's teaching and auxiliary floor).
    exchange_share
        G11: the share of eligible teachers the county exchanges each year (at least 10 %);
        the roadmap moves at most this many backbone teachers.
    cost_designate_backbone, backbone_designations_per_year
        The plan of record (planner/record.py) meets R2 first by designating county-level
        backbone teachers among a school's own teachers: a training cost per teacher (yuan,
        once) and at most this many designations a year in the county (this tool's defaults:
        10 000 yuan, 100 a year).
    cost_certify_teacher
        G12: training and examining an uncertified teacher for the certificate (yuan, once;
        this tool's default 5 000).
    lead_build_years, lead_fit_years, lead_certify_years
        Years from the plan's first year before an action can take effect: building (floor
        area, sports ground, music and art rooms: 2), fitting multimedia rooms (1), certifying
        teachers (1); hiring, designating, exchanging teachers and buying equipment take
        effect in the plan's first year (this tool's defaults).
    temporary_max_years
        A teacher need that comes and goes within the plan's years is met by exchange
        (交流轮岗) when it lasts at most this many years, else by a permanent post (this tool's
        default 3, the usual term of an exchange).
    entry_age, entry_cutoff_share
        Projection (planner/projection.py): entrants of school year y were born in
        y − entry_age, and `entry_cutoff_share` of them in the year before (a September
        cut-off: born September y − 7 to August y − 6 gives 1/3).
    entry_cutoff_fit
        Fit the cut-off share to the history instead: the share (in twelfths, months born
        before January) under which the entrants of the history's years follow their births
        most closely, when the history gives three or more entry years.
    entry_ratio_prior_births, township_prior_births
        How many births a unit's own entry ratio (grade 1 ÷ births) is worth against its
        township's, and a township's against the county's: small units are shrunk toward
        their township's ratio, small townships toward the county's.
    history_weights
        Weights of the history's years in the entry, progression and migration ratios, the
        most recent first; years beyond the list are not used ((1.0,) takes the last year
        alone).
    migration_rural, migration_town
        Net yearly share of children leaving villages (rural units) and towns for the county
        seat and towns (received in proportion to their children); None measures it from
        the enrolment history, or takes 0 without one.
    births_change_low, births_change_central, births_change_high
        Yearly relative change of births after the last year the births table gives: the
        low, central and high variants (this tool's defaults).
    development_children_per100
        Children of each grade per 100 dwellings of a new housing development, where the
        developments table gives none (this tool's default).
    development_occupancy
        Share of a development's dwellings occupied in its first, second, … year (the last
        share holds after; this tool's default).
    development_local_share
        Share of a development's children whose families move from inside the county: taken
        from the villages' migration to the towns, not added to the county (this tool's
        default).
    zone_public_only, keep_nine_year_pathway, zoning_max_increase, township_crossing
        The rules of admission a re-zoning keeps (planner/admission.py): only public schools
        receive catchments; a unit zoned to a nine- or twelve-year school for primary is
        zoned to it for junior; a unit's road to its zoned school grows to at most the larger
        of the section's service radius and today's × (1 + zoning_max_increase) (this tool's
        default 0.5); no unit newly zoned across a township line unless township_crossing.
    siblings_stay, sibling_share
        多孩同校: when a unit is re-zoned for its entrants, an entrant with an older sibling
        still at the school the unit leaves stays there with them (`siblings_stay`, true by
        default, as the catchment notice's siblings clause promises); `sibling_share` is the
        share of entrants who have one (this tool's default 0.2; set it from the
        registration records). A school that stops admitting (a closure's 停招) or caps its
        entrants (限额招生) keeps no sibling.
    bus_speed_kmh, max_ride_min
        Consolidation (planner/optimize/consolidate.py): pupils of grades 1–3 stay within
        walking distance (the section's service radius) or a bus ride of at most
        `max_ride_min` minutes, the road distance at `bus_speed_kmh` (this tool's defaults:
        30 km/h, 30 minutes).
    very_small_pupils
        A school section under this many pupils is flagged in the years table as a candidate
        to consolidate (this tool's default).
    entered
        Thresholds of the entered county rows: id → (comparison, value); see checklist.py.
    """

    name: str
    primary: SectionStandards
    junior: SectionStandards
    mixed_school_cap: int = 2500
    min_indicators_met: int = 6
    floor_share: float = 0.85
    teaching_point_min_students: int = 50
    include_private: bool = True
    junior_from_grade: int = 7
    junior_weight: float = 1.1
    senior_weight_twelve_year: float = 1.32
    senior_weight_complete_middle: float = 1.2
    classes_per_art_room: int = 12
    music_room_min_m2: float = 96.0
    art_room_min_m2: float = 90.0
    small_school_funded_as: int = 100
    zoned_entry_grades_only: bool = False
    cost_teacher_year: float = 100_000.0
    cost_teaching_area_m2: float = 3_000.0
    cost_sports_area_m2: float = 400.0
    cost_equipment_yuan: float = 1.0
    cost_multimedia_room: float = 60_000.0
    classroom_build_m2: float = 85.0
    cost_exchange_teacher_year: float = 20_000.0
    exchange_share: float = 0.10
    cost_designate_backbone: float = 10_000.0
    backbone_designations_per_year: int = 100
    cost_certify_teacher: float = 5_000.0
    lead_build_years: int = 2
    lead_fit_years: int = 1
    lead_certify_years: int = 1
    temporary_max_years: int = 3
    entry_age: int = 6
    entry_cutoff_share: float = 1 / 3
    entry_cutoff_fit: bool = True
    entry_ratio_prior_births: float = 20.0
    township_prior_births: float = 200.0
    history_weights: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0)
    migration_rural: float | None = None
    migration_town: float | None = None
    births_change_low: float = -0.06
    births_change_central: float = -0.02
    births_change_high: float = 0.02
    development_children_per100: float = 3.5
    development_occupancy: tuple[float, ...] = (0.4, 0.7, 0.9, 1.0)
    development_local_share: float = 0.5
    zone_public_only: bool = True
    keep_nine_year_pathway: bool = True
    zoning_max_increase: float = 0.5
    township_crossing: bool = False
    siblings_stay: bool = True
    sibling_share: float = 0.2
    bus_speed_kmh: float = 30.0
    max_ride_min: float = 30.0
    very_small_pupils: int = 20
    entered: tuple[tuple[str, str, float], ...] = (
        ("G2", ">=", 1.0),
        ("G6", ">=", 1.0),
        ("G7", ">=", 6000.0),
        ("G8", ">=", 1.0),
        ("G9", ">=", 1.0),
        ("G10", ">=", 1.0),
        ("G11", ">=", 0.10),
        ("G11.backbone_share", ">=", 0.20),
        ("G14", ">=", 0.50),
        ("G15", ">=", 0.85),
        ("Q1", ">=", 0.95),
        ("Q2", ">=", 0.95),
        ("Q3", ">=", 1.0),
        ("Q4", ">=", 0.05),
        ("Q5", ">=", 1.0),
        ("Q6", ">=", 1.0),
        ("Q7", ">=", 1.0),
        ("Q8", ">=", 1.0),
        ("Q9", "<", 0.15),
        ("Q9.level", ">=", 3.0),
        ("S1", ">=", 0.85),
    )

    def section(self, name: str) -> SectionStandards:
        """Return the thresholds of "primary" or "junior"."""
        if name not in ("primary", "junior"):
            msg = f"unknown section {name!r}; expected primary or junior"
            raise StandardsError(msg)
        return self.primary if name == "primary" else self.junior

    def is_junior(self, grade):
        """Return whether grades (a number or an array) are junior (see schema.is_junior)."""
        return is_junior(grade, self.junior_from_grade)

    def grades(self, section: str) -> range:
        """Return the grades of "primary" or "junior" under this profile."""
        self.section(section)
        return section_grades(section, self.junior_from_grade)

    def size_caps(self, kinds) -> np.ndarray:
        """Return each school's G4 size cap for its compulsory students, by kind.

        Primary schools and teaching points against the primary cap, junior and complete
        middle schools against the junior cap, nine- and twelve-year schools against the
        mixed-school cap; special schools have none (infinite).
        """
        kinds = np.asarray(kinds, dtype=object)
        return np.select(
            [np.isin(kinds, ["nine_year", "twelve_year"]),
             np.isin(kinds, ["junior", "complete_middle"]), kinds == "special"],
            [float(self.mixed_school_cap), float(self.junior.school_size_cap), np.inf],
            default=float(self.primary.school_size_cap))

    def entered_rule(self, key: str) -> tuple[str, float]:
        """Return (comparison, threshold) of an entered county row such as "G8"."""
        for k, op, value in self.entered:
            if k == key:
                return op, value
        msg = f"the profile {self.name!r} has no threshold for {key!r}"
        raise StandardsError(msg)


NATIONAL_2017 = Standards(
    name="national_2017",
    primary=SectionStandards(
        above_degree_teachers_per100=4.2,
        backbone_teachers_per100=1.0,
        pe_art_teachers_per100=0.9,
        teaching_aux_area_per_student=4.5,
        sports_area_per_student=7.5,
        equipment_value_per_student=2000.0,
        multimedia_rooms_per100=2.3,
        cv_limit=0.50,
        class_size_cap=45,
        zoned_share_min=1.0,
        service_radius_urban_m=500.0,
        service_radius_town_m=1000.0,
        service_radius_rural_m=2500.0,
    ),
    junior=SectionStandards(
        above_degree_teachers_per100=5.3,
        backbone_teachers_per100=1.0,
        pe_art_teachers_per100=0.9,
        teaching_aux_area_per_student=5.8,
        sports_area_per_student=10.2,
        equipment_value_per_student=2500.0,
        multimedia_rooms_per100=2.4,
        cv_limit=0.45,
        class_size_cap=50,
        pupils_per_teacher=13.5,
        zoned_share_min=0.95,
        service_radius_urban_m=1000.0,
        service_radius_town_m=2000.0,
        service_radius_rural_m=5000.0,
    ),
)

HENAN = replace(
    NATIONAL_2017,
    name="henan",
    primary=replace(NATIONAL_2017.primary, basic_balance_cv_limit=0.60),
    junior=replace(NATIONAL_2017.junior, basic_balance_cv_limit=0.50),
)

PROFILES = {p.name: p for p in (NATIONAL_2017, HENAN)}
# Radii no national text fixes for towns and villages (SPEC §4): outputs say they are defaults.
DEFAULT_RADIUS_NOTE = ("town and rural service radii are this tool's defaults, not national "
                       "figures; a province's profile replaces them")


def get_profile(name: str) -> Standards:
    """Return a built-in profile by name ("national_2017", "henan")."""
    if name not in PROFILES:
        msg = f"unknown standards profile {name!r}; built in: {', '.join(PROFILES)}"
        raise StandardsError(msg)
    return PROFILES[name]


def load_profile(path: str | Path) -> Standards:
    """Load a province's profile from TOML: a base profile and the values it changes.

    Raises
    ------
    StandardsError
        The file is not TOML, names an unknown base, or sets an unknown key or a wrong type.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{path.name}: cannot read the standards profile ({exc})"
        raise StandardsError(msg) from exc
    return load_profile_text(text, name=path.stem, source=path.name)


def load_profile_text(text: str, *, name: str, source: str) -> Standards:
    """Load a profile from TOML text (a file's, or the copy a workspace stores).

    Raises
    ------
    StandardsError
        As :func:`load_profile`; messages name `source`.
    """
    path = Path(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path.name}: cannot read the standards profile ({exc})"
        raise StandardsError(msg) from exc
    base_name = data.pop("base", "national_2017")
    if not isinstance(base_name, str):
        msg = f"{path.name}: base must be a profile name, got {base_name!r}"
        raise StandardsError(msg)
    base = get_profile(base_name)
    top = {f.name: f for f in fields(Standards)}
    sec_fields = {f.name: f for f in fields(SectionStandards)}
    changes: dict[str, object] = {}
    for key, value in data.items():
        if key in ("primary", "junior"):
            if not isinstance(value, dict):
                msg = f"{path.name}: [{key}] must be a table of section thresholds"
                raise StandardsError(msg)
            sec = {}
            for k, v in value.items():
                if k == "combined_cv_limit":
                    msg = (f"{path.name}: [{key}] combined_cv_limit is now basic_balance_cv_limit "
                           "(the mean CV of the eight basic-balance indicators, not of R1–R7)")
                    raise StandardsError(msg)
                if k not in sec_fields:
                    msg = f"{path.name}: [{key}] has an unknown setting {k!r}"
                    raise StandardsError(msg)
                current = getattr(base.section(key), k)
                number = _number(path, f"{key}.{k}", v)
                sec[k] = _whole(path, f"{key}.{k}", number) if isinstance(current, int) \
                    else number
            changes[key] = replace(base.section(key), **sec)
        elif key in top and key not in ("entered",):
            changes[key] = _setting(path, key, value, type(getattr(base, key)))
        else:
            msg = f"{path.name}: unknown setting {key!r}"
            raise StandardsError(msg)
    changes.setdefault("name", name)
    out = replace(base, **changes)
    _check_shares(path, out)
    if not 2 <= out.junior_from_grade <= 9:
        msg = (f"{path.name}: junior_from_grade must be a grade from 2 to 9, got "
               f"{out.junior_from_grade}")
        raise StandardsError(msg)
    return out


def resolve(spec: str | None, *, stored: str = "national_2017", stored_toml: str = ""
            ) -> Standards:
    """Return the profile a command asks for: `spec`, else the one a workspace stores.

    Parameters
    ----------
    spec
        A built-in name ("national_2017", "henan"), a path to a .toml profile, or None.
    stored, stored_toml
        The profile a workspace names, and the TOML text it keeps for a custom profile.
    """
    if spec is not None:
        return load_profile(spec) if spec.lower().endswith(".toml") else get_profile(spec)
    if stored_toml:
        return load_profile_text(stored_toml, name=stored, source=f"workspace profile {stored}")
    return get_profile(stored)


def profile_of(meta) -> Standards:
    """Return the profile a workspace's meta table names (built in, or stored as TOML)."""
    return resolve(None, stored=meta.standards_profile,
                   stored_toml=getattr(meta, "profile_toml", "") or "")


def _number(path: Path, key: str, value: object, *, signed: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and (signed or value >= 0)):
        msg = f"{path.name}: {key} must be a number{'' if signed else ' ≥ 0'}, got {value!r}"
        raise StandardsError(msg)
    return float(value)


def _setting(path: Path, key: str, value: object, expected: type) -> object:
    """A top-level setting's value, checked against the type of its default."""
    if expected is str:
        return str(value)
    if expected is tuple:
        return _numbers(path, key, value)
    if expected is bool:
        if not isinstance(value, bool):
            msg = f"{path.name}: {key} must be true or false, got {value!r}"
            raise StandardsError(msg)
        return value
    number = _number(path, key, value, signed=key.startswith("births_change"))
    return _whole(path, key, number) if expected is int else number


def _check_shares(path: Path, std: Standards) -> None:
    shares = {"entry_cutoff_share": (std.entry_cutoff_share,),
              "development_local_share": (std.development_local_share,),
              "sibling_share": (std.sibling_share,),
              "development_occupancy": std.development_occupancy}
    for key, values in shares.items():
        if any(v > 1 for v in values):
            msg = f"{path.name}: {key} must be shares from 0 to 1, got {list(values)}"
            raise StandardsError(msg)


def _numbers(path: Path, key: str, value: object) -> tuple[float, ...]:
    if not isinstance(value, list) or not value:
        msg = f"{path.name}: {key} must be a list of numbers ≥ 0, got {value!r}"
        raise StandardsError(msg)
    out = tuple(_number(path, f"{key}[{k}]", v) for k, v in enumerate(value))
    if not any(out):
        msg = f"{path.name}: {key} must have a number > 0, got {value!r}"
        raise StandardsError(msg)
    return out


def _whole(path: Path, key: str, value: float) -> int:
    if not float(value).is_integer():
        msg = f"{path.name}: {key} must be a whole number, got {value:g}"
        raise StandardsError(msg)
    return int(value)
