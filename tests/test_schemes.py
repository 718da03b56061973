from hypothesis import given
from hypothesis import strategies as st

import pytest

from zhner.schemes import decode, encode, parse_tag
from zhner.spans import Span


@st.composite
def flat_spans(draw):
    length = draw(st.integers(0, 40))
    cuts = sorted(draw(st.sets(st.integers(0, length), max_size=12)))
    spans = []
    for a, b in zip(cuts[::2], cuts[1::2]):
        if a < b:
            spans.append(Span(a, b, draw(st.sampled_from(["PER", "LOC", "ORG", "X"]))))
    return length, spans


@given(flat_spans(), st.sampled_from(["BIO", "BIOES"]))
def test_roundtrip_is_identity(case, scheme):
    length, spans = case
    tags = encode(length, spans, scheme)
    assert len(tags) == length
    decoded, problems = decode(tags, scheme)
    assert decoded == sorted(spans)
    assert problems == []


def test_bmes_is_bioes():
    spans, problems = decode(["B-NAME", "M-NAME", "E-NAME", "O", "S-ORG"])
    assert spans == [Span(0, 3, "NAME"), Span(4, 5, "ORG")] and problems == []


def test_repair_i_after_o_starts_entity():
    spans, problems = decode(["O", "I-LOC", "I-LOC", "I-PER"])
    assert spans == [Span(1, 3, "LOC"), Span(3, 4, "PER")]
    assert [p[0] for p in problems] == [1, 3]


def test_repair_unclosed_bioes_entity():
    spans, problems = decode(["B-X", "I-X", "O", "E-Y"], "BIOES")
    assert spans == [Span(0, 2, "X"), Span(3, 4, "Y")]
    assert len(problems) == 2


def test_untyped_tags_and_bad_tags():
    assert decode(["B", "I", "E", "S"])[0] == [Span(0, 3, "ENT"), Span(3, 4, "ENT")]
    with pytest.raises(ValueError):
        parse_tag("X-PER")
    with pytest.raises(ValueError):
        encode(3, [Span(0, 2, "A"), Span(1, 3, "B")])
