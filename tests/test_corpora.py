import json

import pytest

from zhner import Example, Span, read_corpus, write_corpus
from zhner.corpora import CorpusError, detect_format
from zhner.spans import DataError


def test_real_datasets_match_source_counts(data_dir):
    expected = {"cluener2020/train.json": ("cluener", 10748, 23972), "cluener2020/dev.json": ("cluener", 1343, 3072),
                "cmeee/split_train.json": ("cmeee", 4000, 16470), "cmeee/split_test.json": ("cmeee", 1000, 3830),
                "msra/msra_test_bio": ("conll", 3442, 6190), "ecommerce_wavewangyue/test": ("ecommerce", 2000, 5606)}
    for rel, (fmt, n, ents) in expected.items():
        corpus = read_corpus(data_dir / rel)
        assert (corpus.format, len(corpus), sum(len(e.spans) for e in corpus)) == (fmt, n, ents), rel
    msra = read_corpus(data_dir / "msra/msra_test_bio")
    assert sum(len(e.text) for e in msra) == 172601
    cmeee = read_corpus(data_dir / "cmeee/CMeEE_test.json")
    assert len(cmeee) == 3000 and not any(e.spans for e in cmeee)


@pytest.mark.parametrize("fmt", ["jsonl", "cluener", "cmeee"])
def test_roundtrip_nested(tmp_path, fmt):
    examples = [Example("北京大学医学部在北京", (Span(0, 4, "ORG"), Span(0, 2, "LOC"), Span(8, 10, "LOC"))),
                Example("", ()), Example("a b\tc", (Span(0, 1, "X"),))]
    if fmt != "jsonl":
        examples = [e for e in examples if e.text]
    path = tmp_path / f"out.{fmt}"
    write_corpus(examples, path, fmt)
    assert read_corpus(path, fmt).examples == examples


@pytest.mark.parametrize("fmt", ["bio", "bioes", "ecommerce"])
def test_roundtrip_flat(tmp_path, fmt):
    examples = [Example("张三 在北京", (Span(0, 2, "PER"), Span(4, 6, "LOC"))), Example("好", (Span(0, 1, "X"),))]
    path = tmp_path / ("eco" if fmt == "ecommerce" else "out.conll")
    write_corpus(examples, path, fmt)
    assert read_corpus(path).examples == examples


def test_detect_format(tmp_path):
    cases = {"a.txt": "今天天气很好\n", "b.json": '[{"text": "x", "entities": []}]',
             "c.json": '{"text": "x", "label": {}}\n', "d.jsonl": '{"text": "x", "spans": []}\n',
             "e.txt": "高 B-NAME\n"}
    expect = {"a.txt": "text", "b.json": "cmeee", "c.json": "cluener", "d.jsonl": "jsonl", "e.txt": "conll"}
    for name, content in cases.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
        assert detect_format(tmp_path / name) == expect[name]


def test_weibo_and_resume_styles(tmp_path):
    (tmp_path / "w.conll").write_text("科0\tB-ORG\n技1\tI-ORG\n \tO\n\n我0\tO\n", encoding="utf-8")
    corpus = read_corpus(tmp_path / "w.conll")
    assert [e.text for e in corpus] == ["科技 ", "我"] and corpus.examples[0].spans == (Span(0, 2, "ORG"),)
    (tmp_path / "r.char.bmes").write_text("高 B-NAME\n勇 E-NAME\n： O\n\n", encoding="utf-8")
    assert read_corpus(tmp_path / "r.char.bmes").examples == [Example("高勇：", (Span(0, 2, "NAME"),))]


BROKEN = {
    "jsonl": ('{"text": "abc", "spans": []}\n{"text": "abc", "spans": [{"start": 2, "end": 9, "label": "X"}]}\n'
              '{"text": "ok", "spans": []}\n', 2, "outside the text"),
    "cluener": ('{"text": "abc", "label": {}}\n{"text": "abc", "label": {"X": {"ab": [[1, 2]]}}}\n', 2, "record says"),
    "cmeee": ('[\n {"text": "abc", "entities": []},\n {"text": "abc",\n  "entities": [{"start_idx": 2, "end_idx": 1, '
              '"type": "X"}]}\n]\n', 3, "start must be < end"),
    "conll": ("我\tO\n\n北\tO\n京\tI-LOC\n\n", 4, "does not continue"),
}


@pytest.mark.parametrize("fmt", list(BROKEN))
def test_broken_files_report_path_and_line(tmp_path, fmt):
    content, line, words = BROKEN[fmt]
    path = tmp_path / f"bad.{fmt}"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        read_corpus(path, fmt)
    err = info.value.errors[0]
    assert (err.path, err.line) == (str(path), line) and words in err.message
    assert str(err).startswith(f"{path}:{line}: ")
    lenient = read_corpus(path, fmt, lenient=True)
    assert len(lenient.skipped) + len(lenient.repaired) == 1 and len(lenient) >= 1


def test_bad_json_encoding_and_empty(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_bytes(b'{"text": "ok", "spans": []}\n{"text": \n' + '{"text": "好"}\n'.encode("gbk") + b"\n")
    corpus = read_corpus(p, "jsonl", lenient=True)
    assert [e.line for e in corpus.skipped] == [2, 3] and "bad JSON" in corpus.skipped[0].message
    assert "UTF-8" in corpus.skipped[1].message and len(corpus) == 1
    (tmp_path / "empty.json").write_text("  \n")
    with pytest.raises(DataError, match="empty"):
        read_corpus(tmp_path / "empty.json")
    (tmp_path / "trunc.json").write_text('[{"text": "a", "entities": []},\n{"text": "b", "ent')
    corpus = read_corpus(tmp_path / "trunc.json", lenient=True)
    assert len(corpus) == 1 and corpus.skipped[0].line == 2


def test_ecommerce_count_mismatch(tmp_path):
    (tmp_path / "input.seq.char").write_text("a b\nc d\n", encoding="utf-8")
    (tmp_path / "output.seq.bioattr").write_text("B-X I-X\nO\n", encoding="utf-8")
    corpus = read_corpus(tmp_path, lenient=True)
    assert len(corpus) == 1 and corpus.skipped[0].line == 2 and "2 characters but 1 tags" in corpus.skipped[0].message


def test_jsonl_written_is_canonical(tmp_path):
    write_corpus([Example("张三", (Span(0, 2, "PER"),))], tmp_path / "o.jsonl")
    assert json.loads((tmp_path / "o.jsonl").read_text(encoding="utf-8")) == {
        "text": "张三", "spans": [{"start": 0, "end": 2, "label": "PER", "text": "张三"}]}


def test_core_entity_format_labels_every_occurrence_longest_first(tmp_path):
    from zhner.metrics import mention_scores
    path = tmp_path / "core.jsonl"
    path.write_text('{"text": "北京大学在北京，北京很大", "entities": ["北京", "北京大学"]}\n'
                    '{"text": "没有", "entities": ["上海"]}\n', encoding="utf-8")
    assert detect_format(path) == "core"
    corpus = read_corpus(path, lenient=True)
    ex = corpus.examples[0]
    assert [ex.mention(s) for s in ex.spans] == ["北京大学", "北京", "北京"]
    assert corpus.skipped[0].line == 2 and "does not occur" in corpus.skipped[0].message
    scores = mention_scores([ex, ex], [ex.spans, ex.spans[:1]])
    assert scores["sentence_accuracy"] == 0.5 and scores["recall"] == 3 / 4
    write_corpus(corpus.examples, tmp_path / "out.jsonl", "core")
    assert json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))["entities"] == ["北京大学", "北京"]


def test_a_failed_write_leaves_the_previous_file(tmp_path):
    path = tmp_path / "out.jsonl"
    write_corpus([Example("北京", [Span(0, 2, "LOC")])], path)
    before = path.read_bytes()

    def examples():
        yield Example("上海", [Span(0, 2, "LOC")])
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_corpus(examples(), path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
    write_corpus([Example("上海", [Span(0, 2, "LOC")])], path)
    assert read_corpus(path).examples[0].text == "上海"
