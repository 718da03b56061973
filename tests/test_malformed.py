"""Malformed corpora, every format: each broken file gets a `path:line: message` error in strict mode,
and with lenient=True every good record is kept and each bad one is counted. Harmless variations (BOM,
CRLF, runs of blank lines, whitespace-only lines, no final newline) read exactly like the clean file."""
import pytest

from zhner.corpora import CorpusError, read_corpus

GBK = "好".encode("gbk")


def lines(*records: str) -> bytes:
    return "".join(r + "\n" for r in records).encode("utf-8")


GOOD = {
    "jsonl": '{"text": "张三在北京", "spans": [{"start": 0, "end": 2, "label": "PER", "text": "张三"}]}',
    "cluener": '{"text": "张三在北京", "label": {"PER": {"张三": [[0, 1]]}}}',
    "core": '{"text": "张三在北京", "entities": ["张三"]}',
}
# (name, bad line, line of the error, words in the message); the bad line sits between two good records
BAD_LINES = {
    "jsonl": [("truncated JSON", '{"text": "张三在北京", "spans": [', "bad JSON"),
              ("offsets past the end", '{"text": "abc", "spans": [{"start": 2, "end": 9, "label": "X"}]}',
               "outside the text"),
              ("start after end", '{"text": "abc", "spans": [{"start": 2, "end": 1, "label": "X"}]}',
               "start must be < end"),
              ("mismatched entity text",
               '{"text": "abc", "spans": [{"start": 0, "end": 2, "label": "X", "text": "zz"}]}', "record says 'zz'"),
              ("offsets not integers", '{"text": "abc", "spans": [{"start": "0", "end": 2, "label": "X"}]}',
               "must be integers"),
              ("no text", '{"spans": []}', 'no string field "text"'),
              ("not an object", '["张三"]', "expected a JSON object")],
    "cluener": [("truncated JSON", '{"text": "张三在北京", "label": {"PER": {"张三": [[0,', "bad JSON"),
                ("offsets past the end", '{"text": "abc", "label": {"X": {"c": [[2, 8]]}}}', "outside the text"),
                ("mismatched entity text", '{"text": "abc", "label": {"X": {"zz": [[0, 1]]}}}', "record says 'zz'"),
                ("label not an object", '{"text": "abc", "label": ["X"]}', '"label" must be an object'),
                ("positions not pairs", '{"text": "abc", "label": {"X": {"a": [0, 0]}}}', "list of [start, end]")],
    "core": [("truncated JSON", '{"text": "张三在北京", "entities": ["张', "bad JSON"),
             ("entity not in text", '{"text": "张三在北京", "entities": ["上海"]}', "does not occur"),
             ("entities not strings", '{"text": "张三在北京", "entities": [3]}', "non-empty strings")],
}


def _cases():
    for fmt, bad in BAD_LINES.items():
        for name, line, words in bad:
            yield fmt, name, {"data": lines(GOOD[fmt], line, GOOD[fmt])}, 2, words, 2
        good = lines(GOOD[fmt])
        yield fmt, "line in GBK", {"data": good + b'{"text": "' + GBK + b'"}\n' + good}, 2, "not valid UTF-8", 2
    cm = '{"text": "张三在北京", "entities": [{"start_idx": 0, "end_idx": 1, "type": "PER", "entity": "张三"}]}'
    for name, bad, words, kept in [
            ("offsets past the end", '{"text": "abc", "entities": [{"start_idx": 1, "end_idx": 7, "type": "X"}]}',
             "outside the text", 2),
            ("mismatched entity text",
             '{"text": "abc", "entities": [{"start_idx": 0, "end_idx": 0, "type": "X", "entity": "b"}]}',
             "record says 'b'", 2),
            ("entity without type", '{"text": "abc", "entities": [{"start_idx": 0, "end_idx": 0}]}',
             'needs "start_idx", "end_idx" and "type"', 2),
            ("truncated JSON", '{"text": "abc", "entities": [{"start_idx": 0, "end_i', "bad JSON", 1)]:
        yield "cmeee", name, {"data": f"[\n{cm},\n{bad},\n{cm}\n]\n".encode()}, 3, words, kept
    gbk_record = b'{"text": "' + GBK + b'", "entities": []}'
    yield "cmeee", "record in GBK", {"data": f"[\n{cm},\n".encode() + gbk_record + f",\n{cm}\n]\n".encode()}, \
        3, "not valid UTF-8", 2
    yield "cmeee", "list never closed", {"data": f"[\n{cm},\n{cm}\n".encode()}, 4, "not closed", 2
    s1, s2 = "张\tB-PER\n三\tI-PER\n\n", "北\tB-LOC\n京\tI-LOC\n\n"
    for name, bad, words in [("tag missing", "在\n", "expected 'char<TAB>tag'"),
                             ("two characters for one tag", "在这\tO\n", "one character"),
                             ("unknown tag", "在\tX-LOC\n", "tag"),
                             ("I- after O", "在\tO\n这\tI-LOC\n", "does not continue")]:
        kept = 3 if name == "I- after O" else 2                # a bad transition is repaired, not dropped
        yield "conll", name, {"data": (s1 + bad + "\n" + s2).encode()}, 4 if name != "I- after O" else 5, words, kept
    yield "conll", "line in GBK", {"data": s1.encode() + GBK + b"\tO\n\n" + s2.encode()}, 4, "not valid UTF-8", 2
    chars, tags = "张 三 在\n北 京\n上 海\n", "B-PER I-PER O\nB-LOC I-LOC\nB-LOC I-LOC\n"
    for name, c, t, line, words, kept in [
            ("fewer tags than characters", chars.replace("北 京", "北 京 市"), tags, 2, "3 characters but 2 tags", 2),
            ("token of two characters", chars.replace("北 京", "北京 市"), tags, 2, "not one character", 2),
            ("tag file shorter", chars + "广 州\n", tags, 4, "has no line 4", 3),
            ("tag file longer", chars, tags + "O O\n", 4, "more lines than", 3),
            ("line in GBK", chars.encode() + GBK + b"\n", tags + "O\n", 4, "not valid UTF-8", 3)]:
        files = {"input.seq.char": c if isinstance(c, bytes) else c.encode(), "output.seq.bioattr": t.encode()}
        yield "ecommerce", name, files, line, words, kept


CASES = list(_cases())


@pytest.mark.parametrize("fmt,name,files,line,words,kept", CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_broken_file(tmp_path, fmt, name, files, line, words, kept):
    for fname, content in files.items():
        (tmp_path / fname).write_bytes(content)
    path = tmp_path if fmt == "ecommerce" else tmp_path / "data"
    with pytest.raises(CorpusError) as info:
        read_corpus(path, fmt)
    err = info.value.errors[0]
    assert err.line == line and words in err.message, str(err)
    assert str(err).startswith(f"{err.path}:{line}: ") and err.path.startswith(str(tmp_path))
    corpus = read_corpus(path, fmt, lenient=True)
    assert len(corpus) == kept and len(corpus.skipped) + len(corpus.repaired) == 1


CLEAN = {"jsonl": lines(GOOD["jsonl"], GOOD["jsonl"]), "cluener": lines(GOOD["cluener"], GOOD["cluener"]),
         "core": lines(GOOD["core"], GOOD["core"]), "text": lines("张三在北京", "上海"),
         "cmeee": ('[\n{"text": "张三在北京", "entities": [{"start_idx": 0, "end_idx": 1, "type": "PER"}]},\n'
                   '{"text": "上海", "entities": []}\n]\n').encode(),
         "conll": "张\tB-PER\n三\tI-PER\n在\tO\n\n上\tB-LOC\n海\tI-LOC\n\n".encode()}
VARIANTS = {"BOM": lambda b: b"\xef\xbb\xbf" + b,
            "CRLF": lambda b: b.replace(b"\n", b"\r\n"),
            "no final newline": lambda b: b.rstrip(b"\n"),
            "runs of blank lines": lambda b: b"\n\n" + b.replace(b"\n\n", b"\n\n\n\n") + b"\n\n",
            "whitespace-only lines": lambda b: b" \t\n" + b.replace(b"\n\n", b"\n \n")}


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("fmt", list(CLEAN))
def test_harmless_variations_read_like_the_clean_file(tmp_path, fmt, variant):
    (tmp_path / "clean").write_bytes(CLEAN[fmt])
    (tmp_path / "variant").write_bytes(VARIANTS[variant](CLEAN[fmt]))
    clean = read_corpus(tmp_path / "clean", fmt)
    got = read_corpus(tmp_path / "variant", fmt)
    if fmt == "text" and variant in ("runs of blank lines", "whitespace-only lines"):
        got.examples = [e for e in got.examples if e.text.strip()]   # a blank line is an (empty) text there
    assert got.examples == clean.examples and not got.skipped and not got.repaired


def test_ecommerce_variations(tmp_path):
    for name, change in (("bom", VARIANTS["BOM"]), ("crlf", VARIANTS["CRLF"])):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "input.seq.char").write_bytes(change("张 三 在\n北 京\n".encode()))
        (folder / "output.seq.bioattr").write_bytes(change(b"B-PER I-PER O\nB-LOC I-LOC\n"))
        corpus = read_corpus(folder, "ecommerce")
        assert [e.text for e in corpus] == ["张三在", "北京"] and [len(e.spans) for e in corpus] == [1, 1]
