"""ONS Crime Severity Score workbooks as harm weights: layout, volume-weighted averages, errors."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections import Counter
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import xlsxwriter

from commsafe.errors import FileFormatError, InputError
from commsafe.hierarchy import HIERARCHY
from commsafe.measures.harm import load_css_workbook, load_weights

Row = Sequence[object]

VOLUMES = Path(str(files("commsafe") / "data" / "offence_volumes_201718.csv"))
HEADER: Row = ("Offence category", "Offence Code", "Offence", "Weight (severity score) [note 1]")
TITLE: list[Row] = [
    ("Crime Severity Score (experimental statistics): offence weights",),
    ("Source: Office for National Statistics",),
    (),
]
# The layout ONS uses: category filled only on its first row, codes as text and as numbers,
# a blank row and footnotes at the end.
BODY: list[Row] = [
    ("Robbery", "34A", "Robbery of business property", 10),
    (None, "34B", "Robbery of personal property", 30.0),
    ("Violence against the person", 1.0, "Murder", 100),
    (None, "4/1", "Manslaughter", 200),
    (None, "8N", "Assault with injury", 20.5),
    (None, "105A", "Assault without injury", 5),
    (None, 13.0, "Child abduction", 7),
    ("Drug offences", "92A", "Trafficking in controlled drugs", 50),
    ("Burglary", "28A", "Burglary in a dwelling (old code)", 4),
    (None, "28b", "Attempted burglary in a dwelling (old code)", 8),
    ("Fraud", "53A", "Cheque and credit card fraud", 12),
    (None, 8.0, "Other wounding (old code)", 3),
    (None, "FFA UK", "Fraud recorded by Financial Fraud Action UK", 2),
    (),
    ("Note 1: weights are average sentence days, see the methodology.",),
    ("Source: Ministry of Justice sentencing data",),
]


def _sheet_rows(body: list[Row] = BODY, header: Row = HEADER) -> list[Row]:
    return [*TITLE, header, *body]


def _xlsx(path: Path, sheets: dict[str, list[Row]]) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for index, row in enumerate(rows):
            for col, value in enumerate(row):
                if value is not None:
                    sheet.write(index, col, value)
    workbook.close()
    return path


def _ods_cell(value: object) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, int | float):
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")  # fmt: skip
    return (f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}'
            "</text:p></table:table-cell>")  # fmt: skip


def _ods(path: Path, sheets: dict[str, list[Row]]) -> Path:
    """A minimal OpenDocument spreadsheet: mimetype, manifest and content.xml."""
    tables = ""
    for name, rows in sheets.items():
        body = "".join(
            "<table:table-row>"
            + ("".join(map(_ods_cell, row)) or "<table:table-cell/>")
            + "</table:table-row>"
            for row in rows
        )
        tables += f'<table:table table:name="{escape(name)}">{body}</table:table>'
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def _css(
    tmp_path: Path, body: list[Row] = BODY, header: Row = HEADER, name: str = "css.xlsx"
) -> Path:
    return _xlsx(
        tmp_path / name, {"Contents": [("Contents",)], "List of weights": _sheet_rows(body, header)}
    )


def _packaged_volumes() -> dict[str, int]:
    """The packaged volumes file read with the csv module, independently of the code."""
    text = VOLUMES.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return {row["ho_code"]: int(row["offences"]) for row in csv.DictReader(lines)}


def _mean(pairs: list[tuple[int, float]]) -> float:
    return sum(v * w for v, w in pairs) / sum(v for v, _ in pairs)


# --------------------------------------------------------------------------- known answers


def test_offence_codes_in_the_hierarchy_get_their_weights(tmp_path: Path) -> None:
    weights = load_weights(_css(tmp_path))
    assert weights.code_weights == {
        "34A": 10.0, "34B": 30.0, "1": 100.0, "4.1": 200.0, "8N": 20.5, "105A": 5.0,
        "13": 7.0, "92A": 50.0, "28A": 4.0, "28B": 8.0,
    }  # fmt: skip
    assert weights.weight_for_code("4/1") == 200.0
    assert weights.weight_for_code(13) == 7.0
    # row 5 is the first data row (3 title rows, header in row 4)
    assert (
        weights.sources["34A"]
        == "ONS Crime Severity Score (css.xlsx), sheet 'List of weights' row 5"
    )
    assert weights.sources["28B"].endswith("row 14")


def test_codes_outside_the_hierarchy_are_counted_in_a_note(tmp_path: Path) -> None:
    notes = load_weights(_css(tmp_path)).notes
    assert notes[0].startswith("3 offence codes of the CSS sheet are not in commsafe's offence")
    assert notes[0].endswith("hierarchy and are left out: 53A, 8, FFA UK")


def test_a_crime_type_weight_is_the_mean_weighted_by_2017_18_volumes(tmp_path: Path) -> None:
    volumes = _packaged_volumes()
    weights = load_weights(_css(tmp_path))
    robbery = _mean([(volumes["34A"], 10.0), (volumes["34B"], 30.0)])
    assert 10 < robbery < 30
    assert weights.weight_for("Robbery") == pytest.approx(robbery, rel=1e-12)
    assert weights.sources["Robbery"] == (
        "ONS Crime Severity Score (css.xlsx), offence weights averaged by 2017/18 England and "
        "Wales offence volumes"
    )
    assert weights.weight_for("Robbery of business property") == 10.0
    assert weights.harm({"Robbery": 3}) == {"Robbery": pytest.approx(3 * robbery)}


def test_combined_homicide_count_takes_the_mean_of_its_codes_weights(tmp_path: Path) -> None:
    volumes = _packaged_volumes()
    weights = load_weights(_css(tmp_path))
    # the Home Office counts codes 1, 4.1, 4.10 and 4.2 together; two of them are weighted here
    assert weights.weight_for("Homicide") == pytest.approx(150.0)
    violence = _mean([
        (volumes["1+4.1+4.10+4.2"], 150.0), (volumes["8N"], 20.5), (volumes["105A"], 5.0),
        (volumes["13"], 7.0),
    ])  # fmt: skip
    assert weights.weight_for("Violence against the person") == pytest.approx(violence)
    # sexual offences have no weights, so the police.uk type is violence against the person's
    assert weights.weight_for("Violence and sexual offences") == pytest.approx(violence)
    assert weights.weight_for("Rape") is None


def test_codes_joined_as_the_home_office_writes_homicide(tmp_path: Path) -> None:
    body: list[Row] = [
        ("Homicide", "1/4.1/4.10/4.2", "Homicide", 7979.4),
        ("Robbery", "34A, 34B", "Robbery", 300),
    ]
    weights = load_weights(_css(tmp_path, body))
    assert weights.code_weights == {
        "1": 7979.4, "4.1": 7979.4, "4.10": 7979.4, "4.2": 7979.4, "34A": 300.0, "34B": 300.0
    }  # fmt: skip
    assert weights.weight_for("Homicide") == pytest.approx(7979.4)
    assert weights.weight_for("Robbery") == pytest.approx(300.0)
    assert weights.sources["4.10"].endswith("row 5") and weights.sources["34B"].endswith("row 6")
    assert weights.notes[0].startswith("part of the 2017/18 offences")  # nothing outside


def test_codes_without_volume_fall_back_to_the_unweighted_mean(tmp_path: Path) -> None:
    volumes = _packaged_volumes()
    assert volumes["28A"] == volumes["28B"] == 0  # burglary codes replaced in April 2017
    weights = load_weights(_css(tmp_path))
    assert weights.weight_for("Burglary") == 6.0
    assert weights.weight_for("Residential burglary") == 6.0
    assert "unweighted mean" in weights.sources["Burglary"]
    note = next(n for n in weights.notes if "unweighted mean" in n)
    assert "Burglary" in note and "Residential burglary" in note


def test_partly_weighted_types_are_named_in_a_note(tmp_path: Path) -> None:
    volumes = _packaged_volumes()
    weights = load_weights(_css(tmp_path))
    assert weights.weight_for("Drugs") == 50.0
    note = next(n for n in weights.notes if "without a CSS weight" in n)
    possession = volumes["92C"] + volumes["92D"] + volumes["92E"]
    share = possession / (possession + volumes["92A"])
    assert f"Drugs ({share:.1%})" in note
    assert weights.weight_for("Shoplifting") is None
    assert any("Shoplifting" in n for n in weights.notes if n.startswith("no CSS weight"))


def test_ods_reads_the_same_as_xlsx(tmp_path: Path) -> None:
    sheets = {"Notes": [("about",)], "List of weights": _sheet_rows()}
    from_ods = load_weights(_ods(tmp_path / "css.ods", sheets))
    from_xlsx = load_weights(_xlsx(tmp_path / "css.xlsx", sheets))
    assert from_ods.code_weights == from_xlsx.code_weights
    assert from_ods.weights == from_xlsx.weights
    assert from_ods.notes == from_xlsx.notes


@pytest.mark.parametrize(
    ("sheet", "header"),
    [
        (" list of WEIGHTS ", ("Offence category", "Offence code", "Offence", "Weight")),
        ("List of weights", ("OFFENCE CATEGORY", "offence code", "Offence", "Severity weight")),
        ("List of weights", ("", "Offence code [note 2]", "Offence", "Weight")),
    ],
)
def test_sheet_and_header_names_are_matched_loosely(
    tmp_path: Path, sheet: str, header: Row
) -> None:
    path = _xlsx(tmp_path / "css.xlsx", {sheet: _sheet_rows(header=header)})
    assert load_weights(path).weight_for_code("34B") == 30.0


def test_load_weights_dispatches_on_suffix(tmp_path: Path) -> None:
    upper = _css(tmp_path, name="CSS.XLSX")
    assert load_weights(upper).code_weights == load_css_workbook(upper).code_weights
    # a CSV is read as before, even one beside a workbook
    csv_path = tmp_path / "weights.csv"
    csv_path.write_text("category,weight\nBurglary,250\n", encoding="utf-8")
    assert load_weights(csv_path).weights == {"Burglary": 250.0}
    assert load_weights(csv_path).notes == ()


# --------------------------------------------------------------------------- errors


def _error(tmp_path: Path, body: list[Row], kind: type[Exception] = InputError) -> str:
    with pytest.raises(kind) as info:
        load_weights(_css(tmp_path, body))
    return str(info.value)


def test_missing_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "other.xlsx", {"Contents": [("x",)], "Table 1": _sheet_rows()})
    with pytest.raises(InputError) as info:
        load_weights(path)
    message = str(info.value)
    assert str(path) in message and "'List of weights'" in message
    assert "'Contents', 'Table 1'" in message
    assert "Fix:" in message


@pytest.mark.parametrize("value", ["n/a", -1, "inf", "7,979"])
def test_bad_weight_names_row_column_and_value(tmp_path: Path, value: object) -> None:
    body = [*BODY[:4], (None, "8N", "Assault with injury", value), *BODY[5:]]
    message = _error(tmp_path, body)
    assert "sheet 'List of weights', row 9, column 'D' (weight)" in message
    assert f"value {str(value)!r}" in message
    assert "(category 'Violence against the person')" in message  # filled down from row 7
    assert "Fix:" in message


def test_same_code_twice_with_different_weights(tmp_path: Path) -> None:
    message = _error(tmp_path, [*BODY, ("Robbery", "34a", "Robbery again", 12)])
    assert "row 21" in message and "row 5" in message
    assert "34A" in message and "12" in message and "10" in message


def test_same_code_twice_with_the_same_weight_is_accepted(tmp_path: Path) -> None:
    weights = load_weights(_css(tmp_path, [*BODY, ("Robbery", "34a", "Robbery again", 10)]))
    assert weights.code_weights["34A"] == 10.0


def test_numeric_codes_that_lose_their_trailing_zero_are_explained(tmp_path: Path) -> None:
    message = _error(
        tmp_path, [("Homicide", 4.1, "Manslaughter", 200), (None, 4.10, "Infanticide", 300)]
    )
    assert "4.10 reads as 4.1" in message and "row 6" in message


def test_code_without_weight_and_weight_without_code(tmp_path: Path) -> None:
    message = _error(tmp_path, [("Robbery", "34A", "Robbery of business property", None)])
    assert "row 5, column 'D' (weight)" in message and "34A" in message
    message = _error(tmp_path, [("Robbery", "see note 3", "Robbery", 10)])
    assert "row 5, column 'B' (offence code), value 'see note 3'" in message


def test_no_header_row(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "css.xlsx", {"List of weights": [("Offence", "Score"), ("x", 1)]})
    with pytest.raises(FileFormatError, match="no header row in the first 30 rows"):
        load_weights(path)


def test_no_usable_rows(tmp_path: Path) -> None:
    assert "no offence code with a weight" in _error(tmp_path, [(), ("Note 1: none",)])
    message = _error(tmp_path, [("Fraud", "53A", "Cheque fraud", 12)])
    assert "none of its 1 offence codes is in commsafe's offence hierarchy" in message


@pytest.mark.parametrize("name", ["css.xlsx", "css.ods", "css.xls", "css.xlsm"])
def test_corrupt_file_is_a_file_format_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(os.urandom(2048))
    with pytest.raises(FileFormatError) as info:
        load_weights(path)
    assert str(path) in str(info.value) and "Fix:" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "css.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(FileFormatError, match="cannot be read as an Excel or OpenDocument"):
        load_weights(path)


def test_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="workbook not found"):
        load_weights(tmp_path / "missing.xlsx")


# --------------------------------------------------------------------------- the volumes file

def test_packaged_volumes_equal_a_fresh_sum_of_the_home_office_table(
    crime_sim_wheel: Path,
) -> None:
    with zipfile.ZipFile(crime_sim_wheel) as archive:
        text = archive.read("crime_sim_toolkit/src/prc-pfa-201718_new.csv").decode("utf-8-sig")
    totals: Counter[str] = Counter()
    fraud = set()
    for row in csv.DictReader(io.StringIO(text)):
        assert row["Financial_Year"] == "2017/18"
        if row["Offence_Group"] == "Fraud offences":
            fraud.add(row["Offence_Code"])
            continue
        totals[row["Offence_Code"].replace("/", "+")] += int(row["Number_of_Offences"])
    assert fraud == {"AF", "CIFAS", "FFA UK", "UK Finance"}
    assert _packaged_volumes() == dict(totals)
    assert sum(totals.values()) == 4_881_043


def test_packaged_volumes_cover_the_hierarchy_and_cite_their_source() -> None:
    volumes = _packaged_volumes()
    codes = [code for key in volumes for code in key.split("+")]
    assert sorted(codes) == sorted(code for group in HIERARCHY for code in group.ho_codes)
    assert all(count >= 0 for count in volumes.values())
    head = " ".join(
        line for line in VOLUMES.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    )
    assert "prc-pfa-201718_new.csv" in head and "crime-sim-toolkit 1.5.0" in head
    assert "Number_of_Offences" in head and "Fraud offences" in head
