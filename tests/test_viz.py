import re

from zhner import Example, Span
from zhner.viz import PAGE_END, render_docs, render_text, report_start


def marks(html):
    return re.findall(r'<mark data-span="(\d+)" data-label="(\w+)" data-start="(\d+)" data-end="(\d+)"', html)


def test_nested_spans_nest_and_text_survives():
    text = "北京大学<b>在</b>北京"
    html = render_text(text, [Span(0, 4, "ORG"), Span(0, 2, "LOC"), Span(len(text) - 2, len(text), "LOC")])
    assert re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">") == text
    assert html.startswith('<mark data-span="0" data-label="ORG"') and '<mark data-span="1" data-label="LOC"' in html
    assert 'LOC [0, 2)">北京</mark>大学</mark>' in html   # LOC opens and closes inside ORG
    assert "&lt;b&gt;" in html


def test_crossing_spans_split_into_pieces_with_one_id():
    html = render_text("abcdef", [Span(0, 3, "A"), Span(2, 5, "B")])
    pieces = [m for m in marks(html) if m[1] == "B"]
    assert len(pieces) == 2 and pieces[0][0] == pieces[1][0] and html.count("<mark") == html.count("</mark>")


def test_report_has_legend_and_every_span():
    examples = [Example("张三在北京", (Span(0, 2, "PER"), Span(3, 5, "LOC"))), Example("", ())]
    html = report_start({"PER", "LOC"}) + render_docs(examples[:1]) + render_docs(examples[1:]) + PAGE_END
    assert html.startswith("<!doctype html>") and 'class="legend"' in html and len(marks(html)) == 2
