"""Token softmax: p(y_i | x) = softmax(W h_i + b), cross-entropy per token; decoding is Viterbi over
log p restricted to the scheme's allowed transitions (so every output is a valid tag sequence)."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .crf import NEG, viterbi
from .tagging import TagSet


class Softmax(nn.Module):
    def __init__(self, in_dim: int, labels, scheme: str = "BIOES", **_):
        super().__init__()
        self.tagset = TagSet(labels, scheme)
        self.proj = nn.Linear(in_dim, len(self.tagset))
        for name, allowed in zip(("start_mask", "trans_mask", "end_mask"), self.tagset.allowed()):
            self.register_buffer(name, torch.where(allowed, 0.0, NEG), persistent=False)

    def loss(self, h, batch):
        mask = batch["mask"]
        per_token = F.cross_entropy(self.proj(h).transpose(1, 2), batch["tags"], reduction="none")
        return (per_token * mask).sum() / mask.sum().clamp(min=1)

    @torch.no_grad()
    def decode(self, h, batch):
        logp = self.proj(h).log_softmax(-1)
        paths = viterbi(logp, batch["mask"], self.start_mask, self.trans_mask, self.end_mask)
        probs = logp.exp()
        return [self.tagset.decode(p, probs[b, torch.arange(len(p)), p].tolist() if p else None)
                for b, p in enumerate(paths)]
