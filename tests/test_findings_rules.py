"""Assessment findings: the sentences' known answers, and the analyst's findings file."""

from __future__ import annotations

from pathlib import Path

import pytest

from commsafe.errors import InputError
from commsafe.findings import (
    Finding,
    apply_analyst_findings,
    change_sentence,
    findings_file_text,
    read_findings_file,
)
from commsafe.measures.significance import change_test


def sentence(name: str, a: int, b: int, **kw: object) -> str:
    t = change_test(a, b)
    pct = None if a < 5 else round(100 * (b - a) / a)
    return change_sentence(name, a, b, pct=pct, p_value=t.p_value, significant=t.significant,
                           **kw)  # type: ignore[arg-type]


def test_the_issues_burglary_example() -> None:
    text = sentence("Dwelling burglary", 680, 567, average=528, average_years=5)
    assert text.startswith("Dwelling burglary fell 17% (680 → 567), a statistically "
                           "significant fall (p = 0.00")
    assert text.endswith("and is now close to its 5-year average (528).")


def test_recording_caveat_on_a_rise_of_a_sensitive_type() -> None:
    text = sentence("Stalking and harassment", 404, 512)
    assert text == ("Stalking and harassment rose 27% (404 → 512), a statistically significant "
                    "rise (p < 0.001). Part of this is likely to reflect changes in crime "
                    "recording.")
    assert "recording" not in sentence("Stalking and harassment", 512, 404)


def test_never_stronger_than_the_evidence() -> None:
    text = sentence("Violence without injury", 1773, 1693)
    assert text == ("Violence without injury fell 5% (1,773 → 1,693), a change that is not "
                    "statistically significant and could be chance (p = 0.18).")
    small = sentence("Robbery", 4, 3)
    assert small.startswith("Robbery fell (4 → 3)")  # no % below the minimum base
    assert sentence("Burglary", 10, 10) == "Burglary was unchanged (10)."


def test_an_average_of_one_period_is_not_repeated() -> None:
    assert "average" not in sentence("Drugs", 300, 400, average=300, average_years=1)
    assert "above its 3-year average (250)" in sentence("Drugs", 300, 400, average=250,
                                                         average_years=3)
    assert "below its average of the previous 4 quarters (500)" in sentence(
        "Drugs", 300, 400, average=500, average_years=4, unit="quarter")


AUTO = [Finding("change:burglary", "Burglary fell.", "table-2"),
        Finding("change:drugs", "Drugs rose.", "table-2"),
        Finding("hotspot:priority-1", "Hotspots.", "table-6", "hotspot", "priority-1")]


def test_analyst_edits_drops_and_additions_survive_a_rebuild(tmp_path: Path) -> None:
    path = tmp_path / "findings.csv"
    path.write_text(findings_file_text(AUTO, []), encoding="utf-8")
    rows = read_findings_file(path)
    assert [(r.id, r.action) for r in rows] == [(f.id, "keep") for f in AUTO]
    text = path.read_text(encoding="utf-8")
    text = text.replace("change:drugs,keep,summary,Drugs rose.",
                        "change:drugs,drop,summary,Drugs rose.")
    text = text.replace("change:burglary,keep,summary,Burglary fell.",
                        'change:burglary,edit,summary,"Burglary fell, as the campaign hoped."')
    text += "mine,add,summary,A finding of my own.,\n"
    path.write_text(text, encoding="utf-8")
    rows = read_findings_file(path)
    published = apply_analyst_findings(AUTO, rows)
    assert [f.text for f in published] == ["Burglary fell, as the campaign hoped.",
                                           "Hotspots.", "A finding of my own."]
    # the next build writes the file back with every decision kept
    path.write_text(findings_file_text(AUTO, rows), encoding="utf-8")
    again = read_findings_file(path)
    assert {r.id: r.action for r in again} == {"change:burglary": "edit",
                                               "change:drugs": "drop",
                                               "hotspot:priority-1": "keep", "mine": "add"}


@pytest.mark.parametrize(("line", "message"), [
    ("x,delete,summary,Text,", "line 2, column action: 'delete' is not an action"),
    ("x,edit,summary,,", "line 2, column text: empty"),
])
def test_bad_findings_file_rows(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "findings.csv"
    path.write_text("id,action,section,text,cite\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_findings_file(path)


def test_duplicate_ids_name_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "findings.csv"
    path.write_text("id,action,section,text,cite\na,keep,summary,T,\na,drop,summary,T,\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match="line 3, column id: 'a' is also on line 2"):
        read_findings_file(path)
