"""Encoders: map a batch of characters to one vector per character, H of shape (batch, length, dim).

Every encoder takes the batch dict built by `zhner.nn.model` (`chars`, `mask`, optional `bigrams`,
and for transformers `texts`) and returns H; padded positions are zero.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn


class InputEmbedding(nn.Module):
    """x_i = [E_char(c_i); E_bigram(c_i c_{i+1}); E_word(word ∋ i); E_postag(tag of word ∋ i, place of i in it);
    v(B_i); v(M_i); v(E_i); v(S_i)], then dropout; v(S) = Σ_{w∈S} weight(w) E_lex(w) is the SoftLexicon
    pooling (weights from the featurizer). Tables whose size is 0 are left out."""

    def __init__(self, sizes: dict, dims: dict, dropout: float = 0.0):
        super().__init__()
        def table(name):
            return nn.Embedding(sizes[name], dims[name], padding_idx=0) if sizes.get(name) and dims[name] else None
        self.chars, self.bigrams, self.words, self.postags, self.lexicon = (
            table(n) for n in ("chars", "bigrams", "words", "postags", "lexicon"))
        self.dropout = nn.Dropout(dropout)
        self.dim = sum(t.embedding_dim * (4 if name == "lexicon" else 1)
                       for name, t in self.named_children() if isinstance(t, nn.Embedding))

    def forward(self, batch):
        parts = [self.chars(batch["chars"])]
        for name in ("bigrams", "words", "postags"):
            if getattr(self, name) is not None:
                parts.append(getattr(self, name)(batch[name]))
        if self.lexicon is not None:
            pooled = (self.lexicon(batch["lex_ids"]) * batch["lex_weights"].unsqueeze(-1)).sum(3)
            parts.append(pooled.flatten(2))
        return self.dropout(torch.cat(parts, -1))


class BiLSTM(nn.Module):
    """Stacked bidirectional LSTM; H_i = [h→_i; h←_i]. Each direction runs as a one-way LSTM over texts padded
    at the end (the backward one over each text reversed within its length), so no valid position reads
    padding and PyTorch takes oneDNN's fused LSTM, which packed sequences never reach (on an AMD EPYC, whose
    MKL matrix products run at half oneDNN's speed, far faster: `benchmarks/bilstm.py`). Padded positions are
    computed, then zeroed. The weights are `nn.LSTM(bidirectional=True)`'s, with its dropout between layers."""

    def __init__(self, embed: InputEmbedding, hidden: int, layers: int = 1, dropout: float = 0.0):
        super().__init__()
        self.embed = embed
        self.lstm = nn.LSTM(embed.dim, hidden, num_layers=layers, bidirectional=True, batch_first=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.dim = 2 * hidden

    def _one_way(self, x, layer: int, suffix: str):
        weights = [getattr(self.lstm, f"{w}_l{layer}{suffix}")
                   for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        h0 = x.new_zeros(1, x.size(0), self.lstm.hidden_size)
        return torch.lstm(x, (h0, h0), weights, True, 1, 0.0, self.training, False, True)[0]

    def forward(self, batch):
        x, mask = self.embed(batch), batch["mask"]
        lengths = mask.sum(1, keepdim=True)
        t = torch.arange(x.size(1), device=x.device)
        flip = torch.where(t < lengths, lengths - 1 - t, t).unsqueeze(-1)      # reverses each text in place
        for layer in range(self.lstm.num_layers):
            if layer:
                x = nn.functional.dropout(x, self.lstm.dropout, self.training)
            back = self._one_way(x.gather(1, flip.expand_as(x)), layer, "_reverse")
            x = torch.cat([self._one_way(x, layer, ""), back.gather(1, flip.expand_as(back))], -1)
        return self.dropout(x * mask.unsqueeze(-1))


class IDCNN(nn.Module):
    """Iterated dilated CNN (Strubell et al. 2017): one block of 3-wide convolutions with the given dilations,
    applied `blocks` times with shared weights; H is the last block's output. Each convolution is residual,
    h ← h + relu(conv(h)), and each block ends in LayerNorm, which keeps the deep stack stable at high
    learning rates. Padding is re-zeroed after every layer."""

    def __init__(self, embed: InputEmbedding, filters: int, dilations=(1, 1, 2), blocks: int = 4, dropout=0.0):
        super().__init__()
        self.embed = embed
        self.proj = nn.Conv1d(embed.dim, filters, 3, padding=1)
        self.convs = nn.ModuleList(nn.Conv1d(filters, filters, 3, padding=d, dilation=d) for d in dilations)
        self.blocks = blocks
        self.norm = nn.LayerNorm(filters)
        self.dropout = nn.Dropout(dropout)
        self.dim = filters

    def forward(self, batch):
        mask = batch["mask"].unsqueeze(1).to(torch.float32)
        h = torch.relu(self.proj(self.embed(batch).transpose(1, 2))) * mask
        for _ in range(self.blocks):
            for conv in self.convs:
                h = (h + torch.relu(conv(h))) * mask
            h = self.norm(h.transpose(1, 2)).transpose(1, 2) * mask
        return self.dropout(h.transpose(1, 2))


class Transformer(nn.Module):
    """A pretrained BERT-family encoder from a local directory. Texts are tokenised into word pieces; each
    character takes the vector of the word piece that covers it (characters no piece covers, e.g. spaces,
    get zeros), so heads work on characters and spans come back as character offsets. With
    `pretrained=False` only the architecture is built (weights come from a zhner model file)."""

    def __init__(self, path: str, dropout: float = 0.1, pretrained: bool = True):
        super().__init__()
        from transformers import AutoConfig, AutoModel, AutoTokenizer
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        if not self.tokenizer.is_fast:
            raise ValueError(f"{path}: a fast tokenizer (tokenizer.json or vocab.txt) is needed for offsets")
        if pretrained:
            self.model = AutoModel.from_pretrained(path, local_files_only=True)
        else:
            self.model = AutoModel.from_config(AutoConfig.from_pretrained(path, local_files_only=True))
        if getattr(self.model, "pooler", None) is not None:   # the [CLS] pooler: no head reads it
            self.model.pooler.requires_grad_(False)
        self.max_tokens = min(self.tokenizer.model_max_length, self.model.config.max_position_embeddings)
        self.dropout = nn.Dropout(dropout)
        self.dim = self.model.config.hidden_size

    def pieces(self, texts, length: int) -> dict:
        """Word-piece tensors: the tokenizer's (input_ids, attention_mask, ...) and `piece_index` (B×L), the
        piece covering each character (0, i.e. [CLS], where none does; such characters are zeroed)."""
        enc = self.tokenizer(list(texts), return_offsets_mapping=True, padding=True, truncation=True,
                             max_length=self.max_tokens, return_tensors="pt")
        offsets = enc.pop("offset_mapping")
        index = torch.zeros(len(texts), length, dtype=torch.long)
        for b in range(len(texts)):
            for t, (s, e) in enumerate(offsets[b].tolist()):
                if e > s:
                    index[b, s:e] = t
        return {**{f"piece_{k}": v for k, v in enc.items()}, "piece_index": index}

    def forward(self, batch):
        pieces = {k[6:]: v for k, v in batch.items() if k.startswith("piece_") and k != "piece_index"}
        out = self.model(**pieces).last_hidden_state
        index = batch["piece_index"]
        h = out.gather(1, index.unsqueeze(-1).expand(-1, -1, out.size(-1)))
        covered = (index > 0).unsqueeze(-1) & batch["mask"].unsqueeze(-1)
        return self.dropout(h * covered)


def random_bert(path, chars, hidden: int, layers: int, heads: int, intermediate: int, max_positions: int = 512):
    """Save to the directory `path` a randomly initialised BERT (torch seed 0) whose vocabulary is the special
    tokens plus `chars`, with its fast tokenizer: a local checkpoint for training a transformer from scratch."""
    from transformers import BertConfig, BertModel, BertTokenizerFast
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars]) + "\n",
                                    encoding="utf-8")
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=5 + len(chars), hidden_size=hidden, num_hidden_layers=layers,
                         num_attention_heads=heads, intermediate_size=intermediate,
                         max_position_embeddings=max_positions)).save_pretrained(path)
    BertTokenizerFast(str(path / "vocab.txt")).save_pretrained(path)
    return path
