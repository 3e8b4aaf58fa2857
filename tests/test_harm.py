"""Harm weights: the packaged example, the CSV reader's checks and harm totals."""

from __future__ import annotations

from pathlib import Path

import pytest

from commsafe.errors import FileFormatError, InputError
from commsafe.hierarchy import police_uk_order
from commsafe.measures.harm import HarmWeights, example_weights_path, load_weights
from commsafe.taxonomy import ASB, CRIME_TYPES


def _write(tmp_path: Path, text: str, name: str = "weights.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the example


def test_example_is_packaged_and_labelled_as_an_example() -> None:
    path = example_weights_path()
    assert path.is_file()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# EXAMPLE ONLY")
    comment = " ".join(line for line in lines if line.startswith("#"))
    # the source and method are cited, and approximations admitted
    assert "Cambridge Crime Harm Index" in comment
    assert "Sherman" in comment
    assert "approximate" in comment.lower()


def test_example_weights_every_police_uk_crime_type() -> None:
    weights = load_weights(example_weights_path())
    assert set(weights.weights) == set(CRIME_TYPES)
    for crime_type in police_uk_order():
        weight = weights.weight_for(crime_type)
        assert weight is not None and weight >= 0, crime_type
    assert weights.weight_for(ASB) is None
    # an order the sentencing-based idea must respect whatever the exact figures
    order = ["Robbery", "Violence and sexual offences", "Public order", "Shoplifting"]
    values = [weights.weights[name] for name in order]
    assert values == sorted(values, reverse=True)
    assert values[0] > 10 * values[2]
    assert all(weights.sources.get(crime_type) for crime_type in CRIME_TYPES)


def test_harm_multiplies_counts_by_weights() -> None:
    weights = load_weights(example_weights_path())
    robbery = weights.weight_for("Robbery")
    drugs = weights.weight_for("Drugs")
    assert robbery is not None and drugs is not None
    result = weights.harm({"Robbery": 3, "Drug offences": 10, "Shoplifting": 0})
    assert result == {"Robbery": 3 * robbery, "Drug offences": 10 * drugs, "Shoplifting": 0.0}


def test_harm_refuses_unweighted_categories_unless_told(tmp_path: Path) -> None:
    weights = load_weights(example_weights_path())
    with pytest.raises(InputError) as info:
        weights.harm({"Burglary": 1, ASB: 5, "Residential burglary": 2})
    message = str(info.value)
    assert repr(ASB) in message and "'Residential burglary'" in message
    assert "'Burglary'" not in message.split(". Fix")[0]
    assert str(example_weights_path()) in message
    result = weights.harm({"Burglary": 1, ASB: 5}, skip_unweighted=True)
    assert set(result) == {"Burglary"}
    with pytest.raises(InputError, match="non-negative"):
        weights.harm({"Burglary": -1})


def test_inherit_uses_the_police_uk_type_weight() -> None:
    weights = load_weights(example_weights_path())
    assert weights.weight_for("Residential burglary") is None
    assert weights.weight_for("Residential burglary", inherit=True) == weights.weight_for(
        "Burglary"
    )
    assert weights.weight_for("Theft offences", inherit=True) is None
    assert weights.weight_for("Not a category", inherit=True) is None


# --------------------------------------------------------------------------- good files


def test_names_aliases_codes_and_comments(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "# comment before the header\n"
        "Category,Weight,Source\n"
        "Homicides,5475,murder starting point\n"
        "# a comment between rows\n"
        "\n"
        "Domestic burglary,273.5,\n"
        "Violent crime,230,legacy police.uk name\n"
        '"Death or serious injury - unlawful driving",365,\n',
    )
    weights = load_weights(path)
    assert isinstance(weights, HarmWeights)
    assert weights.weight_for("Homicide") == 5475
    assert weights.weight_for("homicides") == 5475
    assert weights.weight_for("Residential burglary") == 273.5
    assert weights.weight_for("Violence and sexual offences") == 230
    assert weights.weight_for("Death or serious injury – unlawful driving") == 365
    assert weights.sources["Homicide"] == "murder starting point"
    assert "Residential burglary" not in weights.sources


def test_offence_code_weights(tmp_path: Path) -> None:
    path = _write(tmp_path, "ho_code,weight\n4/1,5475\n8N,365\n105a,10\n")
    weights = load_weights(path)
    assert weights.weight_for_code("4.1") == 5475
    assert weights.weight_for_code("8n") == 365
    assert weights.weight_for_code("105A") == 10
    assert weights.weight_for_code("4.10") is None
    assert weights.weights == {}


def test_mixed_category_and_code_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "category,ho_code,weight\nBurglary,,250\n,46,1\n")
    weights = load_weights(path)
    assert weights.weight_for("Burglary") == 250
    assert weights.weight_for_code("46") == 1


# --------------------------------------------------------------------------- bad files


def _error(path: Path) -> str:
    with pytest.raises(InputError) as info:
        load_weights(path)
    message = str(info.value)
    assert str(path) in message
    assert "Fix" in message
    return message


def test_missing_weight_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "# notes\ncategory,wieght\nBurglary,250\n")
    message = _error(path)
    assert "line 2" in message
    assert "missing column 'weight'" in message


def test_missing_category_column(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "crime,weight\nBurglary,250\n"))
    assert "missing column 'category'" in message and "line 1" in message


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("abc", "not a number"),
        ("1,095", "not a number"),
        ("-1", "cannot be negative"),
        ("-0.5", "cannot be negative"),
        ("nan", "not a finite number"),
        ("inf", "not a finite number"),
    ],
)
def test_bad_weight_values(tmp_path: Path, value: str, problem: str) -> None:
    path = _write(tmp_path, f'# header next\ncategory,weight\nRobbery,365\nBurglary,"{value}"\n')
    message = _error(path)
    assert problem in message
    assert "line 4" in message
    assert "column 'weight'" in message
    assert f"value {value!r}" in message


def test_empty_weight(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "category,weight\nBurglary,\n"))
    assert "line 2" in message and "empty" in message


def test_duplicate_category_names_both_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "category,weight\nDrugs,3\nRobbery,365\n# x\nDrug offences,4\n")
    message = _error(path)
    assert "line 5" in message and "line 2" in message
    assert "'Drug offences'" in message and "'Drugs'" in message
    assert "duplicate" in message


def test_duplicate_through_alias(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "category,weight\nHomicide,1\nHOMICIDES,2\n"))
    assert "line 3" in message and "line 2" in message


def test_duplicate_offence_code(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "ho_code,weight\n4/1,1\n4.1,2\n"))
    assert "line 3" in message and "line 2" in message and "'4.1'" in message


def test_unknown_category_lists_valid_names(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "category,weight\nBurglary,250\nCar crime,5\n"))
    assert "line 3" in message and "column 'category'" in message
    assert "value 'Car crime'" in message
    for name in ("Vehicle crime", "Residential burglary", "Homicide", ASB):
        assert name in message


def test_unknown_and_fraud_offence_codes(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "ho_code,weight\nAF,1\n"))
    assert "line 2" in message and "value 'AF'" in message and "fraud" in message


def test_row_with_both_or_neither_category_and_code(tmp_path: Path) -> None:
    both = _error(_write(tmp_path, "category,ho_code,weight\nBurglary,28E,250\n", "a.csv"))
    assert "both" in both and "line 2" in both
    neither = _error(_write(tmp_path, "category,ho_code,weight\n,,250\n", "b.csv"))
    assert "names no category" in neither and "line 2" in neither


def test_too_many_fields(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "category,weight\nTheft, other,2\n"))
    assert "line 2" in message and "double quotes" in message


@pytest.mark.parametrize("text", ["", "# only comments\n", "category,weight\n"])
def test_no_weights(tmp_path: Path, text: str) -> None:
    _error(_write(tmp_path, text))


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_weights(tmp_path / "nope.csv")
    path = tmp_path / "latin1.csv"
    path.write_bytes("category,weight\nBurglary,250 \xa3\n".encode("latin-1"))
    with pytest.raises(FileFormatError, match="UTF-8"):
        load_weights(path)
