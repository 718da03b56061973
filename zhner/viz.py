"""Entity viewer: spans rendered as nested, colour-coded <mark> elements with a legend.

One renderer serves both the static report (`zhner predict --html`) and the server's page (`/` and
`POST /render`). Nested spans nest as elements; a span that crosses another is split into pieces that
share its `data-span` id. Every mark carries `data-label`, `data-start`, `data-end` (character offsets).
"""
from __future__ import annotations

import colorsys
import hashlib
from html import escape

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 60em; }
.doc { line-height: 2.6; margin: 1em 0; padding: .5em 1em; border-left: 3px solid #ddd; white-space: pre-wrap; }
mark { padding: .15em .1em; border-radius: .25em; border: 1px solid rgba(0,0,0,.25); }
mark mark { padding: .05em .1em; }
mark::after { content: attr(data-label); font-size: .6em; font-weight: bold; margin-left: .2em;
              vertical-align: super; opacity: .75; }
.legend span { display: inline-block; margin: .2em .5em .2em 0; padding: .1em .5em; border-radius: .25em; }
textarea { width: 100%; font-size: 1em; }
"""


def color(label: str) -> str:
    hue = int(hashlib.md5(label.encode("utf-8")).hexdigest()[:4], 16) / 0xFFFF
    r, g, b = colorsys.hls_to_rgb(hue, 0.82, 0.75)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def render_text(text: str, spans) -> str:
    """The text as HTML with one <mark> per span (pieces for crossing spans), nested ones inside."""
    spans = sorted(set(spans), key=lambda s: (s.start, -s.end, s.label))
    ids = {s: i for i, s in enumerate(spans)}
    cuts = sorted({0, len(text)} | {p for s in spans for p in (s.start, s.end)})
    out, stack = [], []
    for a, b in zip(cuts, cuts[1:]):
        active = [s for s in spans if s.start <= a and b <= s.end]
        keep = 0
        while keep < min(len(stack), len(active)) and stack[keep] is active[keep]:
            keep += 1
        out += ["</mark>"] * (len(stack) - keep)
        for s in active[keep:]:
            out.append(f'<mark data-span="{ids[s]}" data-label="{escape(s.label)}" data-start="{s.start}" '
                       f'data-end="{s.end}" style="background:{color(s.label)}" '
                       f'title="{escape(s.label)} [{s.start}, {s.end})'
                       + (f' {s.score:.3f}' if s.score is not None else "") + '">')
        stack = active
        out.append(escape(text[a:b]))
    out += ["</mark>"] * len(stack)
    return "".join(out)


def legend(labels) -> str:
    return '<div class="legend">' + "".join(
        f'<span style="background:{color(label)}">{escape(label)}</span>' for label in sorted(labels)) + "</div>"


def render_docs(examples) -> str:
    return "".join(f'<div class="doc">{render_text(ex.text, ex.spans)}</div>' for ex in examples)


def page_start(title: str) -> str:
    return (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>")


PAGE_END = "</body></html>"


def report_start(labels) -> str:
    """The opening of a standalone report: its head and the legend. Append `render_docs` of each batch of
    predicted examples as it comes, then `PAGE_END`, so a report of any length is written in constant memory."""
    return page_start("zhner entities") + legend(labels)


def viewer(labels) -> str:
    """The server's page: type or paste text, see its entities (rendered by POST /render)."""
    script = """
<script>
async function tag() {
  const res = await fetch('render', {method: 'POST', headers: {'content-type': 'application/json'},
                                     body: JSON.stringify({text: document.getElementById('text').value})});
  const out = document.getElementById('out');
  if (res.ok) { out.innerHTML = (await res.json()).html; }
  else { out.textContent = 'error ' + res.status + ': ' + JSON.stringify((await res.json()).detail); }
}
</script>"""
    body = (legend(labels) + '<textarea id="text" rows="6" placeholder="输入中文文本"></textarea>'
            '<p><button id="go" onclick="tag()">Find entities</button></p><div id="out"></div>' + script)
    return page_start("zhner entity viewer") + body + PAGE_END
