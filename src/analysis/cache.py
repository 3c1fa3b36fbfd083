"""The batch's shared cache: aggregates computed once per batch, stored as plain data.

Reports of one batch share expensive aggregates (rates for every kommun, län and riket,
funnel data against all kommuner) through :func:`shared_artifact`. An entry is JSON with a
fixed schema (frames column by column with their dtypes, a closed list of value types) and a
SHA-256 of its payload: nothing in it can run code when it is read, and an entry that is
truncated, edited, written by another user or not in this schema is removed and recomputed,
never loaded. The folder and its files are readable by their owner only. A process keeps
what it computed or read (in memory), so a warm batch worker shares it with every report it
forks.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from .store import canonical_json, directory_lock, file_sha256

__all__ = ["shared_artifact", "encode_value", "decode_value", "CacheEntryError",
           "private_dir", "batch_cache_folder", "sweep_stale_caches", "FORMAT",
           "FORMAT_VERSION", "IN_USE"]

_log = logging.getLogger(__name__)

FORMAT = "lagesbild-cache"
FORMAT_VERSION = 1
#: Column names that mark respondent-level data; a frame with one is refused.
MICRODATA_COLUMNS = frozenset({"respondent_id"})
_NUMERIC = {"int64", "int32", "int16", "int8", "float64", "float32", "bool", "Int64", "Float64",
            "boolean"}
_TEXT = {"str", "string", "object", "category"}


class CacheEntryError(ValueError):
    """A cache entry that is not a valid, complete entry of this format (never loaded)."""


def private_dir(path: str | os.PathLike) -> Path | None:
    """Create ``path`` (mode 0700) or tighten an existing folder of ours; None if not ours."""
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True, mode=0o700)
    st = p.stat()
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return None
    if stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(p, 0o700)
    return p


#: Lock file a running batch holds in its cache folder (see :func:`sweep_stale_caches`).
IN_USE = ".in-use.lock"
_CACHE_PREFIX = "lagesbild-cache-"


def batch_cache_folder(given: str | os.PathLike | None, work: Path, *,
                       shared: bool = False) -> tuple[Path, bool]:
    """The cache folder of one batch (owner-only) and whether the batch removes it at the end.

    Parameters
    ----------
    given : path or None
        A folder the caller chose (kept after the batch).
    work : Path
        The batch's work folder inside the output folder (``out/.lagesbild``).
    shared : bool
        The reports run on other machines (Dask), which must see the folder: it is then
        ``work/cache``, inside the output folder, and removed when the batch ends. Otherwise
        a new private temporary folder outside the output folder.

    Notes
    -----
    Caches of older versions (``.lagesbild/cache`` with pickles of the whole data set) are
    deleted: they held survey microdata inside the folder users share. Folders of killed
    batches are swept (:func:`sweep_stale_caches`).
    """
    legacy = Path(work) / "cache"
    if legacy.is_dir() and (not shared or any(legacy.glob("*.pkl"))):
        shutil.rmtree(legacy, ignore_errors=True)
    if given:
        folder = private_dir(Path(given).resolve())
        if folder is None:
            raise PermissionError(f"the cache folder {given} belongs to another user; choose "
                                  "one of your own")
        return folder, False
    if shared:
        return private_dir(legacy), True
    sweep_stale_caches(Path(tempfile.gettempdir()))
    return Path(tempfile.mkdtemp(prefix=_CACHE_PREFIX)).resolve(), True


def sweep_stale_caches(root: Path, *, min_age_s: float = 3600) -> int:
    """Remove private cache folders of batches that were killed (no batch holds their lock).

    Only this user's folders older than ``min_age_s`` are considered, so a batch that has
    just created its folder and not yet locked it is never touched. Returns how many went.
    """
    removed = 0
    for folder in Path(root).glob(f"{_CACHE_PREFIX}*"):
        try:
            st = folder.lstat()
        except OSError:
            continue
        if (not stat.S_ISDIR(st.st_mode)
                or (hasattr(os, "getuid") and st.st_uid != os.getuid())
                or time.time() - st.st_mtime < min_age_s):
            continue
        with directory_lock(folder / IN_USE, blocking=False) as free:
            if free:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed


def _private_write(path: Path, data: bytes) -> None:
    """Write ``data`` atomically as a file only its owner can read (0600)."""
    tmp = path.with_name(f".tmp-{secrets.token_hex(6)}-{path.name}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ------------------------------------------------------------------ values <-> plain JSON

def _float(v) -> float | str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    v = float(v)
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def _encode_frame(df: pd.DataFrame) -> dict:
    if not isinstance(df.index, pd.RangeIndex) or df.index.start != 0 or df.index.step != 1:
        raise TypeError("a cached frame needs the default index; call reset_index() first")
    bad = MICRODATA_COLUMNS.intersection(map(str, df.columns))
    if bad:
        raise TypeError(f"the shared cache holds aggregates only; a frame with column(s) "
                        f"{sorted(bad)} is respondent-level data")
    columns = []
    for name in df.columns:
        s = df[name]
        dtype = str(s.dtype)
        missing = s.isna().to_numpy()  # one vectorised pass, not pd.isna per value
        if isinstance(s.dtype, pd.PeriodDtype):
            values = _with_none(s.astype(str).tolist(), missing)
        elif dtype.startswith("datetime64"):
            values = [None if pd.isna(v) else v.isoformat() for v in s]
        elif dtype in ("float64", "float32", "Float64"):
            values = [_float(v) for v in s.tolist()]
        elif dtype in _NUMERIC:
            values = _with_none(s.tolist(), missing)
        elif isinstance(s.dtype, pd.StringDtype):  # every value is text or missing
            values = _with_none(s.tolist(), missing)
        elif dtype in _TEXT:
            values = [None if v is None or (not isinstance(v, str) and pd.isna(v))
                      else _scalar(v, where=f"column {name!r}") for v in s.tolist()]
            if dtype == "category":
                dtype = "str"
        else:
            raise TypeError(f"column {name!r} has dtype {dtype}, which the cache does not store")
        columns.append({"name": _scalar(name, where="a column name"), "dtype": dtype,
                        "values": values})
    return {"__frame__": {"n_rows": len(df), "columns": columns}}


def _with_none(values: list, missing: np.ndarray) -> list:
    """``values`` with None where ``missing`` (the JSON of a missing value)."""
    if missing.any():
        return [None if m else v for v, m in zip(values, missing)]
    return values


def _scalar(v, *, where: str):
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return _float(v)
    if isinstance(v, str):
        return v
    raise TypeError(f"{where}: a {type(v).__name__} cannot be cached (only text and numbers)")


def encode_value(value: Any, *, types: Iterable[type] = ()) -> Any:
    """Plain JSON for a value made of frames, dicts, lists, text and numbers.

    Frozen dataclasses of the classes in ``types`` are stored field by field. Anything else
    (a :class:`~analysis.io.Dataset`, a model object, a frame with respondent ids) raises
    ``TypeError``: the cache holds aggregates, not objects.

    Examples
    --------
    >>> encode_value({"n": np.int64(3), "share": 0.25, "levels": (0.95, 0.998)})
    {'n': 3, 'share': 0.25, 'levels': {'__tuple__': [0.95, 0.998]}}
    """
    allowed = tuple(types)
    if isinstance(value, pd.DataFrame):
        return _encode_frame(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type) \
            and type(value) in allowed:
        return {"__dataclass__": type(value).__name__,
                "fields": {f.name: encode_value(getattr(value, f.name), types=allowed)
                           for f in dataclasses.fields(value)}}
    if isinstance(value, dict):
        if any(not isinstance(k, str) or k.startswith("__") for k in value):
            raise TypeError("cached dicts need text keys not starting with '__'")
        return {k: encode_value(v, types=allowed) for k, v in value.items()}
    if isinstance(value, tuple):
        return {"__tuple__": [encode_value(v, types=allowed) for v in value]}
    if isinstance(value, list):
        return [encode_value(v, types=allowed) for v in value]
    if value is None:
        return None
    return _scalar(value, where="cached value")


def _decode_column(col: dict, n_rows: int) -> tuple[str, pd.Series]:
    if not isinstance(col, dict) or set(col) != {"name", "dtype", "values"}:
        raise CacheEntryError("a column entry needs exactly name, dtype and values")
    name, dtype, values = col["name"], col["dtype"], col["values"]
    if not isinstance(values, list) or len(values) != n_rows:
        raise CacheEntryError(f"column {name!r}: expected {n_rows} values")
    if not isinstance(dtype, str):
        raise CacheEntryError(f"column {name!r}: dtype must be text")
    try:
        period = re.fullmatch(r"period\[(\w+)\]", dtype)
        if period:
            if not all(v is None or isinstance(v, str) for v in values):
                raise CacheEntryError(f"column {name!r}: periods must be text")
            # each distinct month parsed once: 41 000 rows share a few hundred months
            codes, uniques = pd.factorize(pd.Series(values, dtype=object))
            months = pd.PeriodIndex(list(uniques), freq=period.group(1))
            return name, pd.Series(months.take(codes, allow_fill=True, fill_value=pd.NaT))
        if dtype.startswith("datetime64"):
            return name, pd.Series(pd.to_datetime(values)).astype(dtype)
        if dtype in _TEXT:
            if not all(v is None or isinstance(v, (str, int, float, bool)) for v in values):
                raise CacheEntryError(f"column {name!r}: text values expected")
            return name, pd.Series(values, dtype=dtype)
        if dtype in ("float64", "float32"):  # None is NaN, "inf"/"-inf" parse as floats
            return name, pd.Series(np.array(values, dtype=dtype))
        if dtype in ("int64", "int32", "int16", "int8", "bool"):
            if not all(type(v) is (bool if dtype == "bool" else int) for v in values):
                raise CacheEntryError(f"column {name!r}: {dtype} values expected")
            return name, pd.Series(np.array(values, dtype=dtype))
        if dtype in _NUMERIC:
            return name, pd.Series(values, dtype=dtype)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, CacheEntryError):
            raise
        raise CacheEntryError(f"column {name!r}: {exc}") from None
    raise CacheEntryError(f"column {name!r}: dtype {dtype!r} is not one the cache stores")


def decode_value(data: Any, *, types: Iterable[type] = ()) -> Any:
    """The inverse of :func:`encode_value`; raises :class:`CacheEntryError` on anything else.

    Examples
    --------
    >>> df = pd.DataFrame({"area": ["A", None], "rate": [1.5, float("nan")],
    ...                    "month": pd.period_range("2024-01", periods=2, freq="M")})
    >>> back = decode_value(json.loads(json.dumps(encode_value(df))))
    >>> back.equals(df), list(back.dtypes.astype(str)) == list(df.dtypes.astype(str))
    (True, True)
    """
    allowed = {t.__name__: t for t in types}
    if isinstance(data, list):
        return [decode_value(v, types=types) for v in data]
    if isinstance(data, dict):
        if "__frame__" in data:
            frame = data["__frame__"]
            if set(data) != {"__frame__"} or not isinstance(frame, dict) \
                    or not isinstance(frame.get("n_rows"), int) \
                    or not isinstance(frame.get("columns"), list):
                raise CacheEntryError("malformed frame")
            cols = dict(_decode_column(c, frame["n_rows"]) for c in frame["columns"])
            return pd.DataFrame(cols, index=pd.RangeIndex(frame["n_rows"]))
        if "__tuple__" in data:
            if set(data) != {"__tuple__"} or not isinstance(data["__tuple__"], list):
                raise CacheEntryError("malformed tuple")
            return tuple(decode_value(v, types=types) for v in data["__tuple__"])
        if "__dataclass__" in data:
            cls = allowed.get(data["__dataclass__"])
            if cls is None or set(data) != {"__dataclass__", "fields"}:
                raise CacheEntryError(f"type {data['__dataclass__']!r} is not expected here")
            fields = {f.name for f in dataclasses.fields(cls)}
            if not isinstance(data["fields"], dict) or set(data["fields"]) != fields:
                raise CacheEntryError(f"{cls.__name__} needs exactly the fields {sorted(fields)}")
            return cls(**{k: decode_value(v, types=types) for k, v in data["fields"].items()})
        if any(k.startswith("__") for k in data):
            raise CacheEntryError("unknown tagged value")
        return {k: decode_value(v, types=types) for k, v in data.items()}
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    raise CacheEntryError(f"unexpected {type(data).__name__}")


def _read_entry(path: Path, *, name: str, key: str, types) -> Any:
    """An entry is one header line (JSON: format, version, name, key, sha256 of the rest)
    followed by the payload (JSON)."""
    st = path.lstat()
    if not stat.S_ISREG(st.st_mode):
        raise CacheEntryError("not a regular file")
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise CacheEntryError("written by another user")
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise CacheEntryError("readable or writable by others")
    raw = path.read_bytes()
    head, sep, body = raw.partition(b"\n")
    try:
        header = json.loads(head.decode("utf-8"))
    except (UnicodeError, ValueError):
        raise CacheEntryError("no valid header line") from None
    if not sep or not isinstance(header, dict) or set(header) != {
            "format", "version", "name", "key", "sha256"}:
        raise CacheEntryError("not a cache entry of this format")
    if (header["format"], header["version"], header["name"], header["key"]) != (
            FORMAT, FORMAT_VERSION, name, key):
        raise CacheEntryError("an entry for other inputs or another version")
    if hashlib.sha256(body).hexdigest() != header["sha256"]:
        raise CacheEntryError("content hash does not match (truncated or edited)")
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeError, ValueError) as exc:
        raise CacheEntryError(f"payload is not valid JSON ({exc})") from None
    return decode_value(payload, types=types)


def _write_entry(path: Path, value, *, name: str, key: str, types) -> None:
    body = json.dumps(encode_value(value, types=types), separators=(",", ":"),
                      allow_nan=False).encode("utf-8")
    header = {"format": FORMAT, "version": FORMAT_VERSION, "name": name, "key": key,
              "sha256": hashlib.sha256(body).hexdigest()}
    _private_write(path, json.dumps(header).encode("utf-8") + b"\n" + body)


def _data_hashes(cache_dir: Path, paths: Iterable[str | os.PathLike]) -> dict[str, str]:
    # Hashing a data folder for each of 290 reports would cost more than the artifact; file
    # hashes are remembered by (size, mtime) in the private cache folder.
    index_path = cache_dir / "file-hashes.json"
    try:
        known = json.loads(index_path.read_text(encoding="utf-8"))
        if not isinstance(known, dict):
            known = {}
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
        if not (isinstance(entry, list) and len(entry) == 3
                and entry[:2] == [st.st_size, st.st_mtime_ns] and isinstance(entry[2], str)):
            entry = [st.st_size, st.st_mtime_ns, file_sha256(f)]
            known[str(f)] = entry
            changed = True
        out[str(f)] = entry[2]
    if changed:
        _private_write(index_path, json.dumps(known).encode("utf-8"))
    return out


def shared_artifact(name: str, compute: Callable[[], Any], *,
                    cache_dir: str | os.PathLike | None, data_files: Iterable = (),
                    key: Any = None, types: Iterable[type] = ()) -> Any:
    """Compute a shared aggregate once per batch and read it in every other report.

    The value is stored in ``cache_dir`` as JSON with a content hash, keyed by ``name``, the
    content hashes of ``data_files`` and ``key``. While one report computes it the others
    wait on a file lock and then read it. With ``cache_dir=None`` (a notebook run on its own)
    it is simply computed.

    Parameters
    ----------
    name : str
        Artifact name, e.g. "national_tables".
    compute : callable
        Called without arguments when the artifact is missing or its entry is not valid.
        Returns frames (default index, no respondent ids), dicts with text keys, lists,
        tuples, text, numbers, None, and frozen dataclasses of ``types``.
    cache_dir : path or None
        The ``shared_cache_dir`` parameter the runner passes to notebooks.
    data_files : iterable of paths
        Inputs the artifact depends on (files or folders).
    key : JSON-serialisable, optional
        Anything else the artifact depends on.
    types : iterable of dataclass types
        Dataclasses the value may contain (e.g. ``FunnelResult``).

    Returns
    -------
    object
        The computed or read value.

    Raises
    ------
    TypeError
        When the value holds something other than the aggregates listed above.

    Notes
    -----
    An entry that is not owned by this user, is readable by others, fails its content hash
    or does not follow the schema is removed (logged at INFO level) and recomputed.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> calls = []
    >>> f = lambda: calls.append(1) or {"riket": 1234.5}
    >>> shared_artifact("national", f, cache_dir=d, key={"year": 2024})
    {'riket': 1234.5}
    >>> shared_artifact("national", f, cache_dir=d, key={"year": 2024}), len(calls)
    ({'riket': 1234.5}, 1)
    """
    types = tuple(types)
    if cache_dir is None:
        return compute()
    cache = private_dir(cache_dir)
    if cache is None:
        _log.info("the cache folder %s belongs to another user; not using it", cache_dir)
        return compute()
    from . import __version__
    digest = hashlib.sha256(canonical_json({
        "name": name, "data": _data_hashes(cache, data_files), "key": key,
        "analysis": __version__}).encode("utf-8")).hexdigest()[:20]
    safe = re.sub(r"[^\w.-]+", "_", name)
    target = cache / f"{safe}-{digest}.json"

    def load():
        if not target.exists():
            return False, None
        try:
            return True, _read_entry(target, name=name, key=digest, types=types)
        except (CacheEntryError, OSError) as exc:
            _log.info("cache entry %s was not loaded (%s); recomputing", target.name, exc)
            target.unlink(missing_ok=True)
            return False, None

    remembered = _REMEMBERED.get(str(target))
    if remembered is not None:
        if remembered[0] == _entry_signature(target):
            return _fresh(remembered[1])
        _REMEMBERED.pop(str(target), None)  # changed on disk since: read and verify it again
    found, value = load()
    if not found:
        with directory_lock(cache / f".{safe}-{digest}.lock"):
            found, value = load()  # computed by another report while we waited
            if not found:
                value = compute()
                _write_entry(target, value, name=name, key=digest, types=types)
                # every report then sees the value as read back, the one computing it too
                found, read = load()
                value = read if found else value
    _remember(str(target), value)
    return _fresh(value)


#: Values of this process's shared artifacts by entry path (the path holds the content hash
#: of their inputs and key): a batch worker computes or reads them before it forks, and its
#: reports inherit them instead of decoding the JSON again. Aggregates only, in memory.
_REMEMBERED: dict[str, tuple[str, Any]] = {}  # path -> (entry signature, value)
_REMEMBER_AT_MOST = 16


def _entry_signature(path: Path) -> str | None:
    """What a remembered value must still match on disk: a private regular file of this user
    with the same bytes (their SHA-256); ``None`` when it is missing or not private."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _remember(path: str, value: Any) -> None:
    _REMEMBERED.pop(path, None)
    sig = _entry_signature(Path(path))
    if sig is None:
        return
    while len(_REMEMBERED) >= _REMEMBER_AT_MOST:
        _REMEMBERED.pop(next(iter(_REMEMBERED)))
    _REMEMBERED[path] = (sig, value)


def _fresh(value: Any) -> Any:
    """A copy of a shared value that its caller may change without changing the shared one.

    Containers are copied; frames are shallow copies (pandas copy-on-write copies a column
    when either side writes it); frozen dataclasses are rebuilt from fresh fields.
    """
    if isinstance(value, pd.DataFrame):
        return value.copy(deep=False)
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_fresh(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: _fresh(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.init})
    return value
