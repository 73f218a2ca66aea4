"""OLX attribute values: decoded the way Studio reads them, written back to the same text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lpconvert_olx.values import block_file, decode_value, encode_value


def test_studio_json_values_decode_to_json() -> None:
    assert decode_value("true") is True
    assert decode_value("null") is None
    assert decode_value("10.0") == 10.0
    assert decode_value('["a", "b"]') == ["a", "b"]
    assert decode_value('{"en": "x.srt"}') == {"en": "x.srt"}


def test_strings_that_only_look_like_json_stay_strings() -> None:
    for text in ("2025-06-01T00:00:00Z", "True", "1e3", " 1", '{"a":1}', '"quoted"', "", "7200 seconds"):
        assert decode_value(text) == text


@given(st.text())
def test_every_attribute_text_comes_back_unchanged(text: str) -> None:
    assert encode_value(decode_value(text)) == text


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                     max_leaves=8)


@given(_JSON.filter(lambda v: not isinstance(v, str)))
def test_json_values_survive_writing_and_reading(value: object) -> None:
    """Any non-string value; a string like "true" is ambiguous in OLX itself (Studio reads it as true)."""
    assert decode_value(encode_value(value)) == value


def test_url_names_with_colons_are_subfolders() -> None:
    assert block_file("problem", "week1:quiz") == "problem/week1/quiz.xml"
    assert block_file("html", "a:b", drafts=True) == "drafts/html/a/b.xml"


def test_nan_and_infinity_in_an_attribute_stay_text() -> None:
    """JSON has no NaN or Infinity: as floats they would reach the json format as null."""
    for text in ("-Infinity", "[1, NaN]", '{"a": Infinity}'):
        assert decode_value(text) == text
