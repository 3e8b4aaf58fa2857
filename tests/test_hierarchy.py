"""The Home Office offence hierarchy, category ordering, markers and user-defined groups."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commsafe import hierarchy
from commsafe.errors import FileFormatError, InputError
from commsafe.hierarchy import (
    HIERARCHY,
    MARKERS,
    CategoryRow,
    OffenceGroup,
    children,
    descendants,
    expand_group,
    find_group,
    find_marker,
    group_for_offence_code,
    load_groups,
    order_categories,
    police_uk_groups,
    police_uk_order,
)
from commsafe.taxonomy import ASB, CRIME_TYPES, standard_name

POLICE_UK_TABLE_ORDER = (
    "Violence and sexual offences",
    "Robbery",
    "Burglary",
    "Vehicle crime",
    "Theft from the person",
    "Bicycle theft",
    "Shoplifting",
    "Other theft",
    "Criminal damage and arson",
    "Drugs",
    "Possession of weapons",
    "Public order",
    "Other crime",
)

# The rows of the performance table in MISSION.md, in its order.
MISSION_ROWS = (
    "All violence against the person",
    "Homicides",
    "Death or serious injury – unlawful driving",
    "Violence with injury",
    "Violence without injury",
    "Stalking and harassment",
)

UNLAWFUL_DRIVING_CODES = {"4.4", "4.6", "4.8", "4.9", "37.1"}


def _key(group: OffenceGroup | None) -> str | None:
    return None if group is None else group.key


def _group(name: str) -> OffenceGroup:
    group = find_group(name)
    assert group is not None, name
    return group


# --------------------------------------------------------------------------- structure


def test_hierarchy_is_depth_first_with_consistent_parents_and_levels() -> None:
    assert HIERARCHY[0].key == "all_crime"
    assert HIERARCHY[0].parent is None and HIERARCHY[0].level == 0
    keys = [group.key for group in HIERARCHY]
    assert len(keys) == len(set(keys))
    position = {key: i for i, key in enumerate(keys)}
    by_key = {group.key: group for group in HIERARCHY}
    for group in HIERARCHY[1:]:
        assert group.parent in by_key, group
        assert position[group.parent] < position[group.key], group
        assert group.level == by_key[group.parent].level + 1, group
    # depth-first: the groups between a group and its next sibling are all its descendants
    for group in HIERARCHY:
        below = descendants(group.key)
        start = position[group.key] + 1
        assert tuple(HIERARCHY[start : start + len(below)]) == below
        for sub in below:
            ancestor: OffenceGroup | None = sub
            while ancestor is not None and ancestor.key != group.key:
                ancestor = by_key.get(ancestor.parent or "")
            assert ancestor is not None, (group.key, sub.key)


def test_level_one_groups_are_the_home_office_groups_in_table_order() -> None:
    assert [group.name for group in children("all_crime")] == [
        "Violence against the person",
        "Sexual offences",
        "Robbery",
        "Theft offences",
        "Criminal damage and arson",
        "Drug offences",
        "Possession of weapons offences",
        "Public order offences",
        "Miscellaneous crimes against society",
    ]
    assert [group.key for group in children("violence_against_the_person")] == [
        "homicide",
        "death_or_serious_injury_unlawful_driving",
        "violence_with_injury",
        "violence_without_injury",
        "stalking_and_harassment",
    ]
    assert [group.name for group in children("Theft offences")] == [
        "Burglary",
        "Vehicle offences",
        "Theft from the person",
        "Bicycle theft",
        "Shoplifting",
        "All other theft offences",
    ]
    assert [group.name for group in children("burglary")] == [
        "Residential burglary",
        "Business and community burglary",
    ]
    assert children("homicide") == ()


def test_children_and_descendants_reject_unknown_groups() -> None:
    with pytest.raises(KeyError, match="Fraud"):
        children("Fraud")
    with pytest.raises(KeyError):
        descendants("anti_social_behaviour")


def test_descendants_of_theft_offences() -> None:
    keys = [group.key for group in descendants("theft_offences")]
    assert keys[:3] == ["burglary", "residential_burglary", "business_and_community_burglary"]
    assert keys[-1] == "all_other_theft_offences"
    assert "robbery" not in keys
    assert len(descendants("all_crime")) == len(HIERARCHY) - 1


def test_only_leaf_groups_carry_offence_codes() -> None:
    for group in HIERARCHY:
        if children(group.key):
            assert group.ho_codes == (), group.key
        else:
            assert group.ho_codes, f"{group.key} is a leaf without offence codes"


# --------------------------------------------------------------------------- police.uk


def test_every_police_uk_crime_type_maps_from_a_group() -> None:
    mapped = {group.police_uk for group in HIERARCHY if group.police_uk is not None}
    assert mapped == set(CRIME_TYPES)
    for crime_type in CRIME_TYPES:
        assert police_uk_groups(crime_type), crime_type


def test_groups_spanning_several_police_uk_types_leave_it_empty() -> None:
    assert _group("All crime").police_uk is None
    assert _group("Theft offences").police_uk is None
    # a group with a police.uk type passes it on to all of its subgroups
    for group in HIERARCHY:
        if group.police_uk is not None:
            assert all(sub.police_uk == group.police_uk for sub in descendants(group.key))


def test_anti_social_behaviour_is_in_no_group() -> None:
    assert all(group.police_uk != ASB for group in HIERARCHY)
    assert find_group(ASB) is None
    assert find_group("anti-social behaviour") is None
    assert police_uk_groups(ASB) == ()
    assert ASB not in police_uk_order()
    (row,) = order_categories([ASB])
    assert row == CategoryRow(ASB, None, 0, False)


def test_police_uk_order_is_the_performance_table_order() -> None:
    assert police_uk_order() == POLICE_UK_TABLE_ORDER
    assert sorted(police_uk_order()) == sorted(CRIME_TYPES)


def test_expected_police_uk_types_of_groups() -> None:
    expected = {
        "violence_against_the_person": "Violence and sexual offences",
        "sexual_offences": "Violence and sexual offences",
        "robbery": "Robbery",
        "burglary": "Burglary",
        "vehicle_offences": "Vehicle crime",
        "theft_from_the_person": "Theft from the person",
        "bicycle_theft": "Bicycle theft",
        "shoplifting": "Shoplifting",
        "all_other_theft_offences": "Other theft",
        "criminal_damage_and_arson": "Criminal damage and arson",
        "drug_offences": "Drugs",
        "possession_of_weapons_offences": "Possession of weapons",
        "public_order_offences": "Public order",
        "miscellaneous_crimes_against_society": "Other crime",
    }
    for key, crime_type in expected.items():
        assert _group(key).police_uk == crime_type, key


def test_police_uk_groups_of_violence_and_legacy_names() -> None:
    assert [g.key for g in police_uk_groups("Violence and sexual offences")] == [
        "violence_against_the_person",
        "sexual_offences",
    ]
    assert police_uk_groups("Violent crime") == police_uk_groups("Violence and sexual offences")
    assert [g.key for g in police_uk_groups("Public disorder and weapons")] == [
        "possession_of_weapons_offences",
        "public_order_offences",
    ]
    assert police_uk_groups("Fraud") == ()


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("All violence against the person", "violence_against_the_person"),
        ("Violence against the person", "violence_against_the_person"),
        ("Homicides", "homicide"),
        ("Homicide", "homicide"),
        ("Death or serious injury – unlawful driving", "death_or_serious_injury_unlawful_driving"),
        ("Death or serious injury - unlawful driving", "death_or_serious_injury_unlawful_driving"),
        ("Death or serious injury — unlawful driving", "death_or_serious_injury_unlawful_driving"),
        ("death or serious injury-unlawful driving", "death_or_serious_injury_unlawful_driving"),
        ("Violence with injury", "violence_with_injury"),
        ("Violence without injury", "violence_without_injury"),
        ("Stalking and harassment", "stalking_and_harassment"),
        ("Stalking & Harassment", "stalking_and_harassment"),
        ("Total recorded crime", "all_crime"),
        ("All crime", "all_crime"),
        ("Domestic burglary", "residential_burglary"),
        ("Residential burglary", "residential_burglary"),
        ("Dwelling burglary", "residential_burglary"),
        ("Non-domestic burglary", "business_and_community_burglary"),
        ("Business and community burglary", "business_and_community_burglary"),
        ("Theft of and from vehicles", "vehicle_offences"),
        ("Vehicle offences", "vehicle_offences"),
        ("Vehicle crime", "vehicle_offences"),
        ("Drugs", "drug_offences"),
        ("Other crime", "miscellaneous_crimes_against_society"),
        ("Other theft", "all_other_theft_offences"),
        ("  criminal   DAMAGE and arson ", "criminal_damage_and_arson"),
        ("Rape offences", "rape"),
        ("robbery_of_personal_property", "robbery_of_personal_property"),
    ],
)
def test_find_group_by_published_names(name: str, key: str) -> None:
    assert _key(find_group(name)) == key


@pytest.mark.parametrize(
    "name", ["Violence and sexual offences", ASB, "Fraud", "Modern slavery", "", "Theft"]
)
def test_find_group_returns_none_for_names_that_are_not_one_group(name: str) -> None:
    assert find_group(name) is None


@given(
    index=st.integers(min_value=0, max_value=len(HIERARCHY) - 1),
    upper=st.lists(st.booleans(), min_size=80, max_size=80),
    pad=st.sampled_from(["", " ", "  ", "\t"]),
)
def test_find_group_ignores_case_and_padding(index: int, upper: list[bool], pad: str) -> None:
    group = HIERARCHY[index]
    name = "".join(c.upper() if u else c.lower() for c, u in zip(group.name, upper, strict=False))
    name += group.name[len(upper) :]
    assert find_group(f"{pad}{name}{pad}") == group


def test_mission_rows_are_found_and_ordered_as_published() -> None:
    shuffled = [MISSION_ROWS[i] for i in (5, 2, 0, 4, 1, 3)]
    rows = order_categories(shuffled)
    assert [row.name for row in rows] == list(MISSION_ROWS)
    assert [row.level for row in rows] == [1, 2, 2, 2, 2, 2]
    assert all(row.in_hierarchy for row in rows)
    assert rows[0].group is not None and rows[0].group.key == "violence_against_the_person"
    assert all(row.group is not None and row.group.parent == rows[0].group.key for row in rows[1:])


def test_hyphen_and_en_dash_forms_order_alike() -> None:
    hyphen = [name.replace("–", "-") for name in MISSION_ROWS]
    rows = order_categories(reversed(hyphen))
    assert [row.name for row in rows] == hyphen
    assert rows[2].group is not None
    assert rows[2].group.key == "death_or_serious_injury_unlawful_driving"


def test_unknown_names_are_kept_after_known_ones_and_flagged() -> None:
    names = ["Zebra crossings", "Homicides", "Fraud", "Total recorded crime", "Zebra crossings"]
    rows = order_categories(names)
    assert [row.name for row in rows] == [
        "Total recorded crime",
        "Homicides",
        "Zebra crossings",
        "Fraud",
        "Zebra crossings",
    ]
    assert [row.in_hierarchy for row in rows] == [True, True, False, False, False]
    assert all(row.group is None and row.level == 0 for row in rows[2:])


def test_police_uk_types_take_their_groups_position() -> None:
    names = [*reversed(POLICE_UK_TABLE_ORDER), ASB, "Residential burglary", "Robbery"]
    rows = order_categories(names)
    assert [row.name for row in rows] == [
        "Violence and sexual offences",
        "Robbery",
        "Robbery",
        "Burglary",
        "Residential burglary",
        *POLICE_UK_TABLE_ORDER[3:],
        ASB,
    ]
    assert rows[0].group is None and rows[0].level == 1 and rows[0].in_hierarchy
    assert rows[-1].in_hierarchy is False


def test_violence_and_sexual_offences_comes_before_its_parts() -> None:
    rows = order_categories(["Rape", "Sexual offences", "Homicide", "Violent crime", "All crime"])
    assert [row.name for row in rows] == [
        "All crime",
        "Violent crime",
        "Homicide",
        "Sexual offences",
        "Rape",
    ]


def test_markers_sit_alongside_the_hierarchy() -> None:
    assert MARKERS == (
        "Domestic abuse",
        "Hate crime",
        "Child sexual exploitation",
        "Cyber crime",
        "Modern slavery",
    )
    for marker in MARKERS:
        assert find_marker(marker) == marker
        assert find_marker(marker.upper()) == marker
        assert find_group(marker) is None
    assert find_marker("Hate crimes") == "Hate crime"
    assert find_marker("Cyber-crime") == "Cyber crime"
    assert find_marker("domestic  abuse – related") == "Domestic abuse"
    assert find_marker("Burglary") is None
    rows = order_categories(["Modern slavery", "Unknown thing", "Domestic abuse", "Robbery"])
    assert [row.name for row in rows] == [
        "Robbery",
        "Domestic abuse",
        "Modern slavery",
        "Unknown thing",
    ]
    assert rows[1].marker == "Domestic abuse" and rows[1].in_hierarchy is False
    assert rows[3].marker is None


# --------------------------------------------------------------------------- offence codes


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("1", "homicide"),
        ("4/1", "homicide"),
        ("4.10", "homicide"),
        ("4/10", "homicide"),
        ("4.1", "homicide"),
        ("8n", "violence_with_injury"),
        (" 105A ", "violence_without_injury"),
        ("4.4", "death_or_serious_injury_unlawful_driving"),
        ("37.1", "death_or_serious_injury_unlawful_driving"),
        ("37.2", "theft_of_a_motor_vehicle"),
        ("28E", "residential_burglary"),
        ("30C", "business_and_community_burglary"),
        ("46", "shoplifting"),
        ("92A", "trafficking_of_drugs"),
        ("802", "miscellaneous_crimes_against_society"),
        (44, "bicycle_theft"),
        # police systems pad codes with zeros
        ("008N", "violence_with_injury"),
        ("046", "shoplifting"),
        ("004/1", "homicide"),
        ("028A", "residential_burglary"),
    ],
)
def test_group_for_offence_code(code: str | int, key: str) -> None:
    assert _key(group_for_offence_code(code)) == key


@pytest.mark.parametrize("code", ["AF", "CIFAS", "UK Finance", "999", "", "4.11", "0", "000"])
def test_fraud_and_unknown_codes_have_no_group(code: str) -> None:
    assert group_for_offence_code(code) is None


def test_hierarchy_file_says_where_its_codes_come_from() -> None:
    text = (
        Path(hierarchy.__file__)
        .with_name("data")
        .joinpath("offence_hierarchy.csv")
        .read_text(encoding="utf-8")
    )
    head = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    assert "crime-sim-toolkit 1.5.0" in head
    assert "prc-pfa-201718_new.csv" in head


# --------------------------------------------------------------------------- crime-sim-toolkit

def _wheel_table(wheel: Path, member: str) -> Iterator[dict[str, str]]:
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(f"crime_sim_toolkit/src/{member}").decode("utf-8-sig")
    yield from csv.DictReader(io.StringIO(text))


@pytest.fixture(scope="session")
def offence_table(crime_sim_wheel: Path) -> dict[str, tuple[str, str, str]]:
    """Offence code → (group, subgroup, police.uk category) from the 2017/18 PFA table."""
    table: dict[str, tuple[str, str, str]] = {}
    for row in _wheel_table(crime_sim_wheel, "prc-pfa-201718_new.csv"):
        entry = (row["Offence_Group"], row["Offence_Subgroup"], row["Policeuk_Cat"])
        for code in row["Offence_Code"].split("/"):  # homicide is '1/4.1/4.10/4.2'
            assert table.setdefault(code.strip(), entry) == entry, code
    return table


def test_offence_codes_map_to_the_group_the_home_office_table_gives(
    offence_table: dict[str, tuple[str, str, str]],
) -> None:
    assert len(offence_table) > 100
    for code, (group_name, subgroup_name, police_uk) in offence_table.items():
        group = group_for_offence_code(code)
        if group_name == "Fraud offences":
            assert group is None, code
            assert find_group(subgroup_name) is None and find_group(group_name) is None
            continue
        assert group is not None, code
        expected = find_group(subgroup_name)
        assert expected is not None, subgroup_name
        if code in UNLAWFUL_DRIVING_CODES:
            # 2017/18 still filed these under violence with injury; from April 2018 they are
            # their own subgroup of violence against the person.
            assert expected.key == "violence_with_injury"
            assert group.key == "death_or_serious_injury_unlawful_driving"
        else:
            assert group == expected, (code, subgroup_name, group.key)
        top = find_group(group_name)
        assert top is not None, group_name
        assert group == top or group in descendants(top.key), (code, group_name)
        assert group.police_uk == standard_name(police_uk), (code, police_uk)


def test_hierarchy_codes_are_exactly_the_non_fraud_codes_of_the_table(
    offence_table: dict[str, tuple[str, str, str]],
) -> None:
    table_codes = {code for code, entry in offence_table.items() if entry[0] != "Fraud offences"}
    ours = [code for group in HIERARCHY for code in group.ho_codes]
    assert len(ours) == len(set(ours))
    assert set(ours) == table_codes


def test_crime_category_mappings_file_agrees(
    crime_sim_wheel: Path, offence_table: dict[str, tuple[str, str, str]]
) -> None:
    rows = list(_wheel_table(crime_sim_wheel, "CrimeCatMappings.csv"))
    assert rows
    for row in rows:
        for code in row["Offence_Code"].split("/"):
            entry = (row["Offence_Group"], row["Offence_Subgroup"], row["Police.uk_Cat"])
            assert offence_table[code.strip()] == entry


# --------------------------------------------------------------------------- user groups

GOOD_GROUPS = """\
# user-defined groups
[groups]
"Acquisitive crime" = ["Burglary", "Robbery", "Vehicle crime", "Theft from the person",
                       "Bicycle theft", "Shoplifting", "Other theft"]
"Personal property crime" = ["Robbery of personal property", "Theft from the person",
                             "Bicycle theft"]
"Serious acquisitive and violent crime" = ["acquisitive crime", "Violence with injury",
                                           "Drug offences"]
"Theft and public disorder" = ["Theft offences", "Public disorder and weapons"]
"All violence and sexual offending" = ["All violence against the person", "Sexual offences"]
"""


@pytest.fixture
def groups_file(tmp_path: Path) -> Path:
    path = tmp_path / "groups.toml"
    path.write_text(GOOD_GROUPS, encoding="utf-8")
    return path


def test_load_groups_resolves_members(groups_file: Path) -> None:
    groups = load_groups(groups_file)
    assert list(groups) == [
        "Acquisitive crime",
        "Personal property crime",
        "Serious acquisitive and violent crime",
        "Theft and public disorder",
        "All violence and sexual offending",
    ]
    assert groups["Acquisitive crime"][0] == "Burglary"
    assert groups["Serious acquisitive and violent crime"] == (
        "Acquisitive crime",
        "Violence with injury",
        "Drug offences",
    )
    assert groups["All violence and sexual offending"] == (
        "Violence against the person",
        "Sexual offences",
    )


def test_expand_group_gives_police_uk_types_where_possible(groups_file: Path) -> None:
    groups = load_groups(groups_file)
    assert expand_group(groups, "Acquisitive crime") == (
        "Burglary",
        "Robbery",
        "Vehicle crime",
        "Theft from the person",
        "Bicycle theft",
        "Shoplifting",
        "Other theft",
    )
    assert expand_group(groups, "Personal property crime") == (
        "Robbery of personal property",
        "Theft from the person",
        "Bicycle theft",
    )
    assert expand_group(groups, "serious acquisitive and violent crime") == (
        *expand_group(groups, "Acquisitive crime"),
        "Violence with injury",
        "Drugs",
    )
    assert expand_group(groups, "Theft and public disorder") == (
        "Burglary",
        "Vehicle crime",
        "Theft from the person",
        "Bicycle theft",
        "Shoplifting",
        "Other theft",
        "Public disorder and weapons",
    )
    assert expand_group(groups, "All violence and sexual offending") == (
        "Violence and sexual offences",
    )
    assert expand_group(groups, "All crime") == POLICE_UK_TABLE_ORDER
    with pytest.raises(InputError, match="Acquisitive crime"):
        expand_group(groups, "Nonexistent group")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "groups.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_cycle_is_an_input_error(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[groups]\n"A" = ["Burglary", "B"]\n"B" = ["C"]\n"C" = ["Robbery", "a"]\n',
    )
    with pytest.raises(InputError) as info:
        load_groups(path)
    message = str(info.value)
    assert str(path) in message
    assert "A → B → C → A" in message
    assert "Fix" in message


def test_self_reference_is_a_cycle(tmp_path: Path) -> None:
    path = _write(tmp_path, '[groups]\n"Loop" = ["Loop"]\n')
    with pytest.raises(InputError, match="Loop → Loop"):
        load_groups(path)


def test_unknown_member_names_file_group_member_and_valid_names(tmp_path: Path) -> None:
    path = _write(tmp_path, '[groups]\n"Acquisitive crime" = ["Burglary", "Car crime"]\n')
    with pytest.raises(InputError) as info:
        load_groups(path)
    message = str(info.value)
    assert str(path) in message
    assert "'Acquisitive crime'" in message
    assert "'Car crime'" in message
    assert "Vehicle crime" in message and "Residential burglary" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[other]\n"A" = ["Burglary"]\n', r"no \[groups\] table"),
        ('[groups]\n"A" = "Burglary"\n', "must be a list"),
        ('[groups]\n"A" = []\n', "is empty"),
        ('[groups]\n"Burglary" = ["Robbery"]\n', "ambiguous"),
        ('[groups]\n"Hate crime" = ["Robbery"]\n', "marker"),
        ('[groups]\n"A b" = ["Robbery"]\n"a  B" = ["Burglary"]\n', "differ only"),
    ],
)
def test_bad_groups_files(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputError, match=expected) as info:
        load_groups(path)
    assert str(path) in str(info.value)


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "[groups\n")
    with pytest.raises(FileFormatError, match="not valid TOML"):
        load_groups(path)
    with pytest.raises(InputError, match="not found"):
        load_groups(tmp_path / "missing.toml")
