"""NERModel = featurizer + encoder + head, its model directory, and prediction over any text length.

A model directory holds `config.json` (format version, model config, labels, whether its training data kept
runs of Latin letters and digits whole), vocabularies as JSON,
`model.safetensors`, and for a transformer encoder its config and tokenizer under `encoder/`.
Nothing is pickled. Directories are written to a temporary name and renamed into place.
"""
from __future__ import annotations

import copy
import json
from dataclasses import asdict
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from . import __version__
from .config import ConfigError, ModelConfig, model_config_from_dict
from .features.featurizer import Featurizer
from .files import atomic_directory, previous
from .nn.encoders import IDCNN, BiLSTM, InputEmbedding, Transformer
from .nn.heads import HEADS
from .spans import DataError, Span, trim
from .windows import by_length, merge, windows

FORMAT_VERSION = 1
DEFAULT_MODEL = Path(__file__).parent / "default_model"
WINDOW_OVERLAP = 32


class NERModel(nn.Module):
    def __init__(self, cfg: ModelConfig, labels, featurizer: Featurizer, transformer_dir: str | None = None,
                 pretrained: bool = True, whole_runs: bool = False):
        super().__init__()
        self.cfg, self.labels, self.featurizer = cfg, list(labels), featurizer
        self.whole_runs = whole_runs        # no training span cut a Latin word or number (`spans.keeps_runs`)
        self.onnx = None                                # an OnnxRunner when loaded from an exported model
        if cfg.encoder == "transformer":
            self.encoder = Transformer(transformer_dir or cfg.transformer, cfg.dropout, pretrained)
            if cfg.max_length > self.encoder.max_tokens - 2:
                raise ConfigError(f"model.max_length {cfg.max_length} exceeds what the transformer takes "
                                  f"({self.encoder.max_tokens - 2} word pieces)")
        else:
            f = featurizer
            tables = (("chars", f.chars), ("bigrams", f.bigrams), ("words", f.words), ("postags", f.postags),
                      ("lexicon", f.lexicon_words))
            sizes = {name: len(v) for name, v in tables if v is not None}
            dims = {"chars": cfg.char_dim, "bigrams": cfg.bigram_dim, "words": cfg.word_dim,
                    "postags": cfg.postag_dim, "lexicon": cfg.lexicon_dim}
            embed = InputEmbedding(sizes, dims, cfg.dropout)
            self.encoder = (BiLSTM(embed, cfg.hidden, cfg.layers, cfg.dropout) if cfg.encoder == "bilstm" else
                            IDCNN(embed, cfg.hidden, cfg.idcnn_dilations, cfg.idcnn_blocks, cfg.dropout))
        self.head = HEADS[cfg.head](self.encoder.dim, self.labels, scheme=cfg.scheme, head_size=cfg.head_size,
                                    rope=cfg.rope, threshold=cfg.threshold, flat=cfg.flat, o_weight=cfg.o_weight,
                                    pos_weight=cfg.pos_weight,
                                    pos_weight_by_type=cfg.pos_weight_by_type, cascade_tagger=cfg.cascade_tagger,
                                    cascade_repr=cfg.cascade_repr)

    def make_batch(self, texts, spans=None) -> dict:
        """Tensors for texts of ≤ max_length characters; with `spans`, also the targets of the head."""
        device = next(self.parameters()).device
        f = self.featurizer
        units = [f.units(t) for t in texts] if f.word_level else None
        tensors = f.tensors(texts, units)
        if isinstance(self.encoder, Transformer):
            tensors.update(self.encoder.pieces(texts, tensors["mask"].size(1)))
        batch = {k: v.to(device) for k, v in tensors.items()}
        batch["texts"], batch["units"] = list(texts), units
        if spans is not None:
            lengths = batch["mask"].sum(1).tolist()
            spans = spans if units is None else [f.to_units(u, ss) for u, ss in zip(units, spans)]
            batch.update({k: v.to(device) for k, v in self.head.targets(lengths, spans).items()})
        return batch

    def forward(self, batch):
        return self.head.loss(self.encoder(batch), batch)

    def outputs(self, batch):
        """The head's raw outputs for a batch (CRF: emissions; GlobalPointer: span scores), which its
        `decode_outputs` turns into spans; from the ONNX graph when the model was loaded from an export."""
        return self.onnx(batch) if self.onnx is not None else self.head.outputs(self.encoder(batch), batch)

    @torch.inference_mode()
    def decode(self, batch):
        """Spans per text of the batch, in character offsets, trimmed of blank characters and, if
        `whole_runs`, widened to whole Latin words and numbers (`spans.trim`)."""
        spans = self.head.decode_outputs(self.outputs(batch), batch)
        units = batch["units"] or [None] * len(spans)
        return [trim(t, self.featurizer.to_chars(u, ss), self.whole_runs)
                for t, u, ss in zip(batch["texts"], units, spans)]

    def predict(self, texts, batch_size: int = 64) -> list[list[Span]]:
        """Spans (with scores) for each text of an iterable; long texts are split into overlapping windows and
        merged. The windows run sorted by length in batches of ≤ `batch_size`, cut further where the shortest
        would be < 3/4 of the longest: every encoder computes padded positions, and GlobalPointer's (T × T)
        scores grow with them (on texts in file order, 64 per call, IDCNN-CRF ran 1.9× and BiLSTM-GlobalPointer
        2.0× faster for the cut; the bundled BiLSTM-CRF on MSRA test, sorted, 1.10×)."""
        if isinstance(texts, str):
            raise TypeError("predict() takes a list of texts; wrap a single text in a list")
        texts = list(texts)                             # read twice below: a generator would end up empty
        size = self.cfg.max_length
        pieces = []                                     # (text index, window start, window text)
        plans = []
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"text {i} is {type(text).__name__}, not str")
            plan = windows(len(text), size, min(WINDOW_OVERLAP, size // 4))
            plans.append(plan)
            pieces.extend((i, s, text[s:e]) for s, e, _, _ in plan)
        batches = by_length([len(p[2]) for p in pieces], batch_size)
        found = [[] for _ in pieces]
        was_training = self.training
        self.eval()
        for batch in batches:
            idx = [j for j in batch if pieces[j][2]]
            if idx:
                for j, spans in zip(idx, self.decode(self.make_batch([pieces[j][2] for j in idx]))):
                    found[j] = spans
        self.train(was_training)
        out, pos = [], 0
        for i, text in enumerate(texts):
            n = len(plans[i])
            out.append(merge(len(text), size, min(WINDOW_OVERLAP, size // 4), found[pos:pos + n]))
            pos += n
        return out

    def save(self, path):
        """Write the model directory atomically (temporary directory, then rename)."""
        with atomic_directory(path) as tmp:
            meta = {"format_version": FORMAT_VERSION, "zhner_version": __version__, "model": asdict(self.cfg),
                    "labels": self.labels, "whole_runs": self.whole_runs}
            (tmp / "config.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
            self.featurizer.save(tmp)
            if isinstance(self.encoder, Transformer):
                self.encoder.tokenizer.save_pretrained(tmp / "encoder")
                self.encoder.model.config.save_pretrained(tmp / "encoder")
            state = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}
            save_file(state, tmp / "model.safetensors", metadata={"format_version": str(FORMAT_VERSION)})


class Ensemble(NERModel):
    """Models trained alike (one recipe, other seeds) predicting as one: the mean of their head outputs
    (CRF emissions, softmax log-probabilities, span scores) is decoded with the mean of their CRF potentials:
    for CRFs the path and scores of the geometric mean of the models' distributions. Members must share
    labels, level, head, scheme and window; those with the same features as the first reuse its batch."""

    def __init__(self, models):
        nn.Module.__init__(self)
        first = models[0]

        def kind(m):
            return m.labels, m.cfg.level, m.cfg.head, m.cfg.scheme, m.cfg.max_length
        if any(kind(m) != kind(first) for m in models):
            raise ValueError("an ensemble needs models with the same labels, level, head, scheme and max_length")
        self.cfg, self.labels, self.featurizer, self.whole_runs = first.cfg, first.labels, first.featurizer, \
            first.whole_runs
        self.onnx, self.encoder, self.members = None, first.encoder, nn.ModuleList(models)
        self.head = copy.deepcopy(first.head)
        with torch.no_grad():
            crf = [getattr(h, "crf_parameters", list)() for h in (self.head, *(m.head for m in models))]
            for mean, *each in zip(*crf):
                mean.copy_(torch.stack(each).mean(0))
        segmenter = first.featurizer.segmenter
        for m in models:                # members that segment alike share a segmenter, so each text is cut once
            if segmenter is not None and m.featurizer.segmenter is not None and \
                    m.featurizer.segmenter.same_as(segmenter):
                m.featurizer.segmenter = segmenter
        names = ("chars", "bigrams", "words", "postags", "lexicon_words")
        self.shared = [m is first or (m.cfg == first.cfg and not isinstance(m.encoder, Transformer) and
                                      all(getattr(getattr(m.featurizer, n), "itos", None) ==
                                          getattr(getattr(first.featurizer, n), "itos", None) for n in names))
                       for m in models]

    def outputs(self, batch):
        return torch.stack([m.outputs(batch if shared else m.make_batch(batch["texts"]))
                            for m, shared in zip(self.members, self.shared)]).mean(0)

    def save(self, path):
        raise TypeError("an ensemble is not saved as one model: keep its members' directories")


def load(path=None, device: str | None = None, onnx: bool | None = None, threads: int = 0) -> NERModel:
    """Load a model directory; `None` loads the bundled default model, a list of directories an `Ensemble`.
    A directory written by `zhner export --onnx` runs its graph with onnxruntime on `threads` cores
    (0 = all; `OnnxRunner`) unless `onnx=False`."""
    if isinstance(path, (list, tuple)):
        models = [load(p, device, onnx, threads) for p in path]
        return Ensemble(models) if len(models) > 1 else models[0]
    path = Path(path) if path else DEFAULT_MODEL
    if not path.exists() and previous(path).is_dir():  # a kill between the renames of a save left it aside
        path = previous(path)
    meta_path = path / "config.json"
    if not meta_path.is_file():
        raise DataError("not a zhner model directory (no config.json)", path)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"unreadable model config: {e}", meta_path) from None
    if meta.get("format_version") != FORMAT_VERSION:
        raise DataError(f"model format version {meta.get('format_version')!r} is not supported by zhner "
                        f"{__version__} (expects {FORMAT_VERSION})", meta_path)
    try:
        cfg = model_config_from_dict(meta["model"])
        labels = meta["labels"]
    except (ConfigError, KeyError, TypeError) as e:
        raise DataError(f"invalid model config: {e}", meta_path) from None
    model = NERModel(cfg, labels, Featurizer.load(cfg, path), transformer_dir=str(path / "encoder"), pretrained=False,
                     whole_runs=meta.get("whole_runs") is True)          # absent in models saved before it
    weights = path / "model.safetensors"
    try:
        model.load_state_dict(load_file(weights))
    except (OSError, SafetensorError, RuntimeError) as e:    # missing, truncated, or shapes that do not fit
        raise DataError(f"unreadable weights: {str(e).splitlines()[0]}", weights) from None
    model.eval()
    graph = path / "model.onnx"
    if onnx or (onnx is None and graph.exists()):
        from .export import OnnxRunner
        if not graph.is_file():
            raise DataError("no model.onnx in the model directory (write one with `zhner export --onnx DIR`)", path)
        try:
            model.onnx = OnnxRunner(graph, threads)
        except Exception as e:       # onnxruntime's errors (truncated, not a graph, ...) share no narrower base
            raise DataError(f"unreadable ONNX graph: {str(e).splitlines()[0]}", graph) from None
    return model.to(device) if device else model
