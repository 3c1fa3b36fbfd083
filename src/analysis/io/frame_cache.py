"""A per-user cache of validated aggregate tables (crimes, population), as plain arrays.

Reading and checking ``crimes.csv`` (a million rows of kommun × month × crime type) takes
about 2 s; every ``lagesbild`` command and every researcher's ``load_dataset`` paid it again
for the same file. :func:`read_tidy_cached` keeps what :func:`analysis.io.tidy.read_tidy`
returned for a file, keyed by the SHA-256 of the file's content, the kind, the options and a
signature of this package's code (a changed reader or check is a new key), and reads it back in
about a tenth of the time.

What is stored, and what is not:

* only the aggregate kinds of :data:`CACHED_KINDS` (counts and populations by kommun); never
  survey microdata, item catalogues or anything else;
* NumPy arrays (``.npy``, read with ``allow_pickle=False``) and a JSON manifest holding the
  SHA-256 of every array: nothing in an entry can run code when it is read, and an entry that
  is truncated, edited or not of this format is removed and the file read again;
* only frames that read back exactly as read (values, dtypes, ``attrs``); a table that fails
  its checks raises as always and leaves nothing behind.

The folder is ``$LAGESBILD_CACHE_DIR``, else ``$XDG_CACHE_HOME/lagesbild``, else
``~/.cache/lagesbild``; it is created readable by its owner only, and a folder owned by
another user is not used. ``LAGESBILD_CACHE_DIR=off`` turns the cache off. At most
:data:`MAX_ENTRIES` tables are kept (the least recently used go first). Deleting the folder
is always safe.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..cache import private_dir
from ..store import canonical_json, file_sha256
from .text import Lines
from .tidy import read_tidy

__all__ = ["read_tidy_cached", "frame_cache_dir", "CACHED_KINDS", "MAX_ENTRIES",
           "CACHE_DIR_VARIABLE"]

_log = logging.getLogger(__name__)

#: The kinds whose validated frames may be cached: aggregates, never microdata.
CACHED_KINDS = frozenset({"crimes", "crimes_annual", "population"})
#: Tables kept at most; the least recently read are removed first.
MAX_ENTRIES = 8
#: The environment variable that names the cache folder (``off`` turns the cache off).
CACHE_DIR_VARIABLE = "LAGESBILD_CACHE_DIR"
_FORMAT, _VERSION = "lagesbild-frame", 1
_OFF = {"off", "0", "no", "none", "false"}


def frame_cache_dir() -> Path | None:
    """The cache folder (not created here), or None when the cache is turned off.

    Examples
    --------
    >>> import os
    >>> before = os.environ.get("LAGESBILD_CACHE_DIR", "off")
    >>> os.environ["LAGESBILD_CACHE_DIR"] = "off"
    >>> frame_cache_dir() is None
    True
    >>> os.environ["LAGESBILD_CACHE_DIR"] = "/tmp/lagesbild-cache"
    >>> str(frame_cache_dir())
    '/tmp/lagesbild-cache/frames'
    >>> os.environ["LAGESBILD_CACHE_DIR"] = before
    """
    given = os.environ.get(CACHE_DIR_VARIABLE)
    if given is not None:
        if given.strip().lower() in _OFF or not given.strip():
            return None
        return Path(given).expanduser() / "frames"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "lagesbild" / "frames"


@functools.lru_cache(maxsize=1)
def _code_signature() -> str:
    """SHA-256 of this package's source and data files and of the pandas and NumPy versions:
    any change to a reader, a check or a reference list makes every key new."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(f"{pd.__version__}|{np.__version__}".encode())
    for p in sorted(root.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".csv", ".json",
                                                                          ".yaml", ".txt"):
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def read_tidy_cached(path: str | Path, kind: str, *, sha256: str | None = None,
                     allow_gaps: bool = False) -> pd.DataFrame:
    """:func:`~analysis.io.tidy.read_tidy`, read from the per-user cache when it has the file.

    Parameters
    ----------
    path : str or Path
        The CSV file (the same as for ``read_tidy``).
    kind : str
        A kind of :data:`CACHED_KINDS`; any other kind is read without the cache.
    sha256 : str, optional
        The file's SHA-256 when the caller has it already (``load_dataset`` hashes every
        file it reads); computed otherwise.
    allow_gaps : bool
        As for ``read_tidy`` (part of the key).

    Returns
    -------
    pandas.DataFrame
        Equal to what ``read_tidy(path, kind, allow_gaps=allow_gaps)`` returns: values,
        dtypes and ``attrs`` (``attrs['source']`` is ``path`` as given).

    Raises
    ------
    DataError
        As ``read_tidy``: a file with problems is read and reported every time.

    Examples
    --------
    >>> import os, tempfile
    >>> before = os.environ.get("LAGESBILD_CACHE_DIR", "off")
    >>> os.environ["LAGESBILD_CACHE_DIR"] = tempfile.mkdtemp()
    >>> p = os.path.join(tempfile.mkdtemp(), "population.csv")
    >>> _ = Path(p).write_text("kommunkod,year,population\\n1760,2025,3777\\n0114,2025,50495\\n")
    >>> first = read_tidy_cached(p, "population")   # read, checked and stored
    >>> again = read_tidy_cached(p, "population")   # read back from the cache
    >>> again.equals(first), again.attrs["lines"].tolist()
    (True, [2, 3])
    >>> os.environ["LAGESBILD_CACHE_DIR"] = before
    """
    source, path = str(path), Path(path)  # attrs['source'] is the path as given, as read_tidy
    folder = frame_cache_dir()
    if kind not in CACHED_KINDS or folder is None:
        return read_tidy(path, kind, allow_gaps=allow_gaps)
    digest = sha256 or file_sha256(path)
    key = hashlib.sha256(canonical_json({
        "file": digest, "kind": kind, "allow_gaps": bool(allow_gaps),
        "code": _code_signature(), "format": _VERSION}).encode("utf-8")).hexdigest()[:40]
    try:
        root = private_dir(folder)
    except OSError as exc:
        _log.info("frame cache %s cannot be used (%s)", folder, exc)
        root = None
    if root is None:
        return read_tidy(path, kind, allow_gaps=allow_gaps)
    entry = root / f"{kind}-{key}"
    if entry.is_dir():
        try:
            frame = _read_frame(entry, source=source)
            os.utime(entry)  # most recently used
            return frame
        except (OSError, ValueError, KeyError, TypeError) as exc:
            _log.info("frame cache entry %s was not used (%s); reading %s", entry.name, exc, path)
            shutil.rmtree(entry, ignore_errors=True)
    frame = read_tidy(path, kind, allow_gaps=allow_gaps)
    if file_sha256(path) != digest:  # the file changed while it was read: keep nothing
        return frame
    try:
        _store_frame(root, entry, frame)
    except Exception as exc:  # noqa: BLE001 - the frame was read; storing it is optional
        _log.info("frame cache: %s not stored (%s: %s)", path, type(exc).__name__, exc)
    return frame


# ----------------------------------------------------------------------------- encoding

def _encode(frame: pd.DataFrame) -> tuple[dict, dict[str, np.ndarray]]:
    """(manifest without hashes, arrays by file name); ValueError for what is not cacheable."""
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0 or \
            frame.index.step != 1 or frame.columns.duplicated().any():
        raise ValueError("only frames with a default index and unique columns are stored")
    arrays: dict[str, np.ndarray] = {}
    columns = []
    for i, name in enumerate(frame.columns):
        s = frame[name]
        dtype = str(s.dtype)
        col: dict[str, Any] = {"name": str(name), "dtype": dtype}
        if not isinstance(name, str):
            raise ValueError(f"column name {name!r} is not text")
        if isinstance(s.dtype, pd.PeriodDtype):
            col.update(encoding="period")
            arrays[f"c{i}.npy"] = np.asarray(s.array.asi8, dtype=np.int64)
        elif dtype in ("str", "string", "object"):
            codes, uniques = pd.factorize(s, use_na_sentinel=True)
            uniques = list(uniques)
            if not all(isinstance(u, str) for u in uniques):
                raise ValueError(f"column {name!r} holds values that are not text")
            col.update(encoding="text", values=uniques)
            arrays[f"c{i}.npy"] = codes.astype(np.int32)
        elif dtype in ("Int64", "Float64", "boolean"):
            col.update(encoding="masked")
            arrays[f"c{i}.npy"] = np.asarray(s.array._data)
            arrays[f"c{i}.mask.npy"] = np.asarray(s.array._mask)
        elif dtype in ("int64", "int32", "int16", "int8", "float64", "float32", "bool"):
            col.update(encoding="numeric")
            arrays[f"c{i}.npy"] = s.to_numpy()
        else:
            raise ValueError(f"column {name!r} has dtype {dtype}, which is not stored")
        columns.append(col)
    attrs = {k: v for k, v in frame.attrs.items() if k not in ("lines", "source")}
    if json.loads(json.dumps(attrs)) != attrs:
        raise ValueError("attrs do not read back from JSON as they are")
    lines = frame.attrs.get("lines")
    if lines is not None:
        if not isinstance(lines, Lines):
            raise ValueError("attrs['lines'] is not a Lines")
        arrays["lines.npy"] = np.asarray(lines)
    manifest = {"format": _FORMAT, "version": _VERSION, "rows": len(frame),
                "columns": columns, "attrs": attrs, "lines": lines is not None,
                "attr_order": list(frame.attrs)}
    return manifest, arrays


def _text_array(codes: np.ndarray, values: list, dtype: str):
    pool = np.asarray(values + [None], dtype=object)  # code -1 (missing) takes the last
    taken = pool[codes]
    return pd.array(taken, dtype=dtype)


def _decode(manifest: dict, arrays: dict[str, np.ndarray], source: str) -> pd.DataFrame:
    n = int(manifest["rows"])
    data = {}
    for i, col in enumerate(manifest["columns"]):
        a = arrays[f"c{i}.npy"]
        if len(a) != n:
            raise ValueError(f"column {col['name']!r} has {len(a)} values for {n} rows")
        enc = col["encoding"]
        if enc == "period":
            dtype = pd.api.types.pandas_dtype(col["dtype"])
            if not isinstance(dtype, pd.PeriodDtype) or a.dtype != np.int64:
                raise ValueError(f"column {col['name']!r} is not a period column")
            values = pd.arrays.PeriodArray(a, dtype=dtype)
        elif enc == "text":
            if a.dtype != np.int32 or (n and (a.min() < -1 or a.max() >= len(col["values"]))):
                raise ValueError(f"column {col['name']!r} has codes outside its values")
            values = _text_array(a, list(col["values"]), col["dtype"])
        elif enc == "masked":
            mask = arrays[f"c{i}.mask.npy"]
            if mask.dtype != np.bool_ or len(mask) != n:
                raise ValueError(f"column {col['name']!r} has a broken mask")
            cls = {"Int64": pd.arrays.IntegerArray, "Float64": pd.arrays.FloatingArray,
                   "boolean": pd.arrays.BooleanArray}[col["dtype"]]
            values = cls(a.copy(), mask.copy())
        elif enc == "numeric":
            values = a
        else:
            raise ValueError(f"unknown column encoding {enc!r}")
        data[col["name"]] = values
    frame = pd.DataFrame(data, index=pd.RangeIndex(n), copy=False)
    for col in manifest["columns"]:
        if str(frame[col["name"]].dtype) != col["dtype"]:
            raise ValueError(f"column {col['name']!r} reads back as {frame[col['name']].dtype}")
    attrs = dict(manifest["attrs"])
    if "source" in manifest["attr_order"]:
        attrs["source"] = source
    if manifest["lines"]:
        lines = arrays["lines.npy"]
        if lines.dtype != np.int64 or len(lines) != n:
            raise ValueError("attrs['lines'] does not match the rows")
        attrs["lines"] = Lines(lines)
    order = [k for k in manifest["attr_order"] if k in attrs] + \
        [k for k in attrs if k not in manifest["attr_order"]]
    frame.attrs = {k: attrs[k] for k in order}
    return frame


def _npy_bytes(a: np.ndarray) -> bytes:
    import io
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(a), allow_pickle=False)
    return buf.getvalue()


def _store_frame(root: Path, entry: Path, frame: pd.DataFrame) -> None:
    manifest, arrays = _encode(frame)
    source = str(frame.attrs.get("source", ""))
    back = _decode(manifest, arrays, source)  # store only what reads back exactly
    if not (back.equals(frame) and list(back.dtypes.astype(str)) == list(frame.dtypes.astype(str))
            and _same_attrs(back.attrs, frame.attrs)):
        raise ValueError("the frame does not read back exactly")
    tmp = root / f".tmp-{entry.name}-{secrets.token_hex(6)}"
    tmp.mkdir(mode=0o700)
    try:
        hashes = {}
        for name, a in arrays.items():
            raw = _npy_bytes(a)
            (tmp / name).write_bytes(raw)
            hashes[name] = hashlib.sha256(raw).hexdigest()
        manifest["arrays"] = hashes
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False),
                                           encoding="utf-8")
        try:
            os.rename(tmp, entry)  # atomic: readers see a whole entry or none
        except OSError:  # another process stored the same table first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _evict(root)


def _same_attrs(a: dict, b: dict) -> bool:
    if list(a) != list(b):
        return False
    return all((a[k] == b[k]) if not isinstance(a[k], Lines) else a[k] == b[k] for k in a)


def _read_frame(entry: Path, *, source: str) -> pd.DataFrame:
    manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT or \
            manifest.get("version") != _VERSION:
        raise ValueError("not an entry of this format")
    hashes = manifest["arrays"]
    expected = {f"c{i}.npy" for i in range(len(manifest["columns"]))}
    if not expected <= set(hashes):
        raise ValueError("arrays are missing")
    arrays = {}
    import io
    for name, digest in hashes.items():
        if "/" in name or name.startswith("."):
            raise ValueError(f"array name {name!r}")
        raw = (entry / name).read_bytes()
        if hashlib.sha256(raw).hexdigest() != digest:
            raise ValueError(f"{name} does not match its hash")
        arrays[name] = np.load(io.BytesIO(raw), allow_pickle=False)
    return _decode(manifest, arrays, source)


def _evict(root: Path) -> None:
    """Keep the MAX_ENTRIES most recently used entries; remove leftovers of killed writers."""
    import time
    for tmp in root.glob(".tmp-*"):
        try:
            if time.time() - tmp.stat().st_mtime > 3600:
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            pass
    entries = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[MAX_ENTRIES:]:
        shutil.rmtree(old, ignore_errors=True)
