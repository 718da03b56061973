import json
import math
import os
import subprocess
import sys

import pytest
import torch

from helpers import tiny_corpus
from zhner import write_corpus
from zhner.config import load_config
from zhner.features.lexicon import Lexicon
from zhner.features.segment import Segmenter
from zhner.features.vectors import load_vectors, save_vectors, train_vectors
from zhner.features.vocab import normalize
from zhner.model import load
from zhner.training import train


def test_segmenter_offsets_tile_the_text(tmp_path):
    text = "国务院总理李强在北京会见了世界银行行长 彭安杰。"
    cuts = Segmenter().cut(text)
    assert "".join(text[s:e] for s, e in cuts) == text and cuts[0][0] == 0 and cuts[-1][1] == len(text)
    user = tmp_path / "user.txt"
    user.write_text("世界银行行长 100\n", encoding="utf-8")
    assert "世界银行行长" in [text[s:e] for s, e in Segmenter(user_dict=str(user)).cut(text)]


def test_softlexicon_sets():
    lx = Lexicon({"北京": 10, "北京大学": 5, "大学": 8, "京": 1})
    sets = lx.match("北京大学")
    words = [[sorted(w for w, _ in ws) for ws in s] for s in sets]
    assert words[0] == [["北京", "北京大学"], [], [], []]
    assert words[1] == [[], ["北京大学"], ["北京"], ["京"]]
    assert words[2] == [["大学"], ["北京大学"], [], []]
    assert words[3] == [[], [], ["北京大学", "大学"], []]


def test_softlexicon_counts_words_not_inside_longer_ones():
    lx = Lexicon({"北京": 10, "北京大学": 5, "大学": 8, "京": 1, "上海": 2}).counted(["北京大学在北京", "北京大学"])
    # 北京大学 twice; 北京 once on its own (twice inside 北京大学); 大学 and 京 only inside longer words
    assert lx.words == {"北京大学": 3, "北京": 2, "大学": 1, "京": 1, "上海": 1}


@pytest.mark.parametrize("form", ["header", "headerless", "binary"])
def test_word2vec_files_as_vectors_and_lexicon(tmp_path, form):
    kv = train_vectors([ex.text for ex in tiny_corpus(100)], "word", dim=8, min_count=1, epochs=1)
    path = tmp_path / ("w.bin" if form == "binary" else "w.txt")
    save_vectors(kv, path)
    if form == "headerless":                           # GloVe's layout, and the Gigaword / ctb.50d files'
        path.write_text(path.read_text(encoding="utf-8").split("\n", 1)[1], encoding="utf-8")
    loaded = load_vectors(path)
    assert loaded.index_to_key == kv.index_to_key and loaded.vector_size == 8
    assert torch.allclose(torch.tensor(loaded["北京市"]), torch.tensor(kv["北京市"]), atol=1e-4)
    lx = Lexicon.from_sources([path])                  # the words count 1, not their first coordinate
    assert set(lx.words) == {"".join(map(normalize, w)) for w in kv.index_to_key if len(w) <= 8}
    assert set(lx.words.values()) == {1.0}


def test_word_lists_with_numeric_columns_are_not_vectors(tmp_path):
    from zhner.features.vectors import vectors_format
    dictionary = tmp_path / "dict.txt"                 # jieba's layout is a word list, not vectors
    dictionary.write_text("北京 34488 ns\n张伟 3 nr\n", encoding="utf-8")
    assert vectors_format(dictionary) is None
    terms = tmp_path / "terms.tsv"                     # `zhner mine`'s columns are numbers, but tab-separated
    terms.write_text("北京大学\t20\t5.1\t2.3\t2.2\n", encoding="utf-8")
    assert vectors_format(terms) is None and Lexicon.from_sources([terms]).words == {"北京大学": 20}
    assert Lexicon.from_sources([dictionary]).words == {"北京": 34488, "张伟": 3}
    years = tmp_path / "years.txt"                     # a first line that looks like a "count dim" header
    years.write_text("2020 5\n北京 34488 ns\n", encoding="utf-8")
    assert vectors_format(years) is None and Lexicon.from_sources([years]).words == {"2020": 5, "北京": 34488}


def test_softlexicon_setup_vectors_as_lexicon_with_data_counts(tmp_path, vectors, monkeypatch):
    """SoftLexicon's set-up: the lexicon is the word vectors' vocabulary, z(w) counted in the training
    text; a lexicon word the training text lacks still gets its own row and vector. The file, used as
    lexicon, word vectors and lexicon vectors, is read once."""
    import zhner.features.featurizer as featurizer
    reads = []
    monkeypatch.setattr(featurizer, "load_vectors", lambda path: reads.append(path) or load_vectors(path))
    corpus = tmp_path / "train.jsonl"
    write_corpus(tiny_corpus(200), corpus)
    words = tmp_path / "words.vec"                     # headerless, with a word no training text has
    body = (vectors / "word.txt").read_text(encoding="utf-8").split("\n", 1)[1]
    words.write_text(body + "火星基地 " + " ".join(["0.5"] * 8) + "\n", encoding="utf-8")
    cfg = load_config(None, {
        "data.train": str(corpus), "model.hidden": "16", "model.char_dim": "16", "model.lexicon_dim": "8",
        "model.lexicon": f'["{words}"]', "model.lexicon_frequency": "data", "model.word_vectors": str(words),
        "model.max_length": "24", "train.epochs": "2", "train.threads": "1", "train.output": str(tmp_path / "run")})
    model_dir = train(cfg).model_dir
    assert reads == [str(words)]
    counts = Lexicon.from_sources([model_dir / "lexicon.tsv"]).words
    assert counts["火星基地"] == 1 and counts["北京市"] > 1
    model = load(model_dir)
    vector = model.encoder.embed.lexicon.weight[model.featurizer.lexicon_words.stoi["火星基地"]]
    assert torch.allclose(vector, vector[:1].expand(8)) and 0.4 < vector[0] <= 0.5   # only AdamW's decay
    text = "张伟去了火星基地。"
    assert model.predict([text]) == load(model_dir).predict([text])


def test_softlexicon_tensors_pool_by_frequency():
    from zhner.config import ModelConfig
    from zhner.features.featurizer import Featurizer
    from zhner.features.vocab import Vocab
    lx = Lexicon({"北京": 10, "北京大学": 5, "大学": 8, "京": 1})
    words = Vocab(["北京", "北京大学", "大学", "京"])
    f = Featurizer(ModelConfig(lexicon_dim=8), Vocab("北京大学上海"), lexicon=lx, lexicon_words=words)
    for _ in range(2):                                  # the second call reads the memoised rows
        out = f.tensors(["北京大学", "上海"])
        ids, weights = out["lex_ids"], out["lex_weights"]
        assert ids.shape == weights.shape == (2, 4, 4, 2)
        # 京 (index 1): B = {}, M = {北京大学 5}, E = {北京 10}, S = {京 1}; Z = 16; weights 4·z/Z
        assert ids[0, 1, 1, 0] == words.stoi["北京大学"] and weights[0, 1, 1, 0] == pytest.approx(4 * 5 / 16)
        assert ids[0, 1, 2, 0] == words.stoi["北京"] and weights[0, 1, 2, 0] == pytest.approx(4 * 10 / 16)
        assert ids[0, 1, 3, 0] == words.stoi["京"] and weights[0, 1, 3, 0] == pytest.approx(4 * 1 / 16)
        # 北 (index 0): B = {北京 10, 北京大学 5}, most frequent first
        assert ids[0, 0, 0].tolist() == [words.stoi["北京"], words.stoi["北京大学"]]
        assert ids[1].sum() == 0 and weights[1].sum() == 0 and weights[0, 0, 1:].sum() == 0


@pytest.mark.parametrize("suffix", [".txt", ".bin"])
def test_vectors_roundtrip_and_cli(tmp_path, suffix):
    texts = [ex.text for ex in tiny_corpus(200)]
    kv = train_vectors(texts, "char", dim=16, min_count=1, epochs=2)
    path = tmp_path / f"chars{suffix}"
    save_vectors(kv, path)
    loaded = load_vectors(path)
    assert set(loaded.index_to_key) == set(kv.index_to_key) and loaded.vector_size == 16
    assert torch.allclose(torch.tensor(loaded["张"]), torch.tensor(kv["张"]), atol=1e-4)
    spaced = texts + ["北京 欢迎 你。 ", "上海\u3000很好 ,"]      # bigrams across white space are left out
    kv = train_vectors(spaced, "bigram", dim=8, min_count=1, epochs=1)
    save_vectors(kv, tmp_path / f"bigrams{suffix}")
    assert set(load_vectors(tmp_path / f"bigrams{suffix}").index_to_key) == set(kv.index_to_key)
    assert "北京" in kv.key_to_index and not any(c.isspace() for t in kv.index_to_key for c in t)
    corpus = tmp_path / "c.jsonl"
    write_corpus(tiny_corpus(50), corpus)
    out = tmp_path / "new" / "w.txt"                   # the output's directory is created
    res = subprocess.run([sys.executable, "-m", "zhner", "vectors", "train", str(corpus), "--kind", "word",
                          "--dim", "8", "--min-count", "1", "-o", str(out)], capture_output=True, text=True)
    assert res.returncode == 0 and "北京市" in load_vectors(out).key_to_index, res.stderr


def test_vectors_with_one_worker_are_the_same_in_every_process(tmp_path):
    corpus = tmp_path / "c.jsonl"
    write_corpus(tiny_corpus(3000), corpus)            # 48,000 characters: several of gensim's jobs, which two
    files = []                                         # threads would race on (different files, run to run)
    for hash_seed in ("1", "2"):                        # nothing may hang on Python's per-process str hashes
        files.append(tmp_path / f"v{hash_seed}.txt")
        res = subprocess.run([sys.executable, "-m", "zhner", "vectors", "train", str(corpus), "--dim", "8",
                              "--min-count", "1", "--workers", "1", "-o", str(files[-1])],
                             capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": hash_seed})
        assert res.returncode == 0, res.stderr
    assert files[0].read_bytes() == files[1].read_bytes() and len(load_vectors(files[0])) > 10
    with pytest.raises(ValueError, match="workers must be ≥ 0"):
        train_vectors(["北京欢迎你"], "char", min_count=1, workers=-1)


def test_bad_vectors_file_is_a_clear_error(tmp_path):
    from zhner.spans import DataError
    bad = tmp_path / "v.txt"
    bad.write_text("3 4\n张 0.1 0.2\n", encoding="utf-8")
    with pytest.raises(DataError, match="v.txt"):
        load_vectors(bad)


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vec")
    texts = [ex.text for ex in tiny_corpus(300)]
    for kind, dim in (("char", 24), ("bigram", 8), ("word", 8)):
        save_vectors(train_vectors(texts, kind, dim=dim, min_count=1, epochs=2), folder / f"{kind}.txt")
    return folder


def test_all_features_train_save_load(tmp_path, vectors, capsys):
    corpus = tmp_path / "train.jsonl"
    write_corpus(tiny_corpus(), corpus)
    lexicon = tmp_path / "lex.tsv"
    lexicon.write_text("北京市\t5\n张伟\t3\n很开心\n", encoding="utf-8")
    cfg = load_config(None, {
        "data.train": str(corpus), "model.hidden": "32", "model.char_dim": "24", "model.bigram_dim": "8",
        "model.word_dim": "8", "model.postag_dim": "4", "model.lexicon_dim": "8",
        "model.lexicon": f'["jieba", "{lexicon}"]', "model.char_vectors": str(vectors / "char.txt"),
        "model.bigram_vectors": str(vectors / "bigram.txt"),
        "model.word_vectors": str(vectors / "word.txt"), "model.head": "cascade", "model.o_weight": "0.5",
        "model.max_length": "24", "train.epochs": "10", "train.lr": "1e-2", "train.threads": "1",
        "train.output": str(tmp_path / "run")})
    result = train(cfg)
    err = capsys.readouterr().err
    assert "char.txt: cover 100.0%" in err and "word.txt: cover" in err
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert log[0]["feature_seconds"] > 0 and all(r["feature_seconds"] < r["seconds"] for r in log)
    assert result.dev.micro.f1 > 0.6
    texts = [ex.text for ex in tiny_corpus(10, seed=3)] + ["", "北京"]
    model = load(result.model_dir)
    assert model.predict(texts) == load(result.model_dir).predict(texts, batch_size=2)
    names = {p.name for p in result.model_dir.iterdir()}
    assert {"lexicon.tsv", "words.json", "postags.json", "lexicon_words.json", "bigrams.json"} <= names


def test_postags_per_character():
    """Each character gets its word's part of speech and its place in the word; the words tile the text."""
    from zhner.features.featurizer import _postags
    from zhner.features.segment import Segmenter
    text = "国务院总理李强在北京会见了 Apple 的代表。"
    words = Segmenter().tag(text)
    ends = [e for _, e, _ in words]
    assert [s for s, _, _ in words] == [0] + ends[:-1] and ends[-1] == len(text)
    assert {(s, e): t for s, e, t in words}[(8, 10)] == "ns"                            # 北京, a place
    assert _postags([(0, 3, "nt"), (3, 4, "x"), (4, 6, "nr")]) == ["B-nt", "I-nt", "E-nt", "S-x", "B-nr", "E-nr"]
    assert _postags([]) == []
    assert Segmenter().tag("") == []


def test_wol_softmax_weights_o_tokens():
    from zhner.nn.heads import Softmax
    torch.manual_seed(0)
    h = torch.randn(1, 4, 6)
    batch = {"mask": torch.ones(1, 4, dtype=torch.bool), "tags": torch.tensor([[0, 1, 0, 0]])}
    plain, weighted = Softmax(6, ["X"], "BIO"), Softmax(6, ["X"], "BIO", o_weight=0.5)
    weighted.load_state_dict(plain.state_dict())
    per_token = torch.nn.functional.cross_entropy(plain.proj(h)[0], batch["tags"][0], reduction="none")
    expected = (per_token * torch.tensor([0.5, 1, 0.5, 0.5])).sum() / 4
    assert torch.allclose(weighted.loss(h, batch), expected)


def test_wol_crf_margin_raises_loss_only_where_entities_are():
    from zhner.nn.heads import CRF
    torch.manual_seed(0)
    h = torch.randn(1, 5, 6)
    plain, margin = CRF(6, ["X"], "BIO"), CRF(6, ["X"], "BIO", o_weight=0.5)
    margin.load_state_dict(plain.state_dict())
    assert math.isclose(margin.margin, math.log(2))
    mask = torch.ones(1, 5, dtype=torch.bool)
    no_entity = {"mask": mask, "tags": torch.zeros(1, 5, dtype=torch.long)}
    entity = {"mask": mask, "tags": torch.tensor([[0, 1, 2, 0, 0]])}
    assert torch.allclose(plain.loss(h, no_entity), margin.loss(h, no_entity))
    assert margin.loss(h, entity) > plain.loss(h, entity)


def test_wol_globalpointer_pos_weight():
    from zhner.nn.heads.globalpointer import multilabel_crossentropy
    invalid = torch.finfo(torch.float32).min / 4                     # span (1, 0): end before start
    s = torch.tensor([[[[-1.0, 2.0], [invalid, 0.5]]]])
    gold = torch.tensor([[0, 0, 0, 0]])                               # (row, type, start, end): s = −1
    pos = math.log(1 + math.exp(1.0))
    neg = math.log(1 + math.exp(2.0) + math.exp(0.5))
    assert math.isclose(multilabel_crossentropy(s, gold, 3.0).item(), 3 * pos + neg, rel_tol=1e-6)


def test_sentence_vectors_by_hand():
    import numpy as np
    from gensim.models import KeyedVectors
    from zhner.features.sentences import closest, sentence_vectors
    kv = KeyedVectors(vector_size=2)
    kv.add_vectors(["a", "b", "c"], np.array([[1, 0], [0, 1], [1, 1]], dtype=np.float32))
    texts = ["aab", "bc", "x"]                      # char tokens: a×2, b×2, c×1 (x has no vector)
    mean = sentence_vectors(texts, kv, "mean", kind="char")
    assert np.allclose(mean, [[2 / 3, 1 / 3], [0.5, 1.0], [0, 0]])
    tfidf = sentence_vectors(texts, kv, "tfidf", kind="char")   # df: a 1, b 2, c 1 over N = 3
    la, lb = np.log(3), np.log(1.5)
    assert np.allclose(tfidf[0], [2 * la / 3, lb / 3]) and np.allclose(tfidf[1], [la / 2, (lb + la) / 2])
    w = {t: 1e-3 / (1e-3 + n / 5) for t, n in {"a": 2, "b": 2, "c": 1}.items()}
    raw = np.array([[2 * w["a"] / 3, w["b"] / 3], [w["c"] / 2, (w["b"] + w["c"]) / 2], [0, 0]])
    u = np.linalg.svd(raw, full_matrices=False)[2][0]
    assert np.allclose(sentence_vectors(texts, kv, "sif", kind="char"), raw - np.outer(raw @ u, u), atol=1e-6)
    assert closest(mean, mean[:1], 1) == [0] and 2 not in closest(mean, mean[:2], 2)


def test_sentences_cli(tmp_path, vectors):
    import numpy as np
    corpus = tmp_path / "c.jsonl"
    write_corpus(tiny_corpus(30), corpus)
    res = subprocess.run([sys.executable, "-m", "zhner", "vectors", "sentences", str(corpus), "--vectors",
                          str(vectors / "word.txt"), "-o", str(tmp_path / "new" / "s.npy")], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr
    assert np.load(tmp_path / "new" / "s.npy", allow_pickle=False).shape == (30, 8)
