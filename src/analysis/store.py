"""Files the project writes: atomically, with content hashes, manifests and locks.

Every output goes to a temporary file in the target folder and is renamed into place
(``os.replace``), so a crash or kill never leaves a half-written file under a final name. A
manifest per report records what the report was built from; ``resume`` compares it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator

__all__ = ["atomic_path", "atomic_write", "file_sha256", "hash_inputs", "clean_temp_files",
           "canonical_json", "read_manifest", "write_manifest", "is_up_to_date",
           "directory_lock"]

_TMP_PREFIX = ".tmp-"
MANIFEST_VERSION = 1


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it into place if the block succeeds.

    On an exception the temporary file is removed and ``path`` keeps its old content (or stays
    absent). Leftovers of a killed process are hidden dot-files ending in ``.tmp`` that
    :func:`clean_temp_files` removes.

    Examples
    --------
    >>> d = Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("ok")
    >>> (d / "a.txt").read_text(), [p.name for p in d.iterdir()]
    ('ok', ['a.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not mkstemp: its 0600 mode would make the drafts unreadable for colleagues. The name
    # keeps the real suffix last (tools such as papermill check it).
    tmp = path.parent / f"{_TMP_PREFIX}{secrets.token_hex(6)}-{path.name}"
    open(tmp, "xb").close()
    try:
        yield tmp
        with open(tmp, "rb") as fh:  # make the content durable before it gets the final name
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write bytes or text (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)


def clean_temp_files(folder: str | os.PathLike) -> int:
    """Remove temporary files left by a killed run under ``folder``; returns how many."""
    n = 0
    for p in Path(folder).rglob(f"{_TMP_PREFIX}*"):
        if p.is_file():
            p.unlink(missing_ok=True)
            n += 1
    return n


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def hash_inputs(paths: Iterable[str | os.PathLike]) -> dict[str, str]:
    """Content hashes of input files; a folder contributes every file in it (hidden ones not).

    Returns
    -------
    dict
        Name → SHA-256, sorted by name: ``folder/path inside it`` for files of a folder, the
        file name for a file. No machine path, so manifests in a shared reports folder do
        not reveal where the data live; two inputs with the same name are numbered.
    """
    out: dict[str, str] = {}

    def put(name: str, digest: str) -> None:
        key, n = name, 2
        while key in out:
            key, n = f"{name} ({n})", n + 1
        out[key] = digest

    for p in paths:
        p = Path(p).resolve()
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if f.is_file() and not any(part.startswith(".") for part in rel):
                    put("/".join((p.name, *rel)), file_sha256(f))
        elif p.is_file():
            put(p.name, file_sha256(p))
        else:
            raise FileNotFoundError(f"data file {p} does not exist")
    return dict(sorted(out.items()))


def canonical_json(value: Any) -> str:
    """JSON with sorted keys; paths and other objects as strings (for fingerprints)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def read_manifest(path: str | os.PathLike) -> dict | None:
    """A manifest, or None when it is missing or unreadable (then the report is rebuilt)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == MANIFEST_VERSION else None


def write_manifest(path: str | os.PathLike, manifest: dict) -> Path:
    """Write a manifest atomically (the last file a report writes)."""
    manifest = {"version": MANIFEST_VERSION, **manifest}
    return atomic_write(path, json.dumps(manifest, indent=1, ensure_ascii=False, default=str))


def is_up_to_date(manifest: dict | None, *, fingerprint: dict, out_dir: str | os.PathLike) -> bool:
    """True when a successful report was built from the same inputs and all its files are intact.

    ``fingerprint`` holds the parameters, the notebook hash, the data hashes, the formats and
    rendering options; every output listed in the manifest must exist with the recorded hash.
    """
    if not manifest or manifest.get("status") != "ok":
        return False
    if canonical_json(manifest.get("fingerprint")) != canonical_json(fingerprint):
        return False
    files = manifest.get("files") or {}
    if not files:
        return False
    for rel, digest in files.items():
        p = Path(out_dir) / rel
        if not p.is_file() or file_sha256(p) != digest:
            return False
    return True


@contextlib.contextmanager
def directory_lock(path: str | os.PathLike, *, blocking: bool = True) -> Iterator[bool]:
    """An exclusive advisory lock on a lock file (POSIX ``flock``); yields whether it was taken.

    On systems without ``fcntl`` no lock is taken (yields True): atomic renames still keep
    files whole, work may just be done twice.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield True
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
