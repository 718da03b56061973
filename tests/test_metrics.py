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
