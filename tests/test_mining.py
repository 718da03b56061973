import subprocess
import sys

from zhner.features.lexicon import Lexicon
from zhner.mining.discover import count_ngrams, discover, key_of


def corpus():
    return ["我们在北京大学读书，北京大学很美。", "北京大学的图书馆很大！", "他去北京大学了", "天气很好，我们去公园。"] * 20


def test_cohesive_words_found_and_fragments_not():
    # on this toy corpus PMI(北京大学) = 2.33, PMI(京大) = 2.10, PMI(学很) = log(20·820 / (80·60)) = 1.23
    words = {r["word"]: r for r in discover(corpus(), max_n=4, min_count=5, min_pmi=1.5, recount=False)}
    assert "北京大学" in words and words["北京大学"]["count"] == 80
    assert "京大" in words                         # cohesive sub-word (no boundary filter)
    assert "学很" not in words                     # crosses a word boundary: low cohesion
    strict = {r["word"] for r in discover(corpus(), max_n=4, min_count=5, min_pmi=1.5, min_entropy=0.5,
                                          recount=False)}
    assert "北京大学" in strict and "京大" not in strict    # 京大 always has 北 on its left


def test_recount_gives_fragments_no_counts_of_their_own():
    import random
    rng = random.Random(0)
    left, right = ["我在", "他去", "你的", "来自", "参观"], ["读书", "很美", "开学", "招生", "附近"]
    varied = [rng.choice(left) + "北京大学" + rng.choice(right) + "。" for _ in range(300)]
    words = {r["word"]: r["count"] for r in discover(varied, max_n=4, min_count=5, min_pmi=1.0, min_entropy=0.5)}
    assert words["北京大学"] == 300 and "京大" not in words and "北京大" not in words


def test_streaming_input_and_chunks_give_the_same_words(monkeypatch):
    import zhner.mining.discover as d
    whole = discover(corpus(), min_count=5, min_pmi=1.0, min_entropy=0.3)
    monkeypatch.setattr(d, "CHUNK_CHARS", 50)                 # many chunks, merged
    assert discover(lambda: iter(corpus()), min_count=5, min_pmi=1.0, min_entropy=0.3) == whole


def test_counting_is_memory_bounded():
    texts = [f"文本{i}号是独一无二的{i * 7919}" for i in range(3000)] + corpus()
    def count(tables, word):
        keys, counts = tables[len(word)]
        return int(counts[keys == key_of(word)].sum())
    bounded = count_ngrams(texts, max_n=4, max_entries=5000)
    assert sum(len(k) for k, _ in bounded.values()) <= 5000
    assert count(bounded, "北京大学") == count(count_ngrams(corpus(), 4), "北京大学") == 80


def test_cli_output_is_a_lexicon(tmp_path):
    src = tmp_path / "c.txt"
    src.write_text("\n".join(corpus()) + "\n", encoding="utf-8")
    out = tmp_path / "terms.tsv"
    res = subprocess.run([sys.executable, "-m", "zhner", "mine", "discover", str(src), "-o", str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    lexicon = Lexicon.from_sources([out])
    expected = {r["word"]: r["count"] for r in discover(corpus())}      # the CLI's defaults
    assert lexicon.words == {w: float(n) for w, n in expected.items()} and "北京大学" in lexicon.words


def test_compare_ranks_domain_words_first():
    from zhner.mining.compare import compare
    domain = {"酒店": 50, "服务": 40, "我们": 100, "电脑": 1, "好": 300}
    background = {"我们": 1000, "电脑": 5, "股票": 200}
    rows = compare(domain, background)
    ranked = [w for w, *_ in rows]
    assert "好" not in ranked and ranked[:2] == ["酒店", "服务"] and ranked.index("我们") > ranked.index("服务")
    assert ranked[-1] == "我们"                    # (100 + 81.8) / (507.5 + 163.7) < 股票: 81.8 / (81.5 + 163.7)
    word, score, fd, fb = rows[0]
    total = 491 + 491                              # background rescaled to the domain total
    mean, share = total / 6, 0.5                   # six words in the union
    assert abs(score - (50 + mean * share) / (50 + mean)) < 1e-9 and fb == 0


def test_filters_are_data(tmp_path):
    from zhner.mining.filters import Rules
    rules = Rules.load()
    assert rules.keep("变压器") and not rules.keep("的话") and not rules.keep("哈哈哈") and not rules.keep("abc")
    assert not rules.keep("三相") and not rules.keep("每个人") and not rules.keep("电")
    custom = tmp_path / "r.toml"
    custom.write_text('banned_suffixes = ["器"]\n', encoding="utf-8")
    assert not Rules.load(custom).keep("变压器") and Rules.load(custom).keep("三相")
    (tmp_path / "bad.toml").write_text("bannd = 1\n")
    import pytest
    with pytest.raises(ValueError, match="unknown rule"):
        Rules.load(tmp_path / "bad.toml")


def test_lexicon_segmenter_uses_mined_words(tmp_path):
    from zhner.features.segment import Segmenter
    lex = tmp_path / "terms.tsv"
    lex.write_text("北京大学\t100\t2.3\t0.7\t1.4\n图书馆\t20\t3.7\t0\t0\n", encoding="utf-8")
    text = "北京大学图书馆很大"
    assert [text[s:e] for s, e in Segmenter("lexicon", str(lex)).cut(text)] == ["北京大学", "图书馆", "很", "大"]


def test_expansion_bar_rises_with_depth():
    import numpy as np
    from gensim.models import KeyedVectors
    from zhner.mining.expand import expand
    kv = KeyedVectors(vector_size=2)
    angle = {"a": 0, "b": 30, "c": 60, "d": 90, "x": 180}     # cos(30°) = 0.87 between neighbours
    kv.add_vectors(list(angle), np.array([[np.cos(np.radians(v)), np.sin(np.radians(v))] for v in angle.values()]))
    loose = [w for w, *_ in expand(kv, ["a"], min_sim=0.8, max_sim=0.8, topn=4)]
    assert loose == ["a", "b", "c", "d"]                       # constant bar: the chain goes on
    rising = expand(kv, ["a"], min_sim=0.8, max_sim=1.0, alpha=2.0, topn=4)
    assert [w for w, *_ in rising] == ["a", "b"] and rising[1][1] == 1   # depth-1 bar 0.97 stops at c
    assert [w for w, *_ in expand(kv, ["a"], min_sim=0.8, max_sim=0.8, topn=4, keep=lambda w: w != "c")] == ["a", "b"]


def test_mine_run_pipeline(tmp_path):
    domain, background = tmp_path / "d.txt", tmp_path / "b.txt"
    domain.write_text("\n".join(corpus() * 5) + "\n", encoding="utf-8")
    background.write_text("\n".join(["我们今天去公园，天气很好。", "他们在公园散步。"] * 100) + "\n", encoding="utf-8")
    cfg = tmp_path / "mine.toml"
    cfg.write_text(f'output = "{tmp_path / "out"}"\n[domain]\ninputs = ["{domain}"]\n[background]\n'
                   f'inputs = ["{background}"]\n[discover]\nmin_pmi = 1.0\n[expand]\nseeds = ["北京大学"]\n'
                   'min_sim = 0.0\nmax_size = 5\ndim = 8\n', encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "zhner", "mine", "run", "--config", str(cfg)], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr
    terms = [line.split("\t")[0] for line in (tmp_path / "out" / "terms.tsv").read_text().splitlines()]
    assert "北京大学" in terms[:5] and "我们" not in terms[:3]
    expanded = (tmp_path / "out" / "expanded.tsv").read_text().splitlines()
    assert expanded[0].startswith("北京大学\t") and 1 < len(expanded) <= 5
    cfg.write_text('[domain]\ninputs = []\nbogus = 1\n', encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "zhner", "mine", "run", "--config", str(cfg)], capture_output=True,
                         text=True)
    assert res.returncode == 1 and "unknown key 'bogus'" in res.stderr


def test_shipped_mining_configs_are_valid():
    import tomllib
    from pathlib import Path
    from zhner.mining.pipeline import SCHEMA, _check
    configs = sorted((Path(__file__).parents[1] / "configs" / "mine").glob("*.toml"))
    assert configs
    for path in configs:
        _check(tomllib.loads(path.read_text(encoding="utf-8")), SCHEMA, str(path))


def test_recount_never_cuts_latin_or_digit_runs():
    import random
    rng = random.Random(1)
    texts = [f"{rng.choice(['洗发水', '沐浴露', '护手霜'])}{rng.choice(['100', '200', '500'])}ml{rng.choice(['装', '瓶'])}"
             for _ in range(400)]
    words = {r["word"] for r in discover(texts, min_count=5, min_pmi=0.5)}
    assert {"洗发水", "沐浴露"} <= words and not {"00ml", "00", "0ml"} & words


def in_contexts(word="中华人民共和国", n=200):
    """`word` between random characters of a pool that shares none of its characters."""
    import random
    rng = random.Random(0)
    pool = "的一是了我不在他有这个上们来到时大地为子你说生年着就那要她出也得里后自以会"
    return ["".join(rng.choices(pool, k=6)) + word + "".join(rng.choices(pool, k=6)) for _ in range(n)]


def test_cut_method_counts_pieces_of_any_length(monkeypatch):
    import zhner.mining.discover as d
    texts = in_contexts()
    found = discover(texts, method="cut", min_proba=1e-3, min_pmi=1.0)   # a few seams are strong by chance
    words = {r["word"]: r["count"] for r in found}
    assert found[0]["word"] == "中华人民共和国" and words["中华人民共和国"] >= 180   # 7 chars: past the keys of ≤ 4
    assert not any("中华人民共和国" in w and w != "中华人民共和国" for w in words)
    monkeypatch.setattr(d, "CHUNK_CHARS", 40)                  # many chunks, merged
    assert discover(lambda: iter(texts), method="cut", min_proba=1e-3, min_pmi=1.0) == found


def test_cut_deduplication_splits_loose_compounds_only():
    from zhner.mining.cut import _deduplicate
    counts = {"北京": 50, "大学": 50, "北京大学": 2, "中华人民共和国": 20, "人民": 30, "共和国": 30, "iphone": 40,
              "iphone6s": 10, "6": 5}
    scores = _deduplicate(counts)
    # log p(北京大学) − log p(北京) − log p(大学) ≈ log 2 − 2 log 52 + log 237 < 3: its count goes to the parts
    assert "北京大学" not in counts and counts["北京"] == counts["大学"] == 52
    assert "中华人民共和国" in scores                    # 中, 华 are no words: −100 each, far above 6
    assert "iphone6s" in scores                        # a Latin/digit run is never split


def test_cut_method_is_memory_bounded_and_keeps_frequent_words(monkeypatch):
    import zhner.mining.cut as cut
    import zhner.mining.discover as d
    texts = [f"编号{i}记录{i * 7919}" for i in range(1000)] + in_contexts("北京大学", 2000)
    whole = {r["word"]: r["count"] for r in discover(texts, method="cut", min_proba=1e-4, min_pmi=1.0)}
    sizes, prune = [], cut._prune
    monkeypatch.setattr(cut, "_prune", lambda table, long, budget: sizes.append(len(table[0]) + len(long)) or
                        prune(table, long, budget))
    monkeypatch.setattr(d, "CHUNK_CHARS", 2000)
    bounded = {r["word"]: r["count"] for r in discover(texts, method="cut", min_proba=1e-4, min_pmi=1.0,
                                                       max_entries=500)}
    assert sizes and whole["北京大学"] >= 1990 and abs(bounded["北京大学"] - whole["北京大学"]) <= 10


def test_cli_cut_method(tmp_path):
    src = tmp_path / "c.txt"
    src.write_text("\n".join(in_contexts()) + "\n", encoding="utf-8")
    out = tmp_path / "terms.tsv"
    res = subprocess.run([sys.executable, "-m", "zhner", "mine", "discover", str(src), "-o", str(out),
                          "--method", "cut", "--min-proba", "1e-3", "--min-pmi", "1.0"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    expected = {r["word"]: r["count"] for r in discover(in_contexts(), method="cut", min_proba=1e-3, min_pmi=1.0)}
    assert Lexicon.from_sources([out]).words == {w: float(n) for w, n in expected.items()}
    assert "中华人民共和国" in expected
