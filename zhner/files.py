"""Atomic writes: a model, a checkpoint or an output file is written beside its final place and renamed into
it, so a reader never sees half of one and a kill or an error leaves the previous version."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


def previous(path: Path) -> Path:
    """Where `atomic_directory` keeps the previous directory while it renames the new one into place."""
    return path.with_name(f".{path.name}.old")


@contextmanager
def atomic_directory(path):
    """Yield an empty temporary directory beside `path`; if the block succeeds it replaces `path`, otherwise it
    is deleted. A kill at any moment leaves the previous directory whole, at `path` or (for the instant between
    the two renames) at `.<name>.old`, from where `recover` brings it back."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    recover(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield tmp
        for p in [tmp, *tmp.rglob("*")]:                    # mkdtemp makes 0700; the result is for every user
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        old = previous(path)
        shutil.rmtree(old, ignore_errors=True)
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def atomic_file(path):
    """Yield a temporary path beside `path` (its directory is created) to write; if the block succeeds it
    replaces `path`, otherwise it is deleted."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_text(path):
    """`atomic_file` opened as a UTF-8 text file: yield the file to write."""
    with atomic_file(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        yield f


def recover(path) -> None:
    """Put back the previous directory if a kill struck between the two renames of `atomic_directory`, and
    delete temporary directories that a kill left half-written."""
    path = Path(path)
    if not path.exists() and previous(path).exists():
        os.replace(previous(path), path)
    if path.parent.is_dir():
        for tmp in path.parent.glob(f".{path.name}.*"):
            if tmp != previous(path) and tmp.is_dir():
                shutil.rmtree(tmp, ignore_errors=True)
