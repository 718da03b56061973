"""Token softmax: p(y_i | x) = softmax(W h_i + b), cross-entropy per token, weighted 1 on entity tokens and
`o_weight` on the others (WOL; 0.5 in the reference, which favours recall); decoding is Viterbi over log p
restricted to the scheme's allowed transitions (so every output is a valid tag sequence)."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .crf import NEG, viterbi
from .tagging import TagSet


class Softmax(nn.Module):
    length_axes = (1,)              # of `outputs`, which the ONNX export makes dynamic

    def __init__(self, in_dim: int, labels, scheme: str = "BIOES", o_weight: float = 1.0, **_):
        super().__init__()
        self.tagset, self.o_weight = TagSet(labels, scheme), o_weight
        self.proj = nn.Linear(in_dim, len(self.tagset))
        for name, allowed in zip(("start_mask", "trans_mask", "end_mask"), self.tagset.allowed()):
            self.register_buffer(name, torch.where(allowed, 0.0, NEG), persistent=False)

    def targets(self, lengths, spans) -> dict:
        return {"tags": self.tagset.targets(lengths, spans)}

    def loss(self, h, batch):
        mask = batch["mask"]
        tags = batch["tags"]
        per_token = F.cross_entropy(self.proj(h).transpose(1, 2), tags, reduction="none")
        weight = torch.where(tags > 0, 1.0, self.o_weight) * mask
        return (per_token * weight).sum() / mask.sum().clamp(min=1)

    def outputs(self, h, batch):
        return self.proj(h).log_softmax(-1)

    def decode_outputs(self, logp, batch):
        paths = viterbi(logp, batch["mask"], self.start_mask, self.trans_mask, self.end_mask)
        probs = logp.exp().cpu()
        return [self.tagset.decode(p, probs[b, torch.arange(len(p)), p].tolist() if p else None)
                for b, p in enumerate(paths)]
