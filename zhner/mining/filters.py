"""Rule filters for mined terms (METHODS.md §4, step 4), read from a TOML file: lengths, a required pattern,
banned characters, prefixes, suffixes and patterns. No word list lives in code; the defaults are
`default_filters.toml` beside this module."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_RULES = Path(__file__).with_name("default_filters.toml")


@dataclass
class Rules:
    min_length: int = 2
    max_length: int = 12
    require_pattern: str = ""
    banned_chars: str = ""
    banned_prefixes: list[str] = field(default_factory=list)
    banned_suffixes: list[str] = field(default_factory=list)
    banned_patterns: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path=None) -> "Rules":
        path = Path(path or DEFAULT_RULES)
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise ValueError(f"{path}: {e}") from None
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"{path}: unknown rule(s) {', '.join(sorted(unknown))}")
        rules = cls(**values)
        rules._compiled = [re.compile(p) for p in rules.banned_patterns]
        return rules

    def keep(self, word: str) -> bool:
        return (self.min_length <= len(word) <= self.max_length
                and (not self.require_pattern or re.search(self.require_pattern, word) is not None)
                and not any(c in self.banned_chars for c in word)
                and not any(word.startswith(p) for p in self.banned_prefixes)
                and not any(word.endswith(s) for s in self.banned_suffixes)
                and not any(p.search(word) for p in getattr(self, "_compiled", [])))
