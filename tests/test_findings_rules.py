"""Assessment findings: the sentences' known answers, and the analyst's findings file."""

from __future__ import annotations

from pathlib import Path

import pytest

from commsafe.errors import InputError
from commsafe.findings import (
    RANKING_RULE,
    Finding,
    apply_analyst_findings,
    change_score,
    change_sentence,
    findings_file_text,
    rank_findings,
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


def test_no_fixed_recording_caveat_by_type() -> None:
    """The caveat comes from a detected break in the data, not from the crime type."""
    text = sentence("Stalking and harassment", 404, 512)
    assert text == ("Stalking and harassment rose 27% (404 → 512), a statistically significant "
                    "rise (p < 0.001).")


def test_a_change_across_a_recording_break_is_not_called_a_rise() -> None:
    text = sentence("Criminal damage and arson", 1000, 9000,
                    recording_break="the northumbria series steps up from October 2021 "
                    "(90 to 900 a month)")
    assert text == ("Criminal damage and arson went up from 1,000 to 9,000, but the northumbria "
                    "series steps up from October 2021 (90 to 900 a month), most likely a "
                    "change in recording: the comparison is not like for like and is not a "
                    "measure of a change in crime.")
    assert "rose" not in text and "significant" not in text
    down = sentence("Public order", 900, 100, recording_break="the series steps down")
    assert down.startswith("Public order came down from 900 to 100, but the series steps down")


def test_key_findings_ranked_by_the_stated_rule() -> None:
    small = Finding("change:a", "a", kind="change", score=change_score(100, 110, 0.3))
    big = Finding("change:b", "b", kind="change", score=change_score(1000, 1400, 1e-20))
    hot = Finding("hotspot:x", "h", kind="hotspot")
    brk = Finding("change:c", "c", kind="break", score=1.0)
    quality = Finding("quality:q", "q", kind="quality")
    off = Finding("indicator:i", "i", kind="indicator")
    top, rest = rank_findings([small, hot, big, brk, off, quality], limit=4)
    assert [f.id for f in top] == ["quality:q", "change:c", "indicator:i", "change:b"]
    assert [f.id for f in rest] == ["change:a", "hotspot:x"]
    assert change_score(100, 110, 0.01) == pytest.approx(20.0)
    assert "size × significance" in RANKING_RULE


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


def test_names_with_bidi_controls_are_isolated_in_sentences() -> None:
    from commsafe.findings import and_list, name_text

    rlo = "\u202edraw eerht"
    assert name_text("Castle") == "Castle"  # ordinary names are untouched
    assert name_text(rlo) == "\u2068" + rlo + "\u2069"
    assert and_list(["Castle", rlo]) == "Castle and \u2068" + rlo + "\u2069"


def test_the_countywide_sentence_for_a_force_of_one_partnership() -> None:
    from commsafe.findings import countywide_sentence

    one = countywide_sentence("Testshire", 1, "2024")
    assert "the only partnership of its police force" in one and "other 0" not in one
    assert "rank" not in one
    assert "the other partnership of its" in countywide_sentence("A", 2, "2024")
    assert "the other 5 partnerships" in countywide_sentence("A", 6, "2024")
