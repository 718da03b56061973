"""The training loop: length-bucketed batches, AdamW with three learning rates (pretrained encoder, CRF
transitions, the rest), optional FGM adversarial steps, gradient clipping, linear warm-up then decay, dev entity
F1 after every epoch, early stopping, and the best model kept. Writes `<output>/model/`, `<output>/log.jsonl`,
`<output>/curve.png`.
"""
from __future__ import annotations

import gc
import json
import math
import os
import random
import sys
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from .config import Config
from .corpora import read_corpus
from .features.featurizer import Featurizer
from .files import atomic_directory, recover
from .metrics import Report, evaluate
from .model import NERModel, load
from .nn.encoders import Transformer
from .spans import flatten, keeps_runs
from .windows import chunk


def say(*args):
    print(*args, file=sys.stderr, flush=True)


def seed_everything(seed: int):
    random.seed(seed)
    torch.manual_seed(seed)


def split_dev(examples, fraction: float, seed: int):
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    n_dev = max(1, int(len(examples) * fraction))
    dev = sorted(order[:n_dev])
    dev_set = set(dev)
    return [examples[i] for i in order if i not in dev_set], [examples[i] for i in dev]


def bucketed(pieces, batch_size: int, rng: random.Random):
    """Shuffle, sort by length within pools of 50 batches, cut into batches, shuffle the batches."""
    order = list(range(len(pieces)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for k in range(0, len(order), pool):
        chunk_ = sorted(order[k:k + pool], key=lambda i: len(pieces[i].text))
        batches += [chunk_[j:j + batch_size] for j in range(0, len(chunk_), batch_size)]
    rng.shuffle(batches)
    return batches


def build_optimizer(model: NERModel, cfg: Config):
    t = cfg.train
    groups = {"encoder": [], "crf": [], "rest": []}
    crf = {id(p) for p in getattr(model.head, "crf_parameters", lambda: [])()}
    for name, p in model.named_parameters():
        if id(p) in crf:
            groups["crf"].append(p)
        elif name.startswith("encoder.model."):
            groups["encoder"].append(p)
        else:
            groups["rest"].append(p)
    lrs = {"encoder": t.encoder_lr, "crf": t.crf_lr, "rest": t.lr}
    return torch.optim.AdamW([{"params": ps, "lr": lrs[k], "weight_decay": 0.0 if k == "crf" else t.weight_decay}
                              for k, ps in groups.items() if ps])


def linear_schedule(optimizer, total: int, warmup: float):
    warm = max(1, int(total * warmup))
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warm, max(0.0, (total - step) / max(1, total - warm))))


class WeightAverage:
    """Exponential moving average of the parameters: after optimizer step t, θ̄ ← d_t·θ̄ + (1 − d_t)·θ with
    d_t = min(decay, (1 + t) / (10 + t)), so the random start soon stops counting. `swapped()` puts θ̄ in the
    model (for evaluating and saving) and the trained weights back after."""

    def __init__(self, model: torch.nn.Module, decay: float):
        self.params = list(model.parameters())
        self.shadow = [p.detach().clone() for p in self.params]
        self.decay, self.steps = decay, 0

    @torch.no_grad()
    def update(self):
        self.steps += 1
        d = min(self.decay, (1 + self.steps) / (10 + self.steps))
        for s, p in zip(self.shadow, self.params):
            s.lerp_(p, 1 - d)

    @contextmanager
    def swapped(self):
        self._swap()
        try:
            yield
        finally:
            self._swap()

    def _swap(self):
        for s, p in zip(self.shadow, self.params):
            p.data, s.data = s.data, p.data


class FGM:
    """Adversarial training by the fast gradient method (Miyato et al., 2017) on the embedded input x (for a
    transformer, its word-piece embeddings): within `watching()`, the clean pass keeps g = ∂L/∂x; `backward`
    then back-propagates L(x + r) with r = ε·g / ‖g‖₂ per example, so the step follows ∇L(x) + ∇L(x + r)."""

    def __init__(self, model: NERModel, epsilon: float):
        encoder = model.encoder
        self.layer = encoder.model.get_input_embeddings() if isinstance(encoder, Transformer) else encoder.embed
        self.epsilon, self.grad, self.r = epsilon, None, None

    @contextmanager
    def watching(self):
        handle = self.layer.register_forward_hook(self._hook)
        try:
            yield
        finally:
            handle.remove()
            self.grad = self.r = None

    def _hook(self, module, inputs, x):
        if self.r is not None:
            return x + self.r
        if x.requires_grad:
            x.register_hook(self._keep)
        return None

    def _keep(self, grad):
        self.grad = grad

    def backward(self, net, tensors) -> torch.Tensor:
        """Back-propagate and return L(x + r), after the clean pass's backward."""
        norm = self.grad.flatten(1).norm(dim=1).clamp_min(1e-12)
        self.r = self.epsilon * self.grad / norm.view(-1, *[1] * (self.grad.dim() - 1))
        self.grad = None
        loss = net(tensors)             # `watching()` clears r on the way out, also after an error
        loss.backward()
        self.r = None
        return loss.detach()


def plot(log_rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    epochs = [r["epoch"] for r in log_rows]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(epochs, [r["loss"] for r in log_rows], "o-", color="tab:blue", label="train loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("train loss")
    ax2 = ax.twinx()
    ax2.plot(epochs, [100 * r["dev_f1"] for r in log_rows], "s-", color="tab:red", label="dev F1")
    ax2.set_ylabel("dev entity F1 (%)")
    fig.legend(loc="lower center", ncol=2)
    fig.tight_layout()
    tmp = Path(path).with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)


@dataclass
class Result:
    model_dir: Path
    best_epoch: int
    dev: Report
    seconds_per_epoch: float


def prepare(cfg: Config):
    """Read train and dev, cut long examples, flatten nested spans for tagging heads; report what changed."""
    d = cfg.data
    train = read_corpus(d.train, d.format, d.lenient).examples
    if d.limit:
        train = train[:d.limit]
    if d.dev:
        dev = read_corpus(d.dev, "auto", d.lenient).examples
    else:
        train, dev = split_dev(train, d.dev_fraction, cfg.train.seed)
    pieces, lost, dropped = [], 0, 0
    for ex in train:
        parts, n = chunk(ex, cfg.model.max_length)
        lost += n
        pieces += parts
    if cfg.model.head in ("softmax", "crf", "cascade"):
        flat = [flatten(ex) for ex in pieces]
        pieces, dropped = [ex for ex, _ in flat], sum(n for _, n in flat)
    if lost:
        say(f"warning: {lost} gold spans longer than model.max_length={cfg.model.max_length} were cut out")
    if dropped:
        say(f"warning: {dropped} nested gold spans dropped for the {cfg.model.head} head (kept the outermost)")
    pieces = [p for p in pieces if p.text]
    return pieces, dev


def save_checkpoint(out: Path, model, optimizer, scheduler, rng: random.Random, state: dict,
                    average: WeightAverage | None):
    """`<out>/checkpoint/`: the model directory, the optimizer's tensors and the weight average (safetensors)
    and everything else a resumed run needs as JSON (optimizer and scheduler settings, the data-order RNG,
    the epoch log). Written to a temporary directory and renamed, so a kill at any moment leaves the previous
    checkpoint whole."""
    from safetensors.torch import save_file
    with atomic_directory(out / "checkpoint") as tmp:
        model.save(tmp / "model")
        opt = optimizer.state_dict()
        tensors = {f"{i}.{k}": v.detach().cpu().contiguous() for i, st in opt["state"].items()
                   for k, v in st.items() if torch.is_tensor(v)}
        tensors["torch_rng"] = torch.get_rng_state()
        if average:
            tensors.update({f"ema.{i}": s.detach().cpu().contiguous() for i, s in enumerate(average.shadow)})
            state = {**state, "ema_steps": average.steps}
        save_file(tensors, tmp / "optimizer.safetensors")
        version, internal, gauss = rng.getstate()
        meta = {"param_groups": opt["param_groups"], "scheduler": scheduler.state_dict(),
                "rng": [version, list(internal), gauss], **state}
        (tmp / "trainer.json").write_text(json.dumps(meta), encoding="utf-8")


def load_checkpoint(folder: Path, optimizer, scheduler, rng: random.Random,
                    average: WeightAverage | None) -> dict:
    from safetensors.torch import load_file
    meta = json.loads((folder / "trainer.json").read_text(encoding="utf-8"))
    tensors = load_file(folder / "optimizer.safetensors")
    meta["torch_rng"] = tensors.pop("torch_rng")       # set by the caller once nothing else draws from it
    shadow = {k: tensors.pop(k) for k in [k for k in tensors if k.startswith("ema.")]}
    if average and shadow:
        for i, s in enumerate(average.shadow):
            s.copy_(shadow[f"ema.{i}"])
        average.steps = meta["ema_steps"]
    state: dict = {}
    for key, value in tensors.items():
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta.pop("param_groups")})
    scheduler.load_state_dict(meta.pop("scheduler"))
    version, internal, gauss = meta.pop("rng")
    rng.setstate((version, tuple(internal), gauss))
    return meta


def distributed() -> tuple[int, int, bool]:
    """(rank, world size, joined): joins the process group when started by torchrun (gloo on CPU, nccl on GPU);
    `joined` says this call created the group, so the caller destroys it when done."""
    import torch.distributed as dist
    joined = int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized()
    if joined:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return (dist.get_rank(), dist.get_world_size(), joined) if dist.is_initialized() else (0, 1, False)


def train(cfg: Config, resume: bool = False) -> Result:
    """Train as `cfg` says. Under torchrun every rank trains with DistributedDataParallel on its share of the
    batches; rank 0 alone evaluates, logs and writes files, and its early-stopping decision is broadcast.
    A checkpoint is written after every epoch; `resume` continues from it (same seed, same data order) and
    ends where an uninterrupted run would."""
    t, m = cfg.train, cfg.model
    rank, world, joined = distributed()
    torch.set_num_threads(t.threads or max(1, (os.cpu_count() or 1) // world))
    seed_everything(t.seed)
    pieces, dev = prepare(cfg)
    labels = sorted({s.label for ex in pieces for s in ex.spans})
    if not labels:
        raise ValueError(f"{cfg.data.train}: no entities in the training data")
    checkpoint = Path(t.output) / "checkpoint"
    recover(checkpoint)
    recover(Path(t.output) / "model")
    if resume and not (checkpoint / "trainer.json").exists():
        raise ValueError(f"--resume: no checkpoint in {t.output}; train without --resume to start afresh")
    if resume:
        model = load(checkpoint / "model")
        featurizer = model.featurizer
        say(f"resuming from {checkpoint}")
    else:
        featurizer = Featurizer.build(m, (ex.text for ex in pieces))
        if featurizer.word_level:
            bad, total = featurizer.misaligned(pieces)
            say(f"word level: {bad} of {total} gold entities do not start and end on word boundaries and are "
                "left out of training")
        model = NERModel(m, labels, featurizer, whole_runs=keeps_runs(pieces))
        if m.encoder != "transformer":
            featurizer.init_embeddings(model.encoder.embed, (ex.text for ex in pieces))
        featurizer.pretrained = {}                      # let the vectors go
    device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu"
    model.to(device)
    net = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel
        net = DistributedDataParallel(model)       # every trainable parameter gets a gradient
    say(f"train {len(pieces)} pieces, dev {len(dev)} examples, {len(labels)} labels, {len(featurizer.chars)} "
        f"units, {sum(p.numel() for p in model.parameters()):,} parameters, device {device}"
        + (f", rank {rank} of {world}" if world > 1 else ""))
    optimizer = build_optimizer(model, cfg)
    batches_per_epoch = math.ceil(len(pieces) / t.batch_size)
    epochs = max(t.epochs, math.ceil(t.min_steps / batches_per_epoch))
    patience = math.ceil(t.patience * epochs / t.epochs)        # the same share of the budget
    if epochs > t.epochs:
        say(f"{epochs} epochs, patience {patience}: {batches_per_epoch} batches per epoch, "
            f"train.min_steps {t.min_steps}")
    scheduler = linear_schedule(optimizer, max(1, batches_per_epoch // world) * epochs, t.warmup)
    out = Path(t.output)
    rng = random.Random(t.seed)
    average = WeightAverage(model, t.ema) if t.ema else None
    fgm = FGM(model, t.adversarial) if t.adversarial else None
    rows, best, best_epoch, best_report, stale, epoch_times, first = [], -1.0, 0, None, 0, [], 1
    if resume:
        state = load_checkpoint(checkpoint, optimizer, scheduler, rng, average)
        rows, best, best_epoch, stale, first = state["rows"], state["best"], state["best_epoch"], state["stale"], \
            state["epoch"] + 1
        epoch_times = [r["seconds"] for r in rows]
        best_report = evaluate(dev, load(out / "model").predict([ex.text for ex in dev])) \
            if rank == 0 and best_epoch else None
        torch.set_rng_state(state["torch_rng"])
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        (out / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    for epoch in range(first, epochs + 1):
        model.train()
        start, total_loss, n_chars, batch_seconds = time.time(), 0.0, 0, 0.0
        batches = bucketed(pieces, t.batch_size, rng)                # the same order on every rank
        batches = batches[rank:max(world, len(batches) // world * world):world]
        bar = tqdm(batches, desc=f"epoch {epoch}/{epochs}", unit="batch", file=sys.stderr, disable=None,
                   leave=False)
        for batch_ids in bar:
            batch = [pieces[i] for i in batch_ids]
            tick = time.time()
            tensors = model.make_batch([ex.text for ex in batch], [ex.spans for ex in batch])
            batch_seconds += time.time() - tick
            optimizer.zero_grad(set_to_none=True)
            with fgm.watching() if fgm else nullcontext():
                with net.no_sync() if fgm and world > 1 else nullcontext():     # one gradient all-reduce per step
                    loss = net(tensors)
                    loss.backward()
                if fgm:
                    fgm.backward(net, tensors)
            torch.nn.utils.clip_grad_norm_(model.parameters(), t.clip)
            optimizer.step()
            scheduler.step()
            if average:
                average.update()
            total_loss += loss.item() * len(batch)
            n_chars += sum(len(ex.text) for ex in batch)
            bar.set_postfix(loss=f"{loss.item():.3f}", chars_per_s=f"{n_chars / (time.time() - start):.0f}")
        seconds = time.time() - start
        epoch_times.append(seconds)
        stop = False
        if rank == 0:
            with average.swapped() if average else nullcontext():
                report = evaluate(dev, model.predict([ex.text for ex in dev]))
                improved = report.micro.f1 > best
                if improved:
                    model.save(out / "model")
            row = {"epoch": epoch, "loss": total_loss / max(1, sum(len(b) for b in batches)),
                   "dev_precision": report.micro.precision, "dev_recall": report.micro.recall,
                   "dev_f1": report.micro.f1, "seconds": round(seconds, 2),
                   "feature_seconds": round(batch_seconds, 3),
                   "eval_seconds": round(time.time() - start - seconds, 2)}
            rows.append(row)
            with open(out / "log.jsonl", "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")
            plot(rows, out / "curve.png")
            if improved:
                best, best_epoch, best_report, stale = report.micro.f1, epoch, report, 0
            elif best > 0:      # patience starts once the model finds entities (GlobalPointer starts silent)
                stale += 1
            say(f"epoch {epoch}: loss {row['loss']:.4f}  dev P {100 * report.micro.precision:.2f} "
                f"R {100 * report.micro.recall:.2f} F1 {100 * report.micro.f1:.2f}  {seconds:.1f}s"
                + ("  (best, saved)" if improved else ""))
            stop = bool(patience and stale >= patience)
            if stop:
                say(f"stopping early: no dev F1 gain for {patience} epochs")
            save_checkpoint(out, model, optimizer, scheduler, rng, {"epoch": epoch, "rows": rows, "best": best,
                                                                    "best_epoch": best_epoch, "stale": stale},
                            average)
        if world > 1:
            import torch.distributed as dist
            flag = torch.tensor([int(stop)], device=device)
            dist.broadcast(flag, 0)
            stop = bool(flag.item())
        if stop:
            break
    if world > 1:
        checksum = sum(p.detach().double().sum().item() for p in model.parameters())
        say(f"rank {rank}: final weights checksum {checksum:.10f}")
    if joined:
        # DDP leaves garbage in reference cycles; left to interpreter shutdown it aborted a rank after a good
        # run (SIGABRT, "terminate called without an active exception"; benchmarks/NOTES.md, session 34).
        # Collect it while the interpreter is whole, then leave the group.
        del net
        gc.collect()
        torch.distributed.destroy_process_group()
    return Result(out / "model", best_epoch, best_report, sum(epoch_times) / max(1, len(epoch_times)))
