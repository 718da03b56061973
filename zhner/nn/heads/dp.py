"""The CRF's dynamic programs, compiled with numba: Viterbi and forward-backward marginals over (B, T, K)
float32 emissions. A step of these loops is a few hundred operations on scalars, which as PyTorch calls cost
more in dispatch than in arithmetic. Imported on first decoding (`crf.viterbi`, `crf.marginals`), so a process
that never decodes a CRF does not load numba.
"""
from __future__ import annotations

import numba
import numpy as np

_TINY = np.finfo(np.float32).tiny
FEW = 16            # Viterbi: up to this many allowed previous tags, try them all (`viterbi`)


def _jit(**flags):
    """numba.njit(**flags), releasing the GIL, and cached on disk where numba finds a place to write (else
    compiled once per process)."""
    def compile(f):
        try:
            return numba.njit(cache=True, nogil=True, **flags)(f)
        except RuntimeError:            # no cache locator: source without a file, or nowhere writable
            return numba.njit(nogil=True, **flags)(f)
    return compile


@_jit()
def viterbi(em, lengths, start, trans, end, preds, offsets, col_max):
    """Best tag path of each row of em (B, T, K) up to its length -> (B, T) ids. Tag j's candidates for the
    previous tag are preds[offsets[j]:offsets[j + 1]] (those allowed before it); with more than FEW, all tags
    are visited by descending score, stopping once score[i] + max_i' T[i', j] cannot beat the best found:
    exact, and with hundreds of tags only a handful are visited."""
    n_rows, n_steps, k = em.shape
    paths = np.zeros((n_rows, n_steps), np.int64)
    back = np.zeros((n_steps, k), np.int64)
    score, new = np.empty(k, em.dtype), np.empty(k, em.dtype)
    order, sort = np.arange(k), np.diff(offsets).max() > FEW
    for b in range(n_rows):
        n = lengths[b]
        if n == 0:
            continue
        score[:] = start + em[b, 0]
        for t in range(1, n):
            if sort:
                order = np.argsort(-score)
            for j in range(k):
                best, arg = -np.inf, 0
                if offsets[j + 1] - offsets[j] <= FEW:
                    for p in range(offsets[j], offsets[j + 1]):
                        v = score[preds[p]] + trans[preds[p], j]
                        if v > best:
                            best, arg = v, preds[p]
                else:
                    for i in order:
                        if score[i] + col_max[j] <= best:
                            break
                        v = score[i] + trans[i, j]
                        if v > best:
                            best, arg = v, i
                new[j], back[t, j] = best + em[b, t, j], arg
            score[:] = new
        cur = np.argmax(score + end)
        for t in range(n - 1, 0, -1):
            paths[b, t] = cur
            cur = back[t, cur]
        paths[b, 0] = cur
    return paths


@_jit(fastmath=True)
def scaled_forward(em, lengths, start, w, priors):
    """The forward recursion over each row of em (B, T, K) up to its length, normalised at every step as in
    `crf.log_partition`: prior_t = â_{t-1} · W (prior_0 = exp(start)) and â_t = prior_t ⊙ exp(E_t), each divided by
    its sum, where W = exp(T − max T) is given transposed (w[j, i] = W[i, j]). Returns the priors if `priors`,
    else the â. The products run over contiguous memory, which vectorises, and each row of w serves every row
    of the batch while in cache."""
    n_rows, n_steps, k = em.shape
    out = np.zeros_like(em)
    a, nxt = np.empty((n_rows, k), em.dtype), np.empty((n_rows, k), em.dtype)
    for b in range(n_rows):
        a[b] = np.exp(start - start.max())
    for t in range(n_steps):
        if t:
            for j in range(k):
                for b in range(n_rows):
                    if t < lengths[b]:
                        acc = np.float32(0)
                        for i in range(k):
                            acc += a[b, i] * w[j, i]
                        nxt[b, j] = acc
            a, nxt = nxt, a
        for b in range(n_rows):
            if t >= lengths[b]:
                continue
            norm, peak = max(a[b].sum(), _TINY), em[b, t].max()
            for j in range(k):
                a[b, j] /= norm
                if priors:
                    out[b, t, j] = a[b, j]
                a[b, j] *= np.exp(em[b, t, j] - peak)
            norm = max(a[b].sum(), _TINY)
            for j in range(k):
                a[b, j] /= norm
                if not priors:
                    out[b, t, j] = a[b, j]
    return out


@_jit()
def marginals(em, lengths, start, trans, end):
    """γ_t ∝ α_t ⊙ β_t: α_t ∝ â_t of the forward pass; β_t ∝ the prior of the backward pass, which is the
    forward pass over the reversed rows with T transposed and start and end swapped."""
    n_rows, n_steps, k = em.shape
    w = np.exp(trans - trans.max())
    rev = np.zeros_like(em)
    for b in range(n_rows):
        for t in range(lengths[b]):
            rev[b, t] = em[b, lengths[b] - 1 - t]
    alpha = scaled_forward(em, lengths, start, np.ascontiguousarray(w.T), False)
    beta = scaled_forward(rev, lengths, end, w, True)
    out = np.zeros_like(em)
    for b in range(n_rows):
        n = lengths[b]
        for t in range(n):
            total = 0.0
            for j in range(k):
                total += np.float64(alpha[b, t, j]) * beta[b, n - 1 - t, j]
            if total > 0:
                for j in range(k):
                    out[b, t, j] = np.float64(alpha[b, t, j]) * beta[b, n - 1 - t, j] / total
    return out
