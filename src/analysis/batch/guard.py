"""The respondent-id guard: no survey respondent's id in any file a batch writes.

Respondent-level rows must never leave :mod:`analysis.survey`. The guard takes the actual id
values of the survey in the data folder and looks for them, as whole words, in every file of
the output folder: HTML (outside embedded images), DOCX (every XML part), notebooks, PNG text
metadata, manifests, the index and logs. It keeps only salted hashes of the ids, so the guard
file itself reveals no id.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import struct
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

__all__ = ["RespondentIds", "survey_files", "scan_file", "scan_folder", "png_text"]

#: A word as the guard sees it: letters, digits and ``_``; an id such as ``A-17`` is the
#: two words ``A 17`` and is found wherever they follow each other.
_TOKEN = re.compile(r"\w+")
_DATA_URI = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=\s]+)")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: Ids that are short numbers cannot be told apart from counts and years in a report.
MIN_NUMERIC_ID_LENGTH = 6


def survey_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """CSV files with a ``respondent_id`` column among ``paths`` (files or folders)."""
    found = []
    for p in paths:
        p = Path(p)
        candidates = sorted(p.rglob("*.csv")) if p.is_dir() else [p] if p.suffix == ".csv" else []
        for f in candidates:
            try:
                with open(f, encoding="utf-8-sig", errors="replace") as fh:
                    head = fh.readline()
            except OSError:
                continue
            if re.search(r"(^|[,;\t])\"?respondent_id\"?([,;\t]|$)", head.strip()):
                found.append(f)
    return found


@dataclass(frozen=True)
class RespondentIds:
    """Salted hashes of the respondent ids a batch must never write.

    Attributes
    ----------
    salt : str
    hashes : frozenset of str
        ``sha256(salt + id)`` of every checkable id.
    max_words : int
        The largest number of words in one id (ids are compared word by word).
    unchecked : int
        Ids too short to check (numbers with fewer than 6 digits).
    """

    salt: str
    hashes: frozenset
    max_words: int = 1
    unchecked: int = 0

    @classmethod
    def from_values(cls, ids: Iterable[str]) -> "RespondentIds":
        """From id values (e.g. the ``respondent_id`` column).

        Examples
        --------
        >>> g = RespondentIds.from_values(["R00017", "R00018", "12"])
        >>> g.find("Svarande R00017 svarade 2"), g.find("R000170 och 12"), g.unchecked
        (1, 0, 1)
        """
        salt = secrets.token_hex(16)
        hashes, words, unchecked = set(), 1, 0
        for raw in set(map(str, ids)):  # ids repeat across kommuner and waves
            text = raw.strip()
            parts = _TOKEN.findall(text)
            if not parts:
                continue
            if all(p.isdigit() for p in parts) and len("".join(parts)) < MIN_NUMERIC_ID_LENGTH:
                unchecked += 1
                continue
            words = max(words, len(parts))
            hashes.add(_hash(salt, " ".join(parts)))
        return cls(salt, frozenset(hashes), words, unchecked)

    @classmethod
    def from_data(cls, paths: Iterable[str | os.PathLike]) -> "RespondentIds":
        """From every survey file (a CSV with a ``respondent_id`` column) among ``paths``."""
        import pandas as pd

        ids: list[str] = []
        for f in survey_files(paths):
            with open(f, encoding="utf-8-sig", errors="replace") as fh:
                head = fh.readline()
            sep = max(",;\t", key=head.count)  # the C reader: a 50 MB survey in a second
            try:
                col = pd.read_csv(f, usecols=["respondent_id"], dtype=str, sep=sep,
                                  encoding="utf-8-sig")["respondent_id"]
            except (ValueError, OSError, UnicodeError):
                continue
            ids += list(col.dropna().unique())
        return cls.from_values(ids)

    def __bool__(self) -> bool:
        return bool(self.hashes)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the guard (salt and hashes only) as a file only its owner can read."""
        path = Path(path)
        data = json.dumps({"salt": self.salt, "max_words": self.max_words,
                           "unchecked": self.unchecked, "hashes": sorted(self.hashes)})
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "RespondentIds":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(str(data["salt"]), frozenset(map(str, data["hashes"])),
                   int(data["max_words"]), int(data["unchecked"]))

    def find(self, text: str) -> int:
        """How many words (or word sequences) of ``text`` are respondent ids.

        Each distinct word (sequence) is hashed once and counted as often as it occurs: a
        draft repeats its words (47 000 words, 3 700 distinct, in a lägesbild's HTML).
        """
        if not self.hashes or not text:
            return 0
        words = _TOKEN.findall(text)
        grams = Counter(words)
        for n in range(2, self.max_words + 1):
            grams.update(" ".join(words[i:i + n]) for i in range(len(words) - n + 1))
        return sum(count for gram, count in grams.items()
                   if _hash(self.salt, gram) in self.hashes)

    def redact(self, text: str) -> str:
        """``text`` with every one-word respondent id replaced by ``[id]``.

        Examples
        --------
        >>> RespondentIds.from_values(["R00017"]).redact("duplicate id R00017 in row 3")
        'duplicate id [id] in row 3'
        """
        if not self.hashes or not text:
            return text
        return _TOKEN.sub(lambda m: "[id]" if _hash(self.salt, m.group(0)) in self.hashes
                          else m.group(0), text)


def _hash(salt: str, text: str) -> str:
    return hashlib.sha256((salt + text).encode("utf-8")).hexdigest()


def png_text(data: bytes) -> str:
    """The text metadata (tEXt, zTXt, iTXt chunks) of a PNG image.

    Examples
    --------
    >>> chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + b"\\0\\0\\0\\0"
    >>> png_text(_PNG_MAGIC + chunk(b"tEXt", b"Title\\0R00017") + chunk(b"IEND", b""))
    'Title R00017'
    """
    if not data.startswith(_PNG_MAGIC):
        return ""
    out, pos = [], len(_PNG_MAGIC)
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        try:
            if ctype == b"tEXt":
                out.append(body.replace(b"\0", b" ").decode("latin-1"))
            elif ctype == b"zTXt":
                key, _, rest = body.partition(b"\0")
                out.append(key.decode("latin-1") + " " + zlib.decompress(rest[1:]).decode("latin-1"))
            elif ctype == b"iTXt":
                key, _, rest = body.partition(b"\0")
                compressed, rest = rest[0], rest[2:]
                _lang, _, rest = rest.partition(b"\0")
                _tkey, _, text = rest.partition(b"\0")
                text = zlib.decompress(text) if compressed else text
                out.append(key.decode("latin-1") + " " + text.decode("utf-8", "replace"))
        except (zlib.error, IndexError):
            out.append(body.decode("latin-1"))
        if ctype == b"IEND":
            break
    return "\n".join(out)


def _html_text(text: str) -> str:
    """Text of an HTML page with embedded PNGs replaced by their metadata."""
    def meta(m: re.Match) -> str:
        try:
            return " " + png_text(base64.b64decode(re.sub(r"\s+", "", m.group(1)))) + " "
        except ValueError:
            return " "
    import html
    return html.unescape(_DATA_URI.sub(meta, text))


def _notebook_text(text: str) -> str:
    try:
        nb = json.loads(text)
    except ValueError:
        return text
    parts: list[str] = []

    def walk(value, key=None):
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "image/png" and isinstance(value, dict):
                    raw = v if isinstance(v, str) else "".join(v)
                    try:
                        parts.append(png_text(base64.b64decode(raw)))
                    except ValueError:
                        pass
                elif k.startswith("image/"):
                    continue
                else:
                    parts.append(str(k))
                    walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        else:
            parts.append(str(value))
    walk(nb)
    return "\n".join(parts)


def _docx_text(path: Path) -> str:
    import html
    parts = []
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            parts.append(info.filename)
            data = z.read(info)
            if data.startswith(_PNG_MAGIC):
                parts.append(png_text(data))
            elif info.filename.endswith((".xml", ".rels")):
                xml = data.decode("utf-8", "replace")
                parts.append(html.unescape(re.sub(r"<[^>]+>", " ", xml)))
                # words split over runs of one paragraph
                parts.append(html.unescape("".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml))))
    return "\n".join(parts)


def scan_file(path: str | os.PathLike, ids: RespondentIds) -> int:
    """How many respondent ids ``path`` contains (0 for files that are not text or images)."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".docx":
            return ids.find(_docx_text(path))
        data = path.read_bytes()
    except (OSError, zipfile.BadZipFile):
        return 0
    if suffix == ".png" or data.startswith(_PNG_MAGIC):
        return ids.find(png_text(data))
    text = data.decode("utf-8", "replace")
    if suffix in (".html", ".htm"):
        return ids.find(_html_text(text))
    if suffix == ".ipynb":
        return ids.find(_notebook_text(text))
    return ids.find(text)


def scan_folder(folder: str | os.PathLike, ids: RespondentIds) -> dict[Path, int]:
    """Every file under ``folder`` that contains a respondent id, with the number found."""
    hits = {}
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file() and not p.is_symlink():
            n = scan_file(p, ids)
            if n:
                hits[p] = n
    return hits
