import random

from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

from zhner import Span, evaluate, read_corpus
from zhner.schemes import encode


def _perturb(tags, rng):
    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
    return [rng.choice(labels) if rng.random() < 0.05 else t for t in tags]


def test_agrees_with_seqeval_on_msra(data_dir):
    from zhner.schemes import decode
    gold = read_corpus(data_dir / "msra/msra_test_bio").examples
    rng = random.Random(0)
    gold_tags = [encode(len(e.text), e.spans) for e in gold]
    pred_tags = [_perturb(t, rng) for t in gold_tags]
    report = evaluate(gold, [decode(t)[0] for t in pred_tags])
    assert abs(report.micro.f1 - f1_score(gold_tags, pred_tags)) < 1e-12
    assert abs(report.micro.precision - precision_score(gold_tags, pred_tags)) < 1e-12
    assert abs(report.micro.recall - recall_score(gold_tags, pred_tags)) < 1e-12
    theirs = classification_report(gold_tags, pred_tags, output_dict=True)
    for label, score in report.per_type.items():
        assert abs(score.f1 - theirs[label]["f1-score"]) < 1e-12 and score.gold == theirs[label]["support"]
    assert abs(report.macro_f1 - theirs["macro avg"]["f1-score"]) < 1e-12
    assert 0.5 < report.micro.f1 < 0.99


def test_nested_spans_count_independently():
    gold = [[Span(0, 4, "ORG"), Span(0, 2, "LOC"), Span(5, 6, "PER")]]
    pred = [[Span(0, 4, "ORG"), Span(0, 2, "ORG"), Span(0, 2, "LOC")]]
    r = evaluate(gold, pred)
    assert (r.micro.tp, r.micro.pred, r.micro.gold) == (2, 3, 3)
    assert r.per_type["ORG"].precision == 0.5 and r.per_type["PER"].recall == 0.0
    assert abs(r.micro.f1 - 2 / 3) < 1e-12


def test_wrong_spans_get_a_kind_and_touching_gold_spans_a_recall():
    gold = [[Span(0, 2, "PER"), Span(2, 5, "PER"), Span(6, 8, "LOC"), Span(9, 11, "ORG"), Span(12, 14, "LOC"),
             Span(17, 19, "PER"), Span(19, 20, "LOC")]]
    pred = [[Span(0, 5, "PER"), Span(6, 8, "ORG"), Span(9, 12, "LOC"), Span(15, 17, "PER"), Span(17, 19, "PER"),
             Span(19, 20, "LOC")]]
    r = evaluate(gold, pred)
    assert r.missed == {"boundary": 2, "type": 1, "type and boundary": 1, "no overlap": 1}
    assert r.wrong == {"boundary": 1, "type": 1, "type and boundary": 1, "no overlap": 1}
    assert (r.touching.gold, r.touching.tp) == (4, 2)             # 0-2 and 2-5 merged; 17-19 and 19-20 found
    errors = r.to_dict()["errors"]
    assert errors["touching"] == {"support": 4, "correct": 2, "recall": 0.5}
    assert sum(errors["missed"].values()) == r.micro.gold - r.micro.tp
    assert sum(errors["wrong"].values()) == r.micro.pred - r.micro.tp
    assert "gold not predicted        1         2                  1           1       5" in r.table()
