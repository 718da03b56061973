"""Coverage-guided fuzzing with atheris (optional: `pip install atheris`); not part of the pytest run.

Each input picks a reader format and becomes a corpus file (read strictly and leniently), a text for the
bundled model's `predict`, and a tag sequence for the scheme decoders. Anything but a typed error
(DataError / CorpusError; ValueError for an unknown tag) or a span outside its text is a crash that atheris reports with the input.

    python tests/fuzz_atheris.py -runs=20000 -max_len=2000
"""
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    import zhner
    from zhner.corpora import FORMATS, CorpusError, read_corpus
    from zhner.schemes import decode
    from zhner.spans import DataError

FOLDER = Path(tempfile.mkdtemp())
MODEL = zhner.load()
TAGS = ["O", "B-A", "I-A", "E-A", "S-A", "M-B", "B-B", "I-B", "B", "I", "X-Y"]


def one(data: bytes):
    fdp = atheris.FuzzedDataProvider(data)
    fmt = FORMATS[fdp.ConsumeIntInRange(0, len(FORMATS) - 1)]
    raw = fdp.ConsumeBytes(fdp.remaining_bytes())
    path = FOLDER / ("input.seq.char" if fmt == "ecommerce" else "corpus")
    path.write_bytes(raw)
    for lenient in (True, False):
        try:
            for ex in read_corpus(path, fmt, lenient=lenient):
                assert all(0 <= s.start < s.end <= len(ex.text) for s in ex.spans)
        except (DataError, CorpusError):
            pass
    text = raw.decode("utf-8", "surrogateescape")
    assert all(0 <= s.start < s.end <= len(text) for s in MODEL.predict([text])[0])
    try:
        spans, _ = decode([TAGS[b % len(TAGS)] for b in raw[:64]])
        assert all(0 <= s.start < s.end <= min(len(raw), 64) for s in spans)
    except ValueError as e:                                 # an unknown tag is a typed error
        assert "invalid tag" in str(e)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
