"""The storage codec parses exactly what the standard library parses, and writes what it reads back."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visitor.storage import codec

TEXT = st.text()  # includes lone surrogates, which orjson refuses
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


def _same(a, b) -> bool:
    """Equal, and of the same type all the way down (1 and 1.0 are different answers)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_what_it_writes_reads_back_the_same_by_both_parsers(value):
    raw = codec.dumps(value)
    assert _same(codec.loads(raw), value)
    assert _same(json.loads(raw), value)
    assert _same(codec.copy(value), value)


@pytest.mark.parametrize("raw", [
    b'{"a": 1, "a": 2}',                      # duplicate keys: the last wins in both
    b'[12345678901234567890123456789]',        # beyond 64 bits: orjson declines, json reads it
    b'[NaN, Infinity, -Infinity]',             # json's extension
    b'["\\ud800"]',                            # an escaped lone surrogate
    '{"x": "caf\u00e9"}'.encode("utf-16"),     # UTF-16 with a byte-order mark
    b'[1e400, -0.0, 0.1, 5e-324]',
    b'  {"nested": [[[]]], "t": true, "f": false, "n": null}  ',
])
def test_it_parses_to_exactly_what_json_parses_to(raw):
    ours, theirs = codec.loads(raw), json.loads(raw)
    assert repr(ours) == repr(theirs)
    assert _same(ours, theirs) or math.isnan(ours[0])  # NaN is never equal to itself


@pytest.mark.parametrize("number", ["9223372036854775808", "-9223372036854775809", "18446744073709551616",
                                   "123456789012345678901234567890"])
def test_an_integer_beyond_64_bits_stays_an_integer_wherever_it_sits(number):
    for raw in (number, f"[{number}]", f'{{"a": {{"b": [1, {number}]}}}}'):
        assert _same(codec.loads(raw), json.loads(raw))
    assert _same(codec.copy({"n": int(number)}), {"n": int(number)})


def test_nesting_beyond_the_limit_is_refused_whichever_parser_read_it():
    for depth, inner in ((5, ""), (5, "99999999999999999999")):  # the second is read again by json
        raw = "[" * depth + inner + "]" * depth
        assert codec.loads(raw, depth) is not None
        with pytest.raises(codec.TooDeep):
            codec.loads(raw, depth - 1)


@pytest.mark.parametrize("raw", [b"", b"{", b'{"a":}', b"\xff\xfe\x00", b"[1,]", b"nul"])
def test_what_json_refuses_it_refuses_with_a_value_error(raw):
    with pytest.raises(ValueError):
        json.loads(raw)
    with pytest.raises(ValueError):
        codec.loads(raw)


def test_a_lone_surrogate_is_written_as_the_standard_library_wrote_it():
    value = {"note": "half \ud83d of a pair"}
    assert codec.dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass")
    assert codec.loads(codec.dumps(value)) == value
