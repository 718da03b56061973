"""Run configuration: one TOML file per recipe, validated; dotted overrides like `--train.epochs 5`.

Unknown sections or keys and values of the wrong type are errors, raised before any work starts.
"""
from __future__ import annotations

import tomllib
import typing
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path


class ConfigError(ValueError):
    pass


@dataclass
class DataConfig:
    train: str = ""
    dev: str = ""                  # empty: hold out `dev_fraction` of train
    dev_fraction: float = 0.1
    format: str = "auto"
    lenient: bool = False
    limit: int = 0                 # use only the first N training records (0 = all)


@dataclass
class ModelConfig:
    level: str = "char"            # char | word (tokens are the segmenter's words; spans map back to chars)
    encoder: str = "bilstm"        # bilstm | idcnn | transformer
    head: str = "crf"              # softmax | crf | globalpointer | efficient_globalpointer | cascade
    scheme: str = "BIOES"          # tagging heads only
    char_dim: int = 100
    bigram_dim: int = 0            # 0 = no char-bigram embedding
    min_freq: int = 1              # vocabulary cut-off (chars, bigrams, words)
    max_bigrams: int = 50000
    max_words: int = 100000
    char_vectors: str = ""         # word2vec files (text or binary) that initialise the embedding tables
    bigram_vectors: str = ""
    word_vectors: str = ""         # initialises both the word (WLF) and the lexicon tables
    word_dim: int = 0              # word-level features: embedding of the segmenter's word, per character
    postag_dim: int = 0            # word-tag features: the segmenter's part of speech of the word around each
                                   # character, BIOES-tagged by its place in the word, e.g. B-nr; jieba, lac
    segmenter: str = "jieba"       # jieba | lexicon | lac
    user_dict: str = ""            # jieba: user dictionary; lexicon: the word<TAB>count file to segment with
    lexicon_dim: int = 0           # SoftLexicon features: 4 pooled sets × lexicon_dim per character
    lexicon: list[str] = field(default_factory=list)  # "jieba", word lists, word2vec files; empty = ["jieba"]
    lexicon_max_len: int = 8
    lexicon_frequency: str = "source"  # z(w): source = the lexicon's counts (1 if none) | data = SoftLexicon's
    hidden: int = 128              # per direction for BiLSTM, filters for IDCNN
    layers: int = 1
    dropout: float = 0.3
    idcnn_dilations: list[int] = field(default_factory=lambda: [1, 1, 2])
    idcnn_blocks: int = 4
    transformer: str = ""          # local directory of a BERT-family checkpoint
    head_size: int = 64            # GlobalPointer q/k size
    rope: bool = True
    threshold: float = 0.0         # GlobalPointer: a span is an entity if its score > threshold
    flat: bool = False             # GlobalPointer: keep only the best non-overlapping spans
    max_length: int = 256          # window size in characters for training and prediction
    o_weight: float = 1.0          # WOL, tagging heads: loss weight of tokens outside entities (reference: 0.5)
    pos_weight: float = 1.0        # WOL, GlobalPointer: weight of the gold-span term of the loss
    pos_weight_by_type: dict[str, float] = field(default_factory=dict)  # per type, over pos_weight: {PER = 2.0}
    cascade_tagger: str = "crf"    # cascade head: crf | softmax over untyped tags
    cascade_repr: str = "start_end"  # cascade head: span feature [h_start; h_end] or h_end (the reference's)


@dataclass
class TrainConfig:
    output: str = "runs/model"
    epochs: int = 10
    min_steps: int = 0             # at least this many batches in all: small data trains more than `epochs`
                                   # epochs, patience grows in step (batches of batch_size on one process)
    batch_size: int = 32
    lr: float = 2e-3
    encoder_lr: float = 3e-5       # pretrained transformer parameters
    crf_lr: float = 1e-2           # CRF transitions
    weight_decay: float = 0.01
    clip: float = 5.0
    warmup: float = 0.05           # fraction of steps with linear warm-up, then linear decay to 0
    patience: int = 3              # epochs without dev F1 gain, once F1 > 0, before stopping (0 = never stop early)
    ema: float = 0.0               # decay of a moving average of the weights, evaluated and saved (0 = off)
    adversarial: float = 0.0       # FGM: ε of a step of the embedded input up its loss gradient, also trained on
    seed: int = 42
    threads: int = 0               # torch CPU threads (0 = all cores)


@dataclass
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Limits:
    """Limits and tuning of `zhner serve` (flags, or ZHNER_* variables for `uvicorn --factory`)."""
    max_chars: int = field(default=100_000, metadata={"help": "characters per text (422 above)"})
    max_texts: int = field(default=256, metadata={"help": "texts per request (422 above)"})
    max_body_bytes: int = field(default=2_000_000, metadata={"help": "request body size (413 above)"})
    body_timeout_s: float = field(default=30.0, metadata={"help": "time to receive a body (408 after)"})
    max_queue: int = field(default=4096, metadata={"help": "texts waiting to be tagged (503 above)"})
    max_wait_ms: float = field(default=5.0, metadata={"help": "how long a text waits to fill a batch"})
    batch_size: int = field(default=64, metadata={"help": "texts per model call"})
    threads: int = field(default=1, metadata={"help": "CPU threads of the model in each worker process (0 = all "
                                                      "cores); 1 leaves the other cores to HTTP and JSON"})
    primitive_cache: int = field(default=0, metadata={"help": "oneDNN kernels kept per worker process "
                                                              "(ONEDNN_PRIMITIVE_CACHE_CAPACITY): 0 keeps memory "
                                                              "flat under load; 64 answered ~15%% more requests/s "
                                                              "at saturation (64 clients), the same at 8"})


def _coerce(value, typ, where: str, parse: bool = False):
    """Check `value` against the field type; with `parse`, a string (from the command line) is read as TOML."""
    origin = typing.get_origin(typ)
    if parse and isinstance(value, str) and typ is not str:
        if typ is bool and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        try:
            value = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            raise ConfigError(f"{where}: cannot read {value!r} as {getattr(typ, '__name__', typ)}") from None
    if origin is list:
        (item,) = typing.get_args(typ)
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_coerce(v, item, where) for v in value]
    if origin is dict:
        key_type, item = typing.get_args(typ)
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table such as {{PER = 2.0}}, got {value!r}")
        return {_coerce(k, key_type, where): _coerce(v, item, f"{where}.{k}") for k, v in value.items()}
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        raise ConfigError(f"{where}: expected {typ.__name__}, got {value!r}")
    return value


def _section_types(section) -> dict:
    return typing.get_type_hints(type(section))


def apply(cfg: Config, values: dict, source: str, parse: bool = False) -> Config:
    for name, table in values.items():
        if name not in {f.name for f in fields(Config)}:
            raise ConfigError(f"{source}: unknown section [{name}] (known: data, model, train)")
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: [{name}] must be a table")
        section = getattr(cfg, name)
        types = _section_types(section)
        for key, value in table.items():
            if key not in types:
                raise ConfigError(f"{source}: unknown key {name}.{key} (known: {', '.join(types)})")
            setattr(section, key, _coerce(value, types[key], f"{source}: {name}.{key}", parse))
    return cfg


def validate(cfg: Config) -> Config:
    m = cfg.model
    choices = {"encoder": ("bilstm", "idcnn", "transformer"), "segmenter": ("jieba", "lexicon", "lac"), "level": ("char", "word"),
               "lexicon_frequency": ("source", "data"),
               "head": ("softmax", "crf", "globalpointer", "efficient_globalpointer", "cascade"),
               "scheme": ("BIO", "BIOES"), "cascade_tagger": ("crf", "softmax"), "cascade_repr": ("start_end", "end")}
    for key, allowed in choices.items():
        if getattr(m, key) not in allowed:
            raise ConfigError(f"model.{key} = {getattr(m, key)!r}; choose from {', '.join(allowed)}")
    if m.encoder == "transformer" and not m.transformer:
        raise ConfigError("model.encoder = 'transformer' needs model.transformer = a local checkpoint directory")
    if not 0 < cfg.data.dev_fraction < 1:
        raise ConfigError("data.dev_fraction must be between 0 and 1")
    if m.level == "word" and (m.encoder == "transformer" or m.bigram_dim or m.word_dim or m.lexicon_dim
                              or m.postag_dim):
        raise ConfigError("model.level = 'word' works with the bilstm and idcnn encoders and word embeddings only "
                          "(set bigram_dim, word_dim, lexicon_dim and postag_dim to 0; char_dim is the word embedding "
                          "size)")
    if m.postag_dim and m.segmenter == "lexicon":
        raise ConfigError("model.postag_dim needs a segmenter that tags parts of speech (jieba or lac), not 'lexicon'")
    if m.o_weight <= 0 or m.pos_weight <= 0 or any(w <= 0 for w in m.pos_weight_by_type.values()):
        raise ConfigError("model.o_weight, model.pos_weight and model.pos_weight_by_type's weights must be > 0")
    if m.pos_weight_by_type and "globalpointer" not in m.head:
        raise ConfigError("model.pos_weight_by_type weights GlobalPointer heads' loss; model.head is "
                          f"{m.head!r} (tagging heads: model.o_weight)")
    if m.max_length < 16:
        raise ConfigError("model.max_length must be at least 16")
    if not 0 <= cfg.train.ema < 1:
        raise ConfigError("train.ema must be at least 0 (off) and below 1, such as 0.999")
    if cfg.train.epochs < 1 or cfg.train.min_steps < 0 or cfg.train.patience < 0:
        raise ConfigError("train.epochs must be at least 1, train.min_steps and train.patience at least 0")
    if cfg.train.adversarial < 0:
        raise ConfigError("train.adversarial must be at least 0 (off), such as 1.0")
    return cfg


def load_config(path=None, overrides: dict | None = None) -> Config:
    """Defaults, then the TOML file, then `{"train.epochs": "5", ...}` overrides; validated."""
    cfg = Config()
    if path:
        try:
            values = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"{path}: cannot read config: {e}") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{path}: {e}") from None
        apply(cfg, values, str(path))
    nested: dict = {}
    for dotted, value in (overrides or {}).items():
        section, _, key = dotted.partition(".")
        if not key:
            raise ConfigError(f"override --{dotted}: expected --section.key value")
        nested.setdefault(section, {})[key] = value
    apply(cfg, nested, "command line", parse=True)
    return validate(cfg)


def model_config_from_dict(values: dict) -> ModelConfig:
    cfg = apply(Config(), {"model": values}, "model config")
    return validate(cfg).model
