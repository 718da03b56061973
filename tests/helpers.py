"""A tiny synthetic corpus with nested spans (LOC inside GPE) for fast model tests."""
import random

from zhner import Example, Span

NAMES, PLACES = ["张伟", "李娜", "王芳", "刘洋", "陈静"], ["北京", "上海", "广州", "深圳", "杭州"]


def tiny_corpus(n=60, seed=0):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        name, place = rng.choice(NAMES), rng.choice(PLACES)
        text = f"昨天{name}去了{place}市，{name}很开心。"
        a, b = 2, 2 + len(name)
        c = text.index(place)
        spans = [Span(a, b, "PER"), Span(c, c + len(place), "LOC"), Span(c, c + len(place) + 1, "GPE")]
        out.append(Example(text, spans))
    return out
