"""Files the project writes: atomically, with content hashes, manifests, locks and a shared cache.

Every output goes to a temporary file in the target folder and is renamed into place
(``os.replace``), so a crash or kill never leaves a half-written file under a final name. A
manifest per report records what the report was built from; ``resume`` compares it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

__all__ = ["atomic_path", "atomic_write", "file_sha256", "hash_inputs", "clean_temp_files",
           "canonical_json", "read_manifest", "write_manifest", "is_up_to_date",
           "shared_artifact", "directory_lock"]

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
        Absolute path → SHA-256, sorted by path.
    """
    out: dict[str, str] = {}
    for p in paths:
        p = Path(p).resolve()
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if f.is_file() and not any(part.startswith(".") for part in rel):
                    out[str(f)] = file_sha256(f)
        elif p.is_file():
            out[str(p)] = file_sha256(p)
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


def _cached_hashes(cache_dir: Path, paths: Iterable[str | os.PathLike]) -> dict[str, str]:
    # Hashing a data folder for each of 290 reports would cost more than the artifact; file
    # hashes are remembered by (size, mtime) in the cache folder.
    index_path = cache_dir / "file-hashes.json"
    try:
        known = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    files: list[Path] = []
    for p in paths:
        p = Path(p).resolve()
        if p.is_dir():
            files += [f for f in sorted(p.rglob("*")) if f.is_file()
                      and not any(s.startswith(".") for s in f.relative_to(p).parts)]
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"data file {p} does not exist")
    out, changed = {}, False
    for f in files:
        st = f.stat()
        entry = known.get(str(f))
        if not entry or entry[:2] != [st.st_size, st.st_mtime_ns]:
            entry = [st.st_size, st.st_mtime_ns, file_sha256(f)]
            known[str(f)] = entry
            changed = True
        out[str(f)] = entry[2]
    if changed:
        atomic_write(index_path, json.dumps(known))
    return out


def shared_artifact(name: str, compute: Callable[[], Any], *,
                    cache_dir: str | os.PathLike | None, data_files: Iterable = (),
                    key: Any = None) -> Any:
    """Compute an expensive shared result once per batch and load it in every other report.

    The artifact is stored as a pickle in ``cache_dir``, keyed by ``name``, the content hashes
    of ``data_files`` and ``key`` (e.g. the period and comparison set). While one report
    computes it the others wait on a file lock and then load it, so 290 reports compute the
    funnel data for all kommuner once. With ``cache_dir=None`` (a notebook run on its own) it
    is simply computed.

    Parameters
    ----------
    name : str
        Artifact name, e.g. "funnel_all_kommuner".
    compute : callable
        Called without arguments when the artifact is missing.
    cache_dir : path or None
        The ``shared_cache_dir`` parameter the runner passes to notebooks.
    data_files : iterable of paths
        Inputs the artifact depends on (files or folders).
    key : JSON-serialisable, optional
        Anything else the artifact depends on.

    Returns
    -------
    object
        The computed or loaded artifact.

    Notes
    -----
    Only load caches you wrote yourself: pickle executes code from the file.

    Examples
    --------
    >>> d = tempfile.mkdtemp()
    >>> calls = []
    >>> f = lambda: calls.append(1) or {"riket": 1234.5}
    >>> shared_artifact("national", f, cache_dir=d, key={"year": 2024})
    {'riket': 1234.5}
    >>> shared_artifact("national", f, cache_dir=d, key={"year": 2024}), len(calls)
    ({'riket': 1234.5}, 1)
    """
    if cache_dir is None:
        return compute()
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    from . import __version__
    digest = hashlib.sha256(canonical_json({
        "name": name, "data": _cached_hashes(cache, data_files), "key": key,
        "analysis": __version__}).encode("utf-8")).hexdigest()[:20]
    safe = re.sub(r"[^\w.-]+", "_", name)
    target = cache / f"{safe}-{digest}.pkl"
    if target.is_file():
        return pickle.loads(target.read_bytes())
    with directory_lock(cache / f".{safe}-{digest}.lock"):
        if target.is_file():  # computed by another report while we waited
            return pickle.loads(target.read_bytes())
        value = compute()
        atomic_write(target, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        return value
