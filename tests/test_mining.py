import subprocess
import sys

from zhner.features.lexicon import Lexicon
from zhner.mining.discover import count_ngrams, discover


def corpus():
    return ["我们在北京大学读书，北京大学很美。", "北京大学的图书馆很大！", "他去北京大学了", "天气很好，我们去公园。"] * 20


def test_cohesive_words_found_and_fragments_not():
    # on this toy corpus PMI(北京大学) = 2.33, PMI(京大) = 2.10, PMI(学很) = log(20·820 / (80·60)) = 1.23
    words = {r["word"]: r for r in discover(corpus(), max_n=4, min_count=5, min_pmi=1.5)}
    assert "北京大学" in words and words["北京大学"]["count"] == 80
    assert "京大" in words                         # cohesive sub-word (no boundary filter)
    assert "学很" not in words                     # crosses a word boundary: low cohesion
    strict = {r["word"] for r in discover(corpus(), max_n=4, min_count=5, min_pmi=1.5, min_entropy=0.5)}
    assert "北京大学" in strict and "京大" not in strict    # 京大 always has 北 on its left


def test_counting_is_memory_bounded():
    texts = [f"文本{i}号是独一无二的{i * 7919}" for i in range(3000)] + corpus()
    bounded = count_ngrams(texts, max_n=4, max_entries=5000)
    assert len(bounded) <= 5000 + 500 and bounded["北京大学"] == count_ngrams(corpus(), 4)["北京大学"]


def test_cli_output_is_a_lexicon(tmp_path):
    src = tmp_path / "c.txt"
    src.write_text("\n".join(corpus()) + "\n", encoding="utf-8")
    out = tmp_path / "terms.tsv"
    res = subprocess.run([sys.executable, "-m", "zhner", "mine", "discover", str(src), "-o", str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    lexicon = Lexicon.from_sources([out])
    assert lexicon.words["北京大学"] == 80


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
