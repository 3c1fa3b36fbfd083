"""Write a sample data directory atomically and byte for byte reproducibly.

Files are written to a hidden temporary directory next to the target and renamed into place
only when complete, so a reader never sees a half-written sample. CSVs are UTF-8 without BOM,
``\\n`` line ends, a fixed column order and fixed sorting; JSON has sorted structure and rounded
numbers; nothing depends on the clock or the machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from ..schemas import SCHEMAS, SURVEY_DESIGN_COLUMNS

__all__ = ["write_frames", "atomic_directory", "is_sample_directory"]

README_TEMPLATE = """\
{label}

Den här mappen innehåller SYNTETISKA exempeldata, skapade av lagesbild (analysis.sample) från
fröet {seed}. Siffrorna är påhittade: de liknar verklig statistik i nivå och struktur men
beskriver inte någon verklig kommun. Använd dem för att prova verktyget, aldrig som underlag
för beslut eller i en rapport om en verklig kommun.

This folder holds SYNTHETIC sample data made by lagesbild (analysis.sample) from seed {seed}.
The numbers are invented; they resemble real statistics but describe no real kommun.

Filer / files (format: docs/data-model.md):
  crimes.csv          anmälda brott per kommun, månad och brottstyp ({crime_rows} rader)
  population.csv      folkmängd 31 december per kommun och år
  survey.csv          trygghetsundersökning, en rad per svarande ({survey_rows} rader)
  items.csv           frågekatalog: frågor, svarsskalor, vilka svar som räknas som indikator
  margins.csv         befolkning 16-84 år per område, kön och åldersgrupp (för kalibrering)
  measures.csv        register över brottsförebyggande åtgärder
  incidents.csv       kommunens egna händelserapporter (datum, tid, plats, typ, källa), bara
                      för exempelkommunerna 2181, 2026, 1760 och 1080
  planted_truth.json  de sanna värden generatorn planterade (för tester av metoderna)
  DATASET.json        ursprung: synthetic = true, etikett, frö, generator och version

Återskapa / regenerate:  lagesbild sample --seed {seed}
    or in Python:        analysis.sample.write_sample(DIR, seed={seed})
"""


def _quote(text: str) -> str:
    # Minimal CSV quoting, as the csv module and pandas do it.
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _column_text(s: pd.Series) -> np.ndarray:
    """One column as an object array of CSV cells (empty for missing)."""
    if isinstance(s.dtype, pd.PeriodDtype):
        codes, uniques = pd.factorize(s.array.asi8)
        cells = np.array([str(pd.Period(ordinal=int(o), freq="M")) for o in uniques] + [""],
                         dtype=object)[codes]
        cells[s.isna().to_numpy()] = ""
        return cells
    if pd.api.types.is_datetime64_any_dtype(s):
        s = s.dt.strftime("%Y-%m-%d")
    if pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        if pd.api.types.is_bool_dtype(s.dtype):
            raise TypeError(f"column {s.name!r}: write booleans as text")
        missing = s.isna().to_numpy()
        values = s.to_numpy(dtype=np.int64, na_value=0)
        if values.size and values.min() >= 0 and values.max() < 100_000:
            table = np.array([str(i) for i in range(int(values.max()) + 1)], dtype=object)
            out = table[values]
        else:
            out = np.array([str(v) for v in values.tolist()], dtype=object)
        out[missing] = ""
        return out
    if pd.api.types.is_float_dtype(s.dtype):
        # Weights repeat within a stratum: format each distinct value once.
        codes, uniques = pd.factorize(s.to_numpy(dtype=np.float64, na_value=np.nan))
        cells = np.array([repr(float(v)) for v in uniques] + [""], dtype=object)
        return cells[codes]
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    cells = np.array([_quote(str(u)) for u in uniques] + [""], dtype=object)
    return cells[codes]


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    """UTF-8, no BOM, '\\n' line ends, minimal quoting; missing values as empty cells."""
    columns = [_column_text(df[col]).tolist() for col in df.columns]
    header = ",".join(_quote(str(c)) for c in df.columns)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(header + "\n")
        if len(df):
            fh.write("\n".join(map(",".join, zip(*columns))))
            fh.write("\n")


def _compact_rows_json(obj) -> str:
    """Indented JSON in which every table row ('rows' lists) sits on one line of its own."""
    tables: list[list] = []

    def strip(o):
        if isinstance(o, dict):
            out = {}
            for k, v in o.items():
                if k == "rows" and isinstance(v, list):
                    tables.append(v)
                    out[k] = f"@@rows:{len(tables) - 1}@@"
                else:
                    out[k] = strip(v)
            return out
        if isinstance(o, list):
            return [strip(v) for v in o]
        return o

    text = json.dumps(strip(obj), ensure_ascii=False, indent=1, allow_nan=False)
    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
    for i, rows in enumerate(tables):
        body = ",\n".join(["  " + encode(r) for r in rows])
        text = text.replace(f'"@@rows:{i}@@"', "[\n" + body + "\n ]" if rows else "[]")
    return text + "\n"


def write_frames(folder: Path, frames: dict[str, pd.DataFrame], truth: dict, dataset: dict,
                 readme: str) -> None:
    """Write every file of a sample directory into ``folder`` (which exists and is empty)."""
    for kind, frame in frames.items():
        cols = list(SCHEMAS[kind].names) if kind != "survey" else list(frame.columns)
        if kind == "survey":
            cols = list(SURVEY_DESIGN_COLUMNS) + [c for c in frame.columns
                                                 if c not in SURVEY_DESIGN_COLUMNS]
        _write_csv(frame[[c for c in cols if c in frame.columns]], folder / f"{kind}.csv")
    (folder / "planted_truth.json").write_text(_compact_rows_json(truth), encoding="utf-8")
    files = {p.name: sha256(p) for p in sorted(folder.iterdir())}
    dataset = {**dataset, "files": files}
    (folder / "DATASET.json").write_text(json.dumps(dataset, ensure_ascii=False, indent=2) + "\n",
                                         encoding="utf-8")
    (folder / "README.txt").write_text(readme, encoding="utf-8")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def is_sample_directory(path: Path) -> bool:
    """True if ``path`` holds a DATASET.json written by this generator."""
    try:
        meta = json.loads((Path(path) / "DATASET.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("generator") == "analysis.sample"


def atomic_directory(out_dir: Path, fill, *, overwrite: bool) -> None:
    """Create ``out_dir`` by calling ``fill(tmp)`` on a sibling temp dir and renaming it.

    An existing non-empty ``out_dir`` is replaced only with ``overwrite=True`` and only if it is
    a sample directory written earlier (so a mistyped path never wipes unrelated files).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f"{out_dir} exists and is a file; give a directory path")
    occupied = out_dir.exists() and any(out_dir.iterdir())
    if occupied and not overwrite:
        raise FileExistsError(f"{out_dir} already exists and is not empty; pass overwrite=True "
                              "(lagesbild sample --overwrite) to replace an earlier sample")
    if occupied and not is_sample_directory(out_dir):
        raise FileExistsError(f"refusing to replace {out_dir}: it is not a sample directory (no "
                              "DATASET.json from analysis.sample); choose an empty folder")
    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=parent))
    try:
        os.chmod(tmp, 0o755)
        fill(tmp)
        if out_dir.exists():
            old = parent / f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(out_dir, old)
            try:
                os.rename(tmp, out_dir)
            except BaseException:
                os.rename(old, out_dir)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
