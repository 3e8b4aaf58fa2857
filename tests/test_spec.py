"""The assessment spec: loading commsafe.toml, its errors, defaults, rendering and init."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from commsafe.errors import FileFormatError, InputError
from commsafe.periods import parse_period, rolling_12
from commsafe.spec import (
    Dataset,
    Indicator,
    Priority,
    ScheduleItem,
    Target,
    init_spec,
    load_spec,
    parse_target,
    render_spec,
)
from commsafe.taxonomy import CRIME_TYPES

FULL = """\
recommendations = "registers/recs.xlsx"
interventions = "registers/interventions.csv"

[partnership]
name = "Cambridge Community Safety Partnership"
area = "E07000008"

[period]
assessed = "2024/25"
compare = "2022/23"

[thresholds]
min_base = 10
min_months_compared = 9
suppression = 3

[data]
police_uk = ["police/2024", "police/2025"]
datasets = [{ data = "partners/fire.csv", mapping = "partners/fire.toml" }]
reference = ["ref/lookups"]

[outputs]
geography = "lsoa"

[[priorities]]
name = "Violence"
rationale = "Largest volume"
owner = "Police"
categories = ["Violence and sexual offences", "robbery"]

[[priorities.indicators]]
name = "Violence count"
measure = "count"
target = "below_average:5"

[[priorities.indicators]]
name = "Robbery rate"
measure = "rate"
categories = ["Robbery"]
target = "change:-5"

[[priorities]]
name = "ASB"
categories = ["Anti-social behaviour"]

[[priorities.indicators]]
name = "ASB share"
measure = "share"
target = "no_significant_increase"

[[schedule]]
quarter = "2025/26 Q1"
theme = "Violence"
date = 2025-06-12

[[schedule]]
quarter = "2025/26 Q2"
theme = "ASB"
date = "2025-09-11"
"""

MINIMAL = """\
[partnership]
name = "Test CSP"
area = "Cambridge"

[period]
assessed = "2024"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "commsafe.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> str:
    with pytest.raises(InputError) as info:
        load_spec(write(tmp_path, text))
    return str(info.value)


def test_full_spec_loads_every_field(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, FULL))
    base = tmp_path.resolve()
    assert spec.partnership_name == "Cambridge Community Safety Partnership"
    assert spec.area == "E07000008"
    assert spec.assessed == parse_period("financial_year", "2024/25")
    assert spec.compare == parse_period("financial_year", "2022/23")
    assert (spec.min_base, spec.suppression, spec.min_months_compared) == (10, 3, 9)
    assert spec.police_uk == (base / "police/2024", base / "police/2025")
    assert spec.datasets == (Dataset(base / "partners/fire.csv", base / "partners/fire.toml"),)
    assert spec.reference == (base / "ref/lookups",)
    assert spec.geography == "lsoa"
    assert spec.recommendations == base / "registers/recs.xlsx"
    assert spec.interventions == base / "registers/interventions.csv"
    violence, asb = spec.priorities
    assert violence == Priority(
        name="Violence",
        rationale="Largest volume",
        owner="Police",
        categories=("Violence and sexual offences", "Robbery"),
        indicators=(
            Indicator("Violence count", "count", ("Violence and sexual offences", "Robbery"),
                      Target("below_average", 5)),
            Indicator("Robbery rate", "rate", ("Robbery",), Target("change", -5)),
        ),
    )
    assert asb.rationale == "" and asb.owner == ""
    assert asb.indicators == (Indicator("ASB share", "share", ("Anti-social behaviour",),
                                        Target("no_significant_increase")),)
    assert spec.schedule == (
        ScheduleItem("2025/26 Q1", "Violence", dt.date(2025, 6, 12)),
        ScheduleItem("2025/26 Q2", "ASB", dt.date(2025, 9, 11)),
    )
    assert spec.path == (tmp_path / "commsafe.toml").resolve()
    # only the indicator categories were defaulted
    assert len(spec.notes) == 2
    assert all("categories not given" in n for n in spec.notes)


def test_defaults_are_announced(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, MINIMAL))
    assert spec.assessed == parse_period("calendar_year", "2024")
    assert spec.compare == parse_period("calendar_year", "2023")
    assert (spec.min_base, spec.suppression, spec.geography) == (5, 5, "ward")
    assert spec.priorities == () and spec.police_uk == () and spec.recommendations is None
    notes = " | ".join(spec.notes)
    assert "period.compare not given: comparing 2024 with 2023" in notes
    assert "thresholds.min_base not given: using the default 5" in notes
    assert "thresholds.suppression not given: using the default 5" in notes
    assert "outputs.geography not given" in notes


def test_rolling_period_and_its_default_comparison(tmp_path: Path) -> None:
    text = MINIMAL.replace('assessed = "2024"', 'rolling = "2025-03"')
    spec = load_spec(write(tmp_path, text))
    assert spec.assessed == rolling_12("2025-03")
    assert spec.compare == rolling_12("2024-03")
    assert any("previous rolling 12 months" in n for n in spec.notes)


def test_directory_path_finds_commsafe_toml(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL)
    assert load_spec(tmp_path).partnership_name == "Test CSP"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (MINIMAL + '\n[[prioritys]]\nname = "x"\n',
         "unknown key 'prioritys' in commsafe.toml: did you mean 'priorities'?"),
        (MINIMAL.replace("[period]", "[perod]"),
         "unknown key 'perod' in commsafe.toml: did you mean 'period'?"),
        (MINIMAL.replace('name = "Test CSP"', 'nme = "Test CSP"'),
         "unknown key 'nme' in commsafe.toml: did you mean 'name'?"),
        (MINIMAL + '[[priorities]]\nname = "V"\ncategories = ["Robbery"]\n'
         '[[priorities.indicators]]\nname = "i"\nmesure = "count"\ntarget = "change:-5"\n',
         "unknown key 'mesure' in commsafe.toml: did you mean 'measure'?"),
        (MINIMAL + '[thresholds]\nmin_bse = 3\n',
         "unknown key 'min_bse' in commsafe.toml: did you mean 'min_base'?"),
    ],
)
def test_unknown_key_names_the_close_match(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_for(tmp_path, text)


def test_unknown_key_without_close_match_lists_valid_keys(tmp_path: Path) -> None:
    message = error_for(tmp_path, MINIMAL + "[outputs]\nzzz = 1\n")
    assert "unknown key 'zzz' in commsafe.toml" in message
    assert "did you mean" not in message
    assert "geography" in message


def test_unknown_category_lists_the_types(tmp_path: Path) -> None:
    text = MINIMAL + '[[priorities]]\nname = "V"\ncategories = ["Knife crime"]\n'
    message = error_for(tmp_path, text)
    assert "commsafe.toml" in message and "priorities[0].categories" in message
    assert "'Knife crime', which is not a police.uk crime type" in message
    for name in CRIME_TYPES:
        assert name in message


def test_bad_target_lists_the_three_forms(tmp_path: Path) -> None:
    text = (MINIMAL + '[[priorities]]\nname = "V"\ncategories = ["Robbery"]\n'
            '[[priorities.indicators]]\nname = "i"\nmeasure = "count"\ntarget = "down 5%"\n')
    message = error_for(tmp_path, text)
    assert "commsafe.toml" in message and "priorities[0].indicators[0].target" in message
    assert "'down 5%' is not a target" in message
    for form in ("below_average:N", "change:P", "no_significant_increase"):
        assert form in message


@pytest.mark.parametrize("bad", ['assessed = "2024-25"', 'assessed = "2024/26"',
                                 'rolling = "2025-13"', 'assessed = "last year"'])
def test_bad_period_lists_accepted_forms(tmp_path: Path, bad: str) -> None:
    message = error_for(tmp_path, MINIMAL.replace('assessed = "2024"', bad))
    assert "commsafe.toml" in message and "period." in message
    assert "accepted forms" in message
    assert "YYYY/YY" in message and "YYYY-MM" in message


def test_other_bad_inputs(tmp_path: Path) -> None:
    assert "measure" in error_for(tmp_path, MINIMAL + '[[priorities]]\nname = "V"\n'
                                  'categories = ["Robbery"]\n[[priorities.indicators]]\n'
                                  'name = "i"\nmeasure = "ratio"\ntarget = "change:5"\n')
    assert "geography" in error_for(tmp_path, MINIMAL + '[outputs]\ngeography = "msoa"\n')
    assert "compare" in error_for(tmp_path, MINIMAL.replace(
        'assessed = "2024"', 'assessed = "2024"\ncompare = "2025"'))
    assert "partnership.area" in error_for(tmp_path, MINIMAL.replace('area = "Cambridge"\n', ""))
    assert "min_base" in error_for(tmp_path, MINIMAL + '[thresholds]\nmin_base = "five"\n')
    with pytest.raises(FileFormatError, match="not valid TOML"):
        load_spec(write(tmp_path, "[partnership\n"))
    with pytest.raises(InputError, match="no such spec file"):
        load_spec(tmp_path / "missing.toml")


def test_parse_target() -> None:
    assert parse_target("below_average:3") == Target("below_average", 3)
    assert parse_target("change:+2.5").text == "change:2.5"
    assert parse_target("change:-5").text == "change:-5"
    with pytest.raises(InputError):
        parse_target("below_average:0")


def assert_commented(text: str) -> None:
    lines = text.splitlines()
    keys = 0
    for i, line in enumerate(lines):
        if re.match(r"\s*(\[\[?[\w.]+\]\]?|[A-Za-z_]+\s*=)", line):
            keys += 1
            assert i > 0 and lines[i - 1].lstrip().startswith("#"), line
    assert keys > 10


def test_render_round_trips_a_full_spec(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, FULL))
    text = render_spec(spec, tmp_path)
    assert_commented(text)
    assert load_spec(write(tmp_path, text)) == spec


def test_init_writes_a_commented_spec_that_reads_back(tmp_path: Path) -> None:
    counts = {"Violence and sexual offences": 900, "Shoplifting": 400, "Anti-social behaviour":
              2000, "Burglary": 300, "Not a type": 5000}
    (tmp_path / "police").mkdir()
    path, notes = init_spec(tmp_path / "csp", partnership_name="Cambridge CSP",
                            area="E07000008", police_uk=[tmp_path / "police"],
                            reference=[tmp_path / "ref"], period="2024/25",
                            category_counts=counts)
    assert path == tmp_path / "csp" / "commsafe.toml"
    text = path.read_text(encoding="utf-8")
    assert_commented(text)
    spec = load_spec(path)
    assert spec.notes == ()  # every key is written out
    assert spec.partnership_name == "Cambridge CSP"
    assert spec.assessed.label == "2024/25" and spec.compare.label == "2023/24"
    assert spec.police_uk == ((tmp_path / "police").resolve(),)
    assert spec.reference == ((tmp_path / "ref").resolve(),)
    # ASB (2,000) outnumbers the second crime type (Shoplifting, 400): a third priority
    assert [p.name for p in spec.priorities] == ["Violence and sexual offences", "Shoplifting",
                                                 "Anti-social behaviour"]
    assert spec.priorities[2].categories == ("Anti-social behaviour",)
    violence = spec.priorities[0]
    assert violence.categories == ("Violence and sexual offences",)
    assert [i.target for i in violence.indicators] == [
        Target("below_average", 5), Target("no_significant_increase")]
    assert any("Violence and sexual offences (900), Shoplifting (400) (the two largest crime "
               "types in the data) and Anti-social behaviour (2,000 incidents" in n for n in notes)
    # round trip: rendering what was read gives the same spec again
    assert render_spec(spec) == text
    path.write_text(render_spec(spec), encoding="utf-8")
    assert load_spec(path) == spec
    with pytest.raises(InputError, match="already exists"):
        init_spec(path, partnership_name="x", area="y")


def test_init_with_given_priorities_and_defaults(tmp_path: Path) -> None:
    mine = (Priority("Theft", ("Shoplifting", "Other theft"),
                     (Indicator("Theft rate", "rate", ("Shoplifting",), Target("change", -5)),),
                     rationale="Rising", owner="BID"),)
    path, notes = init_spec(tmp_path, partnership_name="P", area="A", priorities=mine,
                            today=dt.date(2025, 2, 1))
    spec = load_spec(path)
    assert spec.priorities == mine
    assert spec.assessed.label == "2023/24"
    assert any("last complete financial year" in n for n in notes)
    path2, _ = init_spec(tmp_path / "r", partnership_name="P", area="A", period="2025-03")
    rolled = load_spec(path2)
    assert rolled.assessed == rolling_12("2025-03") and rolled.compare == rolling_12("2024-03")
    assert len(rolled.priorities) == 2
    with pytest.raises(InputError, match=r"not a police\.uk crime type"):
        init_spec(tmp_path / "bad", partnership_name="P", area="A",
                  priorities=[Priority("X", ("Knife crime",))])


def test_a_spec_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    """Notepad and Excel save UTF-8 with a BOM; the spec reads the same as without one."""
    plain = load_spec(write(tmp_path, MINIMAL))
    path = tmp_path / "commsafe.toml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    with_bom = load_spec(path)
    assert with_bom.partnership_name == plain.partnership_name
    assert with_bom.assessed == plain.assessed
