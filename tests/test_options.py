"""The command-line forms every command and study shares (`experiments.options`): KEY=VALUE
typing, KIND:key=value specs and integer lists, with one-line errors naming the flag."""

from __future__ import annotations

import pytest

from experiments.options import (
    parse_int_list,
    parse_key_values,
    parse_kind_options,
    parse_value,
    split_top,
)


@pytest.mark.parametrize("text, value", [
    ("3", 3), ("-2", -2), ("0.1", 0.1), ("1e-3", 1e-3), ("True", True), ("False", False),
    ("None", None), ("'quoted'", "quoted"), ("(1, 2)", (1, 2)), ("[64, 64]", [64, 64]),
    ("{'max_depth': 3}", {"max_depth": 3}), (" 7 ", 7),
    # not a literal: the text itself
    ("ucb", "ucb"), ("results/live.db", "results/live.db"), ("cifar10-valid", "cifar10-valid"),
    ("nb201.csv", "nb201.csv"), ("1/2", "1/2"), ("0-4", "0-4"), ("", ""), ("nan", "nan"),
])
def test_values_are_literals_else_text(text, value):
    got = parse_value(text)
    assert got == value and type(got) is type(value)


def test_key_values():
    assert parse_key_values(["k=3", " beta = 0.1", "name=a=b", "flag=True", "k=4"], "--param") \
        == {"k": 4, "beta": 0.1, "name": "a=b", "flag": True}
    assert parse_key_values([], "--param") == {}
    for bad in ("k", "=3", " =3"):
        with pytest.raises(ValueError, match=r"^--param expects KEY=VALUE, got ") as info:
            parse_key_values([bad], "--param")
        assert "\n" not in str(info.value)


def test_kind_options():
    assert parse_kind_options("default", "--benchmark") == ("default", {})
    assert parse_kind_options("table:path=x.csv,space=nb201, test_column=t", "--benchmark") == \
        ("table", {"path": "x.csv", "space": "nb201", "test_column": "t"})
    # a comma inside brackets or quotes does not separate
    assert parse_kind_options("k:shape=(3, 8, 8),name='a,b'", "--benchmark") == \
        ("k", {"shape": (3, 8, 8), "name": "a,b"})
    # an unbalanced quote (a path with an apostrophe) splits at every comma
    assert parse_kind_options("table:path=O'Brien.csv,space=nb201", "--benchmark") == \
        ("table", {"path": "O'Brien.csv", "space": "nb201"})
    with pytest.raises(ValueError, match=r"^--benchmark expects KIND or KIND:key=value"):
        parse_kind_options(":path=x", "--benchmark")
    with pytest.raises(ValueError, match=r"^--benchmark expects KEY=VALUE, got 'oops'"):
        parse_kind_options("table:oops", "--benchmark")


def test_split_top():
    assert split_top("a:b={'x': 1, 'y': 2}:c", ":") == ["a", "b={'x': 1, 'y': 2}", "c"]
    assert split_top("a,[1,2],'c,d'", ",") == ["a", "[1,2]", "'c,d'"]
    assert split_top("a,(b", ",") == ["a", "(b"]  # unbalanced: a plain split


@pytest.mark.parametrize("text, ints", [
    ("5", [5]), (5, [5]), ("0,3,7", [0, 3, 7]), ("0-3", [0, 1, 2, 3]),
    ("100..102", [100, 101, 102]),
    ("0-2,25", [0, 1, 2, 25]), (" 3 - 4 , 1 ", [3, 4, 1]), ("2,1-3,2", [2, 1, 3]), ("4-4", [4]),
    ("1,,2,", [1, 2]),
])
def test_int_lists(text, ints):
    assert parse_int_list(text, "--seeds") == ints


@pytest.mark.parametrize("text", ["", ",", "a", "5-2", "-1", "1.5", "1-", "0-x", "²"])
def test_bad_int_lists_are_one_line_errors_naming_the_flag(text):
    with pytest.raises(ValueError, match=r"^--seeds expects integers >= 0") as info:
        parse_int_list(text, "--seeds")
    assert "\n" not in str(info.value) and repr(text) in str(info.value)


def test_int_list_minimum():
    assert parse_int_list("1-3", "--checkpoints", minimum=1) == [1, 2, 3]
    with pytest.raises(ValueError, match=r"^--checkpoints expects integers >= 1"):
        parse_int_list("0,5", "--checkpoints", minimum=1)


def test_sweep_spec_takes_the_same_integer_lists():
    from experiments.spec import SpecError, parse_spec

    def spec(seeds):
        return parse_spec({"sweep": {"seeds": seeds},
                           "benchmarks": [{"kind": "default"}], "predictors": [{"name": "xgb"}]},
                          "s.toml")

    assert spec("0-2,7").seeds == (0, 1, 2, 7)
    assert spec([4, 5]).seeds == (4, 5)
    with pytest.raises(SpecError, match=r"^s\.toml: sweep\.seeds expects integers >= 0"):
        spec("3-1")
