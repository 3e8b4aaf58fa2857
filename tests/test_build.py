"""`commsafe init` + `commsafe build` on the real Cambridgeshire 2024 files: every output
written and read back (Word, PDF, Excel, CSV, manifest), byte-identical rebuilds, a planted
police.uk revision reported in changes-since-last-build.md, bad input, and a failed build
that leaves the previous outputs as they were."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from commsafe.cli import main
from realdata import REFERENCE, rows_of

CAMBRIDGE = "E22000013"
REGISTER = "\n".join([
    "id,date,document,theme,text,owner,status,due date,update",
    "R1,2024-04-15,Strategic assessment 2023/24,Violence,Target night-time violence in Market,"
    "Licensing lead,In progress,2025-03-31,Pubwatch relaunched",
    "R2,15/05/2024,Strategic assessment 2023/24,Shoplifting,Retail crime partnership for the "
    "city centre,Business crime lead,Complete,2024-10-31,Running since October",
    "R3,2024-07-01,Q1 monitoring report,Data,Obtain ED assault data under the Cardiff model,"
    "Public health,Not started,2024-12-31,", ""])
DATASET_INDICATOR = """[[priorities.indicators]]
name = "Police extract records: 5% fewer"
measure = "count"
dataset = "synthetic_police_extract"
target = "change:-5"

"""
INTERVENTIONS = """id,what,area,start,comparison area,categories,window months
I1,Late-night licensing patrols,E05013057,2024-07-01,E05013059,Violence and sexual offences,3
"""


def run(*args: str, capsys: Any) -> tuple[int, str, str]:
    code = main([*args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder: Path, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): sha(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in skip}


@pytest.fixture(scope="module")
def project(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A working folder with a copy of the Cambridgeshire 2024 street files (so that a
    revision can be planted), a store, the spec written by `commsafe init`, a register and an
    interventions log; built once."""
    root = tmp_path_factory.mktemp("build")
    police = root / "police-uk"
    police.mkdir()
    for f in sorted((shared_data / "police-uk" / "cambridgeshire-2024").glob("*/*-street.csv")):
        (police / f.parent.name).mkdir()
        shutil.copy(f, police / f.parent.name / f.name)
    store = root / "commsafe.duckdb"
    refs = [a for r in REFERENCE for a in ("--reference", str(shared_data / r))]
    code = main(["init", "--csp", "Cambridge", "--data", str(police), *refs, "--dir",
                 str(root), "--period", "2024", "--store", str(store)])
    assert code == 0
    assert main(["sample", "partner-data", "--area", "Cambridge", "--out",
                 str(root / "partner"), "--store", str(store)]) == 0
    (root / "register.csv").write_text(REGISTER, encoding="utf-8")
    (root / "interventions.csv").write_text(INTERVENTIONS, encoding="utf-8")
    spec = root / "commsafe.toml"
    text = spec.read_text(encoding="utf-8")
    text = text.replace('# recommendations = "recommendations.xlsx"',
                        'recommendations = "register.csv" #')
    text = text.replace('# interventions = "interventions.xlsx"',
                        'interventions = "interventions.csv" #')
    second = text.index("[[priorities]]", text.index("[[priorities]]") + 1)
    text = text[:second] + DATASET_INDICATOR + text[second:]
    assert "datasets = []" in text
    text = text.replace("datasets = []",
                        'datasets = [{ data = "partner/SYNTHETIC_police_extract.csv", '
                        'mapping = "partner/SYNTHETIC_police_extract.toml" }]')
    spec.write_text(text, encoding="utf-8")
    out = root / "out"
    assert main(["build", "--spec", str(spec), "--out", str(out), "--store", str(store),
                 "--quiet"]) == 0
    return {"root": root, "spec": spec, "store": store, "out": out,
            "build": out / "cambridge-2024", "police": police}


def test_init_chose_priorities_from_the_data(project: dict[str, Path]) -> None:
    """The starting priorities are the two largest crime types in Cambridge's rows (LSOA
    names 'Cambridge 0NNX'), counted here from the raw files."""
    counts: dict[str, int] = {}
    asb = 0
    for f in sorted(project["police"].glob("*/*.csv")):
        with f.open(newline="", encoding="utf-8") as h:
            for row in csv.DictReader(h):
                if not row["LSOA name"].startswith("Cambridge 0"):
                    continue
                if row["Crime type"] == "Anti-social behaviour":
                    asb += 1
                else:
                    counts[row["Crime type"]] = counts.get(row["Crime type"], 0) + 1
    top = sorted(counts, key=lambda c: -counts[c])[:2]
    text = project["spec"].read_text(encoding="utf-8")
    # ASB is a third starting priority when it has at least the second type's count
    with_asb = asb >= counts[top[1]]
    assert text.count("[[priorities]]") == 2 + with_asb
    for name in [*top, *(["Anti-social behaviour"] if with_asb else [])]:
        assert f'name = "{name}"' in text
    assert 'recommendations = "register.csv"' in text


def test_every_output_is_written(project: dict[str, Path]) -> None:
    b = project["build"]
    for name in ("assessment.html", "assessment.pdf", "assessment.docx", "tables.xlsx",
                 "manifest.json", "changes-since-last-build.md"):
        assert (b / name).is_file()
        assert (b / name).stat().st_size > (50 if name.endswith(".md") else 1000)
    csvs = sorted(p.name for p in (b / "data").glob("*.csv"))
    assert {"change_by_type.csv", "overview_by_year.csv", "performance.csv",
            "recommendations.csv", "sources.csv"} <= set(csvs)
    pngs = sorted((b / "figures").glob("*.png"))
    assert len(pngs) >= 5
    for png in pngs:
        assert png.with_suffix(".svg").is_file()
    # no temporary build folder is left beside the output
    assert not [p.name for p in project["out"].iterdir() if p.name.startswith(".")]


def test_all_crime_matches_an_independent_count(project: dict[str, Path]) -> None:
    """The change table's 2024 All crime equals a count of the store's events for the CSP
    through the counts command (itself tested against a raw-CSV recount: 14,922)."""
    rows = rows_of(project["build"] / "data" / "change_by_type.csv")
    all_crime = next(r for r in rows if r["category"] == "All crime")
    assert all_crime["2024"] == "14922"
    assert all_crime["2023"] == ""  # no 2023 data loaded: blank, never 0
    by_type = sum(int(r["2024"]) for r in rows if r["category"] != "All crime")
    assert by_type == 14922


def test_manifest_checksums_match_the_files(project: dict[str, Path]) -> None:
    b = project["build"]
    manifest = json.loads((b / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tool"]["name"] == "commsafe"
    paths = {o["path"] for o in manifest["outputs"]}
    assert {"assessment.pdf", "assessment.docx", "tables.xlsx", "data/performance.csv"} <= paths
    for o in manifest["outputs"]:
        f = b / o["path"]
        assert sha(f) == o["sha256"], o["path"]
        assert f.stat().st_size == o["bytes"]
    inputs = {Path(i["path"]).name: i for i in manifest["inputs"]}
    street = project["police"] / "2024-06" / "2024-06-cambridgeshire-street.csv"
    assert inputs[street.name]["sha256"] == sha(street)
    table = next(o for o in manifest["outputs"] if o["path"] == "data/change_by_type.csv")
    assert table["figures"]["All crime / 2024"] == 14922
    assert table["query"]["area"] == CAMBRIDGE


def test_word_document_structure(project: dict[str, Path]) -> None:
    import docx

    d = docx.Document(str(project["build"] / "assessment.docx"))
    headings = [(p.style.name, p.text) for p in d.paragraphs
                if p.style is not None and p.style.name.startswith("Heading")]
    titles = [t for _, t in headings]
    for want in ("Executive summary", "Key findings", "Recommendations", "Background",
                 "Priority 1: Violence and sexual offences", "Measures of success",
                 "Appendix A: Performance table", "Appendix C: Recommendations register",
                 "Appendix E: Glossary"):
        assert want in titles, want
    assert ("Heading 1", "Executive summary") in headings
    assert ("Heading 2", "Key findings") in headings
    assert len(d.tables) >= 8
    text = "\n".join(p.text for p in d.paragraphs)
    assert "Late-night licensing patrols" in text
    assert "14,922 crimes" in text
    # images embedded
    assert len(d.inline_shapes) >= 5


def test_pdf_text_and_bookmarks(project: dict[str, Path]) -> None:
    import pypdf

    pdf = project["build"] / "assessment.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "Executive summary" in text and "Appendix E: Glossary" in text
    assert "14,922" in text
    assert "Page 1 of" in text
    reader = pypdf.PdfReader(str(pdf))
    top = [o.title for o in reader.outline if not isinstance(o, list)]
    assert "Executive summary" in top
    assert any(t.startswith("Priority 1") for t in top)
    png = project["root"] / "page"
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(png)],
                   check=True)
    assert next(project["root"].glob("page*.png")).stat().st_size > 2000


def test_workbook_reads_back(project: dict[str, Path]) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(project["build"] / "tables.xlsx")
    assert wb.sheetnames[0] == "About"
    assert "performance" in wb.sheetnames
    ws = wb["change_by_type"]
    assert ws.freeze_panes is not None
    header = [c.value for c in ws[3]]
    assert header[:3] == ["category", "2023", "2024"]
    values = {r[0]: r[2] for r in ws.iter_rows(min_row=4, values_only=True) if r[0]}
    assert values["All crime"] == 14922


def test_register_and_indicators(project: dict[str, Path]) -> None:
    rows = rows_of(project["build"] / "data" / "recommendations.csv")
    assert [r["id"] for r in rows] == ["R1", "R2", "R3"]
    assert [r["quarter"] for r in rows] == ["2024/25 Q1", "2024/25 Q1", "2024/25 Q2"]
    # as of January 2025, R3 (due 31 December 2024, not started) is overdue
    assert {r["id"]: r["overdue"] for r in rows} == {"R1": "no", "R2": "no", "R3": "yes"}
    ind = rows_of(project["build"] / "data" / "priority-1_indicators.csv")
    # no 2023 or earlier data: neither target can be judged, and the build says so
    assert {r["status"] for r in ind} == {"no data"}


def test_rebuild_is_byte_identical_and_a_revision_is_reported(
        project: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    b = project["build"]
    before = tree(b, skip=("manifest.json", "changes-since-last-build.md"))
    manifest_before = json.loads((b / "manifest.json").read_text(encoding="utf-8"))
    code, out, err = run("build", "--spec", str(project["spec"]), "--out", str(project["out"]),
                         "--store", str(project["store"]), capsys=capsys)
    assert code == 0, err
    assert tree(b, skip=("manifest.json", "changes-since-last-build.md")) == before
    manifest_after = json.loads((b / "manifest.json").read_text(encoding="utf-8"))
    assert manifest_after["built_at"] >= manifest_before["built_at"]
    manifest_before.pop("built_at")
    manifest_after.pop("built_at")
    assert manifest_after == manifest_before
    assert "No published figure changed." in (b / "changes-since-last-build.md").read_text()

    # plant a revision: June 2024 republished without its first 50 shoplifting rows
    june = project["police"] / "2024-06" / "2024-06-cambridgeshire-street.csv"
    lines = june.read_text(encoding="utf-8").splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    dropped, kept = 0, []
    for line in body:
        in_cambridge = "Cambridge 0" in line
        if dropped < 50 and in_cambridge and ",Shoplifting," in line:
            dropped += 1
            continue
        kept.append(line)
    assert dropped == 50
    june.write_text(header + "".join(kept), encoding="utf-8")
    code, out, err = run("build", "--spec", str(project["spec"]), "--out", str(project["out"]),
                         "--store", str(project["store"]), capsys=capsys)
    assert code == 0, err
    changes = (b / "changes-since-last-build.md").read_text(encoding="utf-8")
    assert "## data/change_by_type.csv" in changes
    assert "| All crime / 2024 | changed | 14,922 | 14,872 | -50 |" in changes
    assert "| Shoplifting / 2024 | changed | 2,838 | 2,788 | -50 |" in changes
    assert "published figure(s) changed since the last build" in out
    rows = rows_of(b / "data" / "change_by_type.csv")
    assert next(r for r in rows if r["category"] == "All crime")["2024"] == "14872"


def test_findings_file_keeps_the_analysts_edits(project: dict[str, Path],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = project["root"] / "findings.csv"
    rows = rows_of(path)
    assert rows and all(r["action"] == "keep" for r in rows)
    first = rows[0]
    rows[0] = {**first, "action": "edit", "text": "An analyst's own wording of this."}
    rows.append({"id": "mine", "action": "add", "section": "summary",
                 "text": "Night-time economy violence needs a joint problem profile.",
                 "cite": ""})
    with path.open("w", newline="", encoding="utf-8") as h:
        w = csv.DictWriter(h, fieldnames=["id", "action", "section", "text", "cite"])
        w.writeheader()
        w.writerows(rows)
    code, _, err = run("build", "--spec", str(project["spec"]), "--out", str(project["out"]),
                       "--store", str(project["store"]), "--quiet", capsys=capsys)
    assert code == 0, err
    html = (project["build"] / "assessment.html").read_text(encoding="utf-8")
    assert "An analyst&#39;s own wording of this." in html or \
        "An analyst's own wording of this." in html
    assert "Night-time economy violence needs a joint problem profile." in html
    kept = {r["id"]: r for r in rows_of(path)}
    assert kept[first["id"]]["action"] == "edit"
    assert kept["mine"]["action"] == "add"


def test_bad_register_fails_cleanly_and_keeps_the_previous_build(
        project: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    b = project["build"]
    before = tree(b)
    register = project["root"] / "register.csv"
    good = register.read_text(encoding="utf-8")
    register.write_text(good.replace("2024-07-01,Q1", "2024-13-01,Q1"), encoding="utf-8")
    try:
        code, _, err = run("build", "--spec", str(project["spec"]), "--out",
                           str(project["out"]), "--store", str(project["store"]),
                           capsys=capsys)
    finally:
        register.write_text(good, encoding="utf-8")
    assert code == 2
    assert "Traceback" not in err
    assert "register.csv" in err and "line 4" in err and "2024-13-01" in err
    assert tree(b) == before
    assert not [p.name for p in project["out"].iterdir() if p.name.startswith(".")]


def test_bad_spec_and_out_folder(project: dict[str, Path], tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    spec = project["root"] / "bad.toml"  # beside the real spec: same relative paths
    text = project["spec"].read_text(encoding="utf-8")
    spec.write_text(text.replace("[thresholds]", "[thresholds]\nsupression = 3"),
                    encoding="utf-8")
    code, _, err = run("build", "--spec", str(spec), "--out", str(tmp_path / "o"), "--store",
                       str(project["store"]), capsys=capsys)
    assert code == 2 and "Traceback" not in err
    assert "supression" in err and "suppression" in err

    spec.write_text(text.replace('categories = ["Shoplifting"]', 'categories = ["Shopliftng"]'),
                    encoding="utf-8")
    code, _, err = run("build", "--spec", str(spec), "--out", str(tmp_path / "o"), "--store",
                       str(project["store"]), capsys=capsys)
    assert code == 2 and "Shopliftng" in err and "Shoplifting" in err

    spec.write_text(text.replace('assessed = "2024"', 'assessed = "2021"')
                    .replace('compare = "2023"', 'compare = "2020"'), encoding="utf-8")
    code, _, err = run("build", "--spec", str(spec), "--out", str(tmp_path / "o"), "--store",
                       str(project["store"]), capsys=capsys)
    assert code == 2 and "2021" in err and "has no data" in err

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, err = run("build", "--spec", str(project["spec"]), "--out", str(blocker),
                       "--store", str(project["store"]), capsys=capsys)
    assert code == 2 and "is a file, not a folder" in err and "Traceback" not in err


def test_disclosure_control_on_a_real_build(project: dict[str, Path],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """With Shoplifting protected below 40, no published shoplifting count by ward or LSOA is
    1-39, no single hidden ward can be recovered from the CSP total, and the document shows
    the marks (not the counts)."""
    text = project["spec"].read_text(encoding="utf-8")
    assert 'categories = ["Shoplifting"]' in text
    text = text.replace("suppression = 5", "suppression = 40")
    text = text.replace("protected = [", 'protected = ["Shoplifting", ', 1)
    spec = project["root"] / "protected.toml"
    spec.write_text(text, encoding="utf-8")
    out = project["root"] / "out-protected"
    code, _, err = run("build", "--spec", str(spec), "--out", str(out), "--store",
                       str(project["store"]), "--quiet", capsys=capsys)
    assert code == 0, err
    b = out / "cambridge-2024"
    chapter = next(p for p in ("priority-1", "priority-2")
                   if "Shoplifting" in (b / "data" / f"{p}_performance.csv").read_text())
    wards = rows_of(b / "data" / f"{chapter}_wards.csv")
    counts = [r["count"] for r in wards]
    hidden = [c for c in counts if not c.isdigit()]
    assert hidden, "some wards have fewer than 40 shoplifting offences"
    assert all(int(c) == 0 or int(c) >= 40 for c in counts if c.isdigit())
    assert len(hidden) != 1
    for r in wards:  # rates and shares computed from a hidden count are hidden too
        if not r["count"].isdigit():
            assert not r["rate_per_1000"].replace(".", "").isdigit()
    # every published table: protected rows never show 1-39
    for f in (b / "data").glob("*.csv"):
        for r in rows_of(f):
            if r.get("category") == "Shoplifting":
                for k, v in r.items():
                    if k[:1].isdigit() and v.isdigit():
                        assert not 0 < int(v) < 40, (f.name, k, v)
    html = (b / "assessment.html").read_text(encoding="utf-8")
    assert "&lt;40" in html
    # the workbook shows the same marks as the CSV
    import openpyxl

    ws = openpyxl.load_workbook(b / "tables.xlsx")[f"{chapter}_wards"]
    sheet = [r[2] for r in ws.iter_rows(min_row=4, values_only=True) if r[0]]
    assert [str(v) for v in sheet[: len(counts)]] == counts
    # the atlas: the same rule, and the hidden counts are not in the file at all
    payload = atlas_data(b / "atlas.html")
    for level in ("ward", "lsoa"):
        v = payload["values"][level]["shoplifting"]["2024"]
        assert v["marks"], level
        assert all(c is None or c == 0 or c >= 40 for c in v["count"])
        assert len(v["marks"]) != 1
        for k in v["marks"]:
            assert v["count"][int(k)] is None and v["rate"][int(k)] is None
        series = payload["monthly"][level]["shoplifting"]["counts"]
        assert all(x is None for s in series for x in s)  # small monthly counts left out


def test_monitoring_report_focuses_on_the_latest_quarter(
        project: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """Quarterly monitoring: Q4 2024 against Q3 (the performance table's known quarters for
    Cambridge 2024 are 3,656 / 3,959 / 4,006 / 3,301)."""
    import docx

    code, out, err = run("build", "--spec", str(project["spec"]), "--out",
                         str(project["out"]), "--store", str(project["store"]), "--kind",
                         "monitoring", "--quiet", capsys=capsys)
    assert code == 0, err
    b = project["out"] / "cambridge-2024-monitoring"
    assert out.strip() == str(b)
    rows = rows_of(b / "data" / "quarter_vs_previous-quarter.csv")
    all_crime = next(r for r in rows if r["category"] == "All crime")
    assert (all_crime["2024 Q3"], all_crime["2024 Q4"], all_crime["change"]) == (
        "4006", "3301", "-705")
    assert all_crime["significant"] == "significant decrease"
    d = docx.Document(str(b / "assessment.docx"))
    titles = [p.text for p in d.paragraphs if p.style is not None
              and p.style.name.startswith("Heading")]
    assert "Latest quarter: October to December 2024" in titles
    assert not any(t.startswith("Appendix") for t in titles)  # the shorter variant
    text = "\n".join(p.text for p in d.paragraphs)
    assert "All crime fell 18% (4,006 → 3,301), a statistically significant fall" in text
    assert "average of the previous 3 quarters" in text


def atlas_data(path: Path) -> dict[str, Any]:
    """The payload embedded in an atlas file (the JSON in its data script element)."""
    import re

    text = path.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="atlas-data">(.*?)</script>', text,
                      re.S)
    assert found, "no atlas-data script element"
    return dict(json.loads(found.group(1)))


def test_atlas_beside_the_document(project: dict[str, Path], shared_data: Path) -> None:
    """The build's atlas.html: one file, no address outside it, Cambridge's 14 wards and 78
    LSOAs (recounted from the ONS lookup), and Market ward's known figures."""
    atlas = project["build"] / "atlas.html"
    text = atlas.read_text(encoding="utf-8")
    bare = text.replace("http://www.w3.org/2000/svg", "").replace(
        "http://www.w3.org/1999/xlink", "")  # XML namespace names, never fetched
    assert "http://" not in bare and "https://" not in bare
    assert atlas.stat().st_size < 3_000_000
    payload = atlas_data(atlas)
    wards, lsoas = set(), set()
    with (shared_data / "geography" / "lookup_lsoa21_ward24_ltla24.csv").open(
            newline="", encoding="utf-8-sig") as h:
        for row in csv.DictReader(h):
            if row["ltla24_code"] == "E07000008":
                wards.add(row["ward24_code"])
                lsoas.add(row["lsoa21_code"])
    assert {a["code"] for a in payload["levels"]["lsoa"]["areas"]} == lsoas
    assert len(payload["levels"]["ward"]["areas"]) == len(wards) == 14
    areas = payload["levels"]["ward"]["areas"]
    i = next(k for k, a in enumerate(areas) if a["name"] == "Market")
    v = payload["values"]["ward"]["all-crime"]["2024"]
    assert (v["count"][i], v["rate"][i], v["rank"][i]) == (3664, 350.9, 1)
    assert [p["id"] for p in payload["periods"]] == ["2024"]
    assert sum(payload["monthly"]["ward"]["all-crime"]["counts"][i]) == 3664
    manifest = json.loads((project["build"] / "manifest.json").read_text(encoding="utf-8"))
    assert any(o["path"] == "atlas.html" for o in manifest["outputs"])


def test_who_per_priority_from_the_police_extract(project: dict[str, Path]) -> None:
    """Each priority's pyramid counts the extract's records whose Home Office code police.uk
    publishes under the priority's types: violence has victims; shoplifting's victims are
    businesses, so only offenders are shown, and the document says so."""
    data = project["build"] / "data"
    whole = sum(int(r["count"]) for r in rows_of(data / "who_victims.csv"))
    violence = sum(int(r["count"]) for r in rows_of(data / "priority-1_who_victims.csv"))
    shop_victims = sum(int(r["count"]) for r in rows_of(data / "priority-2_who_victims.csv"))
    shop_offenders = sum(int(r["count"]) for r in rows_of(data / "priority-2_who_offenders.csv"))
    assert 0 < violence < whole
    assert shop_victims == 0 and shop_offenders > 0
    html = (project["build"] / "assessment.html").read_text(encoding="utf-8")
    assert "No victims of known age and sex (Shoplifting) are recorded" in html
    assert "whose Home Office offence code police.uk publishes under Violence and sexual" in html
    # the synthetic data are labelled as such in the document
    assert "SYNTHETIC" in html


def test_a_partner_data_set_as_a_priority_indicator(project: dict[str, Path]) -> None:
    """An indicator counting a partner data set's records in the area: measured, its status
    said (the extract has no 2023 to compare with), and its trend in the chapter."""
    import docx

    ind = {r["indicator"]: r for r in
           rows_of(project["build"] / "data" / "priority-1_indicators.csv")}
    row = ind["Police extract records: 5% fewer"]
    assert row["status"] == "no data"
    assert "the comparison period January to December 2023 has no data" in row["detail"]
    # the count is the extract's Cambridge records in 2024, recounted from the store's own
    # by-year table of the whole data set (all of the synthetic extract is in Cambridge)
    by_year = rows_of(project["build"] / "data" / "police_extract_by_year.csv")
    assert float(row["value"]) == sum(float(r["total"]) for r in by_year if r["period"] == "2024")
    d = docx.Document(str(project["build"] / "assessment.docx"))
    titles = [p.text for p in d.paragraphs
              if p.style is not None and p.style.name.startswith("Heading")]
    chapter = titles[titles.index("Priority 1: Violence and sexual offences"):]
    assert "Partner data" in chapter[: chapter.index("Priority 2: Shoplifting")]
    assert (project["build"] / "figures" / "priority-1_synthetic-police-extract_trend.png"
            ).is_file()


def test_each_figure_gives_its_source_once(project: dict[str, Path]) -> None:
    """The document prints a figure's source as text under its caption; the image does not
    draw it again (it did: every figure showed its "Source:" line twice)."""
    import re

    b = project["build"]
    html = (b / "assessment.html").read_text(encoding="utf-8")
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html, flags=re.S)
    assert len(captions) >= 5
    assert all(c.count("Source:") == 1 for c in captions)
    svgs = sorted((b / "figures").glob("*.svg"))
    assert len(svgs) >= 5
    for svg in svgs:
        text = svg.read_text(encoding="utf-8")
        assert "police.uk street-level" not in text, svg.name
        assert "Source:" not in text, svg.name


def test_the_sources_table_has_no_positional_column(project: dict[str, Path]) -> None:
    """data/sources.csv holds the inputs keyed by kind, file and checksum, and no row number
    (which changed for every later file when one was added, so each rebuild reported
    spurious changes)."""
    with (project["build"] / "data" / "sources.csv").open(newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header == ["file", "kind", "rows_read", "rows_loaded", "sha256"]


def test_with_source_date_epoch_every_byte_of_a_rebuild_is_the_same(
        project: dict[str, Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """SOURCE_DATE_EPOCH fixes the one field that follows the clock (the manifest's
    built_at): two builds then agree on every file, PDF, Word, Excel, atlas and manifest
    included. A value that is not whole seconds is refused with a message, no traceback."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")  # 2025-01-01T00:00:00Z
    args = ("build", "--spec", str(project["spec"]), "--out", str(project["out"]),
            "--store", str(project["store"]))
    trees = []
    for _ in range(3):  # the first one's changes file names the previous build's clock time
        code, _, err = run(*args, capsys=capsys)
        assert code == 0, err
        trees.append(tree(project["build"]))
    assert trees[1] == trees[2]
    assert {k for k in trees[0] if trees[0][k] != trees[1][k]} <= {"changes-since-last-build.md",
                                                                  "manifest.json"}
    names = set(trees[1])
    assert {"assessment.pdf", "assessment.docx", "tables.xlsx", "atlas.html",
            "manifest.json", "changes-since-last-build.md"} <= names
    manifest = json.loads((project["build"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["built_at"] == "2025-01-01T00:00:00Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    code, _, err = run(*args, capsys=capsys)
    assert code == 2 and "SOURCE_DATE_EPOCH='yesterday'" in err and "Traceback" not in err
