"""What is inside an uploaded archive, found without unpacking it.

`inspect_archive(stream, ...)` reads a .tar (plain, gzip, bzip2 or xz) or a .zip once, as a
stream, and returns an `InspectionResult`: whether the archive is safe to unpack, an
inventory of its files, statistics by kind (audio, text, tables), a small preview and
findings for the reviewers. Nothing is ever written to disk: only bounded excerpts of
members are read into memory. `infer_schema(report, ...)` turns a report into the
`schema.yaml` that the datacollective SDK's `load_dataset` reads.

No database here; pyarrow, mutagen and lingua are imported when first needed.
"""

import bz2
import codecs
import contextlib
import gzip
import io
import json
import lzma
import posixpath
import re
import stat
import struct
import tarfile
import wave
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, BinaryIO

PASSED = "passed"
WARNINGS = "warnings"
REJECTED = "rejected"

GIB = 1024**3
MIB = 1024**2
CHUNK = MIB

AUDIO = {
    ".wav", ".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac", ".webm", ".wma",
    ".aif", ".aiff", ".amr", ".spx", ".mka",
}  # fmt: skip
TEXT = {".txt", ".text"}
TABLE = {".csv", ".tsv", ".tab", ".psv", ".jsonl", ".ndjson", ".parquet"}
IMAGE = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff", ".bmp", ".svg"}
DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".psv": "|"}
# mutagen finds the length of these in the last pages of the file.
NEEDS_TAIL = {".ogg", ".oga", ".opus", ".spx", ".m4a", ".parquet"}
# Files about the dataset rather than of it: counted, but kept out of the language sample.
ABOUT_FILES = re.compile(
    r"^(readme|licen[cs]e|copying|changelog|changes|notice|citation|authors|contributing)\b",
    re.IGNORECASE,
)
MACOS_JUNK = re.compile(r"(^|/)(__MACOSX/|\._[^/]*$|\.DS_Store$)")
AUDIO_COLUMNS = {
    "path", "file", "file_name", "filename", "file_path", "filepath", "audio", "audio_path",
    "audio_file", "audio_filename", "wav", "wav_file", "clip", "clip_path", "recording",
}  # fmt: skip
TEXT_COLUMNS = {
    "sentence", "text", "transcript", "transcription", "utterance", "content", "normalized_text",
    "raw_text", "raw_transcription", "prompt", "caption",
}  # fmt: skip
SPLITS = ("train", "dev", "validation", "valid", "test")
# Every UTF-8 continuation byte: removing them leaves one byte per character.
CONTINUATION = bytes(range(0x80, 0xC0))
# Declared languages whose text lingua knows under the code of their macrolanguage.
MACROLANGUAGE = {
    "prs": "fas", "pes": "fas", "swh": "swa", "swc": "swa", "zsm": "msa", "cmn": "zho",
    "arb": "ara", "ekk": "est", "lvs": "lav", "als": "sqi", "azj": "aze", "nob": "nob",
    "nno": "nno", "khk": "mon", "pnb": "pan", "urd": "urd",
}  # fmt: skip


@dataclass(frozen=True)
class Limits:
    """How far an inspection goes before it refuses an archive or stops measuring."""

    max_entries: int = 5_000_000
    max_unpacked_bytes: int = 200 * GIB
    max_ratio: float = 200.0
    # Ratios are judged only past this many unpacked bytes: tar padding and small repetitive
    # files compress far better than real data does in bulk.
    ratio_floor_bytes: int = MIB
    head_bytes: int = 4 * MIB  # read from the start of each text file and table
    audio_head_bytes: int = 256 * 1024
    tail_bytes: int = MIB  # kept from the end where a format keeps its index there
    listed_files: int = 1000
    listed_tables: int = 100
    audio_probes: int = 20_000  # clips whose headers are read; the rest are only counted
    tracked_paths: int = 200_000  # paths remembered to pair transcripts and index rows
    sample_lines: int = 200
    preview_rows: int = 5


@dataclass
class InspectionResult:
    status: str  # PASSED, WARNINGS or REJECTED
    reason: str = ""
    report: dict[str, Any] = field(default_factory=dict)


class UnsafeArchive(Exception):
    """The archive must not be unpacked (or cannot be read); `message` says why."""

    def __init__(self, message: str, *, code: str, path: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code
        self.path = path


def kind_of(path: str) -> str:
    suffix = posixpath.splitext(path)[1].lower()
    if suffix in AUDIO:
        return "audio"
    if suffix in TEXT:
        return "text"
    if suffix in TABLE:
        return "table"
    if suffix in IMAGE:
        return "image"
    return "other"


def inspect_file(path: str, **options: Any) -> InspectionResult:
    """`inspect_archive` on a file on disk."""
    with open(path, "rb") as stream:
        return inspect_archive(stream, **options)


def inspect_archive(
    stream: BinaryIO, *, declared_locale: str = "", limits: Limits | None = None
) -> InspectionResult:
    """Inspect the archive read from `stream` (which need not be seekable)."""
    limits = limits or Limits()
    inspector = _Inspector(limits)
    source = _Counted(stream)
    head = source.peek(512)
    try:
        if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            _inspect_zip(source, inspector)
        else:
            _inspect_tar(source, head, inspector)
        if inspector.files == 0:
            raise UnsafeArchive("The archive holds no files.", code="empty")
    except UnsafeArchive as exc:
        report = inspector.report(source.count, languages=None)
        report["rejection"] = {"code": exc.code, "path": exc.path}
        return InspectionResult(REJECTED, exc.message, report)
    report = inspector.report(source.count, languages=declared_locale)
    return InspectionResult(WARNINGS if report["findings"] else PASSED, "", report)


# -- Reading archives safely ----------------------------------------------------------


class _Counted:
    """A read-only stream that counts the bytes read through it and can peek at its start."""

    def __init__(self, source: BinaryIO, on_read: Callable[[], None] | None = None):
        self.source = source
        self.count = 0
        self.on_read = on_read
        self._pending = b""

    def peek(self, n: int) -> bytes:
        while len(self._pending) < n:
            chunk = self.source.read(n - len(self._pending))
            if not chunk:
                break
            self._pending += chunk
        return self._pending[:n]

    def read(self, n: int = -1) -> bytes:
        if self._pending:
            if n is None or n < 0:
                data = self._pending + self.source.read()
                self._pending = b""
            else:
                data, self._pending = self._pending[:n], self._pending[n:]
        else:
            data = self.source.read(n)
        self.count += len(data)
        if self.on_read is not None:
            self.on_read()
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False


def _check_path(name: str) -> str:
    """The entry's path without empty or "." parts; refuses anything that could land
    outside the folder it is unpacked into."""
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise UnsafeArchive(f"{name}: absolute paths are not allowed.", code="absolute", path=name)
    parts = [part for part in re.split(r"[\\/]+", name) if part not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchive(
            f"{name}: a path may not contain '..' (it would point outside the archive).",
            code="parent",
            path=name,
        )
    return "/".join(parts)


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


def _decompressor(source: _Counted, head: bytes):
    if head.startswith(b"\x1f\x8b"):
        return "tar.gz", gzip.GzipFile(fileobj=source, mode="rb")
    if head.startswith(b"BZh"):
        return "tar.bz2", bz2.BZ2File(source)
    if head.startswith(b"\xfd7zXZ\x00"):
        return "tar.xz", lzma.LZMAFile(source)
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar", source
    raise UnsafeArchive(
        "The file is not a .tar.gz, .tar.bz2, .tar.xz, .tar or .zip archive.",
        code="not_an_archive",
    )


def _inspect_tar(source: _Counted, head: bytes, inspector: "_Inspector") -> None:
    limits = inspector.limits
    fmt, decompressed = _decompressor(source, head)
    inspector.format = fmt
    member_start = [0, 0]  # unpacked and compressed byte counts when the entry began

    def check_ratio() -> None:
        # Judged on the bytes actually produced, never on sizes that headers claim, so a
        # bomb is caught while it is being read, long before it is fully expanded.
        unpacked, packed = unpacked_stream.count, source.count
        if unpacked > limits.ratio_floor_bytes and unpacked > limits.max_ratio * packed:
            raise UnsafeArchive(
                f"The archive expands more than {limits.max_ratio:.0f}:1 "
                f"({_size(unpacked)} from {_size(packed)}): it looks like a decompression "
                "bomb.",
                code="ratio",
            )
        # The compressed side is read in buffered blocks; the slack keeps an honest member
        # that starts mid-block from looking infinitely compressible.
        grown = unpacked - member_start[0]
        consumed = packed - member_start[1] + 64 * 1024
        if grown > limits.ratio_floor_bytes and grown > limits.max_ratio * consumed:
            raise UnsafeArchive(
                f"{inspector.current}: this file expands more than {limits.max_ratio:.0f}:1:"
                " it looks like a decompression bomb.",
                code="ratio",
                path=inspector.current,
            )

    unpacked_stream = _Counted(decompressed, on_read=check_ratio if fmt != "tar" else None)
    try:
        with tarfile.open(fileobj=unpacked_stream, mode="r|") as tar:
            while (member := tar.next()) is not None:
                # Stream mode remembers every member; forgetting them keeps memory flat.
                tar.members.clear()
                member_start[:] = [unpacked_stream.count, source.count]
                path = _check_path(member.name)
                inspector.current = path or member.name
                inspector.entry()
                _check_tar_member(member, path)
                if member.isdir() or not path:
                    inspector.directory()
                    continue
                inspector.file(path, member.size, lambda m=member: tar.extractfile(m))
    except UnsafeArchive:
        raise
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError, ValueError) as exc:
        if inspector.entries == 0:
            raise UnsafeArchive(
                f"The file is not a readable {fmt} archive ({exc}).", code="not_an_archive"
            ) from None
        raise UnsafeArchive(
            f"The archive is damaged or incomplete ({exc}).", code="corrupt"
        ) from None
    finally:
        inspector.unpacked = unpacked_stream.count


def _check_tar_member(member: tarfile.TarInfo, path: str) -> None:
    """Refuse links, devices and pipes: the SDK unpacks with tarfile's `data` filter,
    which refuses them too, and a link can expose files outside the dataset."""
    if member.issym():
        raise UnsafeArchive(
            f"{member.name}: symbolic links are not allowed.", code="link", path=path
        )
    if member.islnk():
        raise UnsafeArchive(f"{member.name}: hard links are not allowed.", code="link", path=path)
    if member.ischr() or member.isblk() or member.isfifo():
        raise UnsafeArchive(
            f"{member.name}: device files and pipes are not allowed.", code="special", path=path
        )
    if not (member.isreg() or member.isdir()):
        raise UnsafeArchive(
            f"{member.name}: entries of this type are not allowed.", code="special", path=path
        )


def _inspect_zip(source: _Counted, inspector: "_Inspector") -> None:
    import tempfile

    inspector.format = "zip"
    stream: Any = source.source
    with contextlib.ExitStack() as stack:
        if getattr(stream, "seekable", lambda: False)():
            source.count = stream.seek(0, io.SEEK_END)
        else:
            # A zip's directory is at its end. An anonymous temporary file (never linked
            # into a folder) holds the compressed bytes; nothing is unpacked to disk.
            spool = stack.enter_context(tempfile.TemporaryFile())
            while chunk := source.read(CHUNK):
                spool.write(chunk)
            stream = spool
        stream.seek(0)
        try:
            archive = stack.enter_context(zipfile.ZipFile(stream))
            infos = archive.infolist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise UnsafeArchive(
                f"The file is not a readable zip archive ({exc}).", code="not_an_archive"
            ) from None
        _check_zip_directory(infos, inspector.limits)
        for info in infos:
            path = _check_path(info.filename)
            inspector.current = path or info.filename
            inspector.entry()
            if info.is_dir() or not path:
                inspector.directory()
                continue
            inspector.file(
                path, info.file_size, lambda i=info: archive.open(i), tolerate_errors=True
            )
        inspector.unpacked = sum(i.file_size for i in infos)


def _check_zip_directory(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Refuse a zip on what its central directory says, before reading any member."""
    if len(infos) > limits.max_entries:
        raise UnsafeArchive(
            f"The archive has more than {limits.max_entries:,} entries.", code="entries"
        )
    unpacked = packed = 0
    for info in infos:
        path = info.filename
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeArchive(f"{path}: symbolic links are not allowed.", code="link", path=path)
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            raise UnsafeArchive(
                f"{path}: device files and pipes are not allowed.", code="special", path=path
            )
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            raise UnsafeArchive(
                f"{path}: expands {ratio:,.0f}:1 ({_size(info.compress_size)} to "
                f"{_size(info.file_size)}), over the {limits.max_ratio:.0f}:1 limit: it looks "
                "like a zip bomb.",
                code="ratio",
                path=path,
            )
        unpacked += info.file_size
        packed += info.compress_size
        if unpacked > limits.max_unpacked_bytes:
            raise UnsafeArchive(
                f"The archive unpacks to more than {_size(limits.max_unpacked_bytes)}.",
                code="size",
            )
    if unpacked > limits.ratio_floor_bytes and unpacked > limits.max_ratio * max(packed, 1):
        raise UnsafeArchive(
            f"The archive expands more than {limits.max_ratio:.0f}:1 ({_size(packed)} to "
            f"{_size(unpacked)}): it looks like a zip bomb.",
            code="ratio",
        )
    # Entries that share their compressed bytes make a small zip unpack to a huge size.
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for before, after in zip(ordered, ordered[1:], strict=False):
        end = before.header_offset + 30 + len(before.orig_filename.encode()) + before.compress_size
        if end > after.header_offset:
            raise UnsafeArchive(
                f"{after.filename}: overlaps another entry's data (a zip bomb technique).",
                code="overlap",
                path=after.filename,
            )


# -- Looking at members ---------------------------------------------------------------


@dataclass
class _Excerpt:
    head: bytes
    tail: bytes
    size: int
    complete: bool  # head holds the whole member
    newlines: int = 0
    characters: int = 0
    ends_with_newline: bool = True

    @property
    def lines(self) -> int:
        if self.size == 0:
            return 0
        return self.newlines + (0 if self.ends_with_newline else 1)

    def open(self, name: str = "") -> BinaryIO:
        if self.complete:
            stream = io.BytesIO(self.head)
            stream.name = name  # type: ignore[attr-defined]
            return stream
        return _Sparse(self.head, self.tail, self.size, name)  # type: ignore[return-value]


class _Sparse(io.RawIOBase):
    """A file of `size` bytes of which only the head and the tail were kept; the middle
    reads as zeros. Enough for parsers that look at headers and trailers."""

    def __init__(self, head: bytes, tail: bytes, size: int, name: str = ""):
        self.head, self.tail, self.length, self.name = head, tail, size, name
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.length}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:
            n = self.length - self.position
        start = self.position
        end = start + max(0, min(n, self.length - start))
        tail_start = self.length - len(self.tail)
        out = bytearray(end - start)
        if start < len(self.head):
            piece = self.head[start:end]
            out[: len(piece)] = piece
        if end > tail_start:
            begin = max(start, tail_start)
            piece = self.tail[begin - tail_start : end - tail_start]
            out[begin - start : begin - start + len(piece)] = piece
        self.position = end
        return bytes(out)


def _read_member(
    stream: BinaryIO, size: int, *, head: int, tail: int = 0, scan: bool = False
) -> _Excerpt:
    """Read a member's first `head` bytes, and its last `tail` bytes; with `scan`, count
    its lines and characters to the end. Memory stays within head + tail + one chunk."""
    kept = bytearray()
    last = b""
    total = newlines = characters = 0
    final = b""
    with stream:
        while chunk := stream.read(CHUNK):
            total += len(chunk)
            if len(kept) < head:
                kept += chunk[: head - len(kept)]
            elif not (tail or scan):
                break
            if scan:
                newlines += chunk.count(b"\n")
                characters += len(chunk.translate(None, CONTINUATION))
                final = chunk[-1:]
            if tail:
                last = (last + chunk)[-tail:]
    complete = len(kept) >= total and total >= size
    return _Excerpt(
        head=bytes(kept),
        tail=bytes(last),
        size=max(size, total),
        complete=complete,
        newlines=newlines,
        characters=characters,
        ends_with_newline=final in (b"\n", b""),
    )


class _Inspector:
    """Collects the inventory, statistics and findings while entries stream past."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.format = ""
        self.current = ""
        self.entries = 0
        self.directories = 0
        self.files = 0
        self.bytes = 0
        self.unpacked = 0
        self.listed: list[dict[str, Any]] = []
        self.by_kind: dict[str, dict[str, int]] = {}
        self.tops: set[str] = set()
        # Paths remembered (up to limits.tracked_paths) to pair transcripts with clips and
        # to check that index rows point at files in the archive.
        self.paths: set[str] = set()
        self.paths_complete = True
        self.audio_by_name: dict[str, list[str]] = {}
        self.duplicates: list[str] = []
        self.junk: list[str] = []
        self.extensions: Counter[str] = Counter()
        self.audio = _AudioStats()
        self.text = _TextStats()
        self.tables: list[dict[str, Any]] = []
        self.table_count = 0
        self.audio_values: dict[str, list[str]] = {}
        self.sample_lines: list[str] = []
        self.preview_lines: dict[str, Any] | None = None
        self.findings: list[dict[str, str]] = []

    # Entries.

    def entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise UnsafeArchive(
                f"The archive has more than {self.limits.max_entries:,} entries.",
                code="entries",
            )

    def directory(self) -> None:
        self.directories += 1

    def file(
        self,
        path: str,
        size: int,
        open_member: Callable[[], BinaryIO | None],
        *,
        tolerate_errors: bool = False,
    ) -> None:
        self.bytes += size
        if self.bytes > self.limits.max_unpacked_bytes:
            raise UnsafeArchive(
                f"The archive unpacks to more than {_size(self.limits.max_unpacked_bytes)}.",
                code="size",
                path=path,
            )
        self.files += 1
        kind = kind_of(path)
        totals = self.by_kind.setdefault(kind, {"files": 0, "bytes": 0})
        totals["files"] += 1
        totals["bytes"] += size
        suffix = posixpath.splitext(path)[1].lower()
        self.extensions[suffix] += 1
        if len(self.tops) < 2:
            self.tops.add(path.split("/", 1)[0] if "/" in path else "")
        if len(self.listed) < self.limits.listed_files:
            self.listed.append({"path": path, "size": size, "kind": kind})
        if MACOS_JUNK.search(path):
            self.junk.append(path)
            return
        self._remember(path, kind)
        try:
            if kind == "audio":
                self._audio(path, size, open_member, suffix)
            elif kind == "text":
                self._text(path, size, open_member)
            elif kind == "table":
                self._table(path, size, open_member, suffix)
        except UnsafeArchive:
            raise
        except (OSError, EOFError, RuntimeError, ValueError, NotImplementedError, zlib.error):
            # Zip members are read one by one: one unreadable member (encrypted, an unknown
            # compression method) is a finding. In a tar stream it breaks what follows.
            if not tolerate_errors:
                raise
            self.findings.append(
                {"code": "unreadable", "message": f"{path}: the file could not be read."}
            )

    def _remember(self, path: str, kind: str) -> None:
        if len(self.paths) >= self.limits.tracked_paths:
            self.paths_complete = False
            return
        if path in self.paths:
            self.duplicates.append(path)
            return
        self.paths.add(path)
        if kind == "audio":
            self.audio_by_name.setdefault(posixpath.basename(path), []).append(path)

    # Kinds.

    def _audio(self, path: str, size: int, open_member, suffix: str) -> None:
        self.audio.clips += 1
        self.audio.formats[suffix.lstrip(".")] += 1
        if self.audio.measured + self.audio.unreadable >= self.limits.audio_probes:
            return
        stream = open_member()
        if stream is None:
            return
        excerpt = _read_member(
            stream,
            size,
            head=self.limits.audio_head_bytes,
            tail=self.limits.tail_bytes if suffix in NEEDS_TAIL else 0,
        )
        info = _audio_info(excerpt, suffix, path)
        if info is None:
            self.audio.unreadable += 1
            if len(self.audio.unreadable_examples) < 5:
                self.audio.unreadable_examples.append(path)
            return
        seconds, rate, channels = info
        self.audio.add(path, seconds, rate, channels, self.limits.preview_rows)

    def _text(self, path: str, size: int, open_member) -> None:
        stream = open_member()
        if stream is None:
            return
        excerpt = _read_member(stream, size, head=self.limits.head_bytes, scan=True)
        self.text.files += 1
        self.text.lines += excerpt.lines
        self.text.characters += excerpt.characters
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            content = decoder.decode(excerpt.head, final=excerpt.complete)
        except UnicodeDecodeError:
            self.text.not_utf8.append(path)
            return
        lines = [line.strip() for line in content.splitlines()]
        lines = [line for line in lines if line]
        if not excerpt.complete and lines:
            lines.pop()  # possibly cut short
        if ABOUT_FILES.match(posixpath.basename(path)):
            return
        room = self.limits.sample_lines - len(self.sample_lines)
        self.sample_lines += [line[:500] for line in lines[: min(20, room)]]
        if self.preview_lines is None and lines:
            self.preview_lines = {"path": path, "lines": [line[:300] for line in lines[:5]]}

    def _table(self, path: str, size: int, open_member, suffix: str) -> None:
        stream = open_member()
        if stream is None:
            return
        self.table_count += 1
        parquet = suffix == ".parquet"
        excerpt = _read_member(
            stream,
            size,
            head=self.limits.head_bytes,
            tail=self.limits.tail_bytes if parquet else 0,
            scan=not parquet,
        )
        entry, texts, audio_values = _table_info(path, suffix, excerpt, self.limits)
        if len(self.tables) < self.limits.listed_tables:
            self.tables.append(entry)
            self.audio_values[path] = audio_values
        room = self.limits.sample_lines - len(self.sample_lines)
        self.sample_lines += [t[:500] for t in texts[: min(50, max(room, 0))]]

    # The report.

    def report(self, compressed: int, *, languages: str | None) -> dict[str, Any]:
        unpacked = self.unpacked or self.bytes
        report: dict[str, Any] = {
            "archive": {
                "format": self.format,
                "compressed_bytes": compressed,
                # What the entries declare, and what was actually expanded while reading.
                "unpacked_bytes": self.bytes,
                "expanded_bytes": self.unpacked,
                "ratio": round(unpacked / compressed, 1) if compressed else None,
            },
            "totals": {
                "entries": self.entries,
                "files": self.files,
                "directories": self.directories,
                "bytes": self.bytes,
                "by_kind": dict(sorted(self.by_kind.items())),
            },
            "files": self.listed,
            "files_truncated": self.files > len(self.listed),
            "root": next(iter(self.tops)) if len(self.tops) == 1 else "",
            "tables": self.tables,
            "findings": self.findings,
        }
        if self.audio.clips:
            report["audio"] = self.audio.report()
        layout = self._layout()
        report["layout"] = layout
        if self.text.files or self.sample_lines:
            report["text"] = self.text.report()
        if languages is not None and self.sample_lines:
            report.setdefault("text", _TextStats().report())
            report["text"]["languages"] = detect_languages(self.sample_lines, languages)
        report["preview"] = self._preview(report)
        if languages is not None:
            self._findings(report)
        return report

    def _layout(self) -> dict[str, Any]:
        audio_exts = Counter(
            {ext: n for ext, n in self.extensions.items() if ext in AUDIO}
        ).most_common()
        text_paths = [
            p
            for p in self.paths
            if kind_of(p) == "text" and not ABOUT_FILES.match(p.split("/")[-1])
        ]
        paired = Counter()
        for p in text_paths:
            stem = posixpath.splitext(p)[0]
            for ext, _ in audio_exts:
                if stem + ext in self.paths:
                    paired[ext] += 1
                    break
        for table in self.tables:
            if table.get("audio_column"):
                values = self.audio_values.get(table["path"], [])
                base, appended, matched = self._resolve_audio(values, audio_exts)
                table["audio_base"] = base
                table["audio_extension"] = appended
                table["audio_matched"] = matched
        return {
            "audio_extensions": [ext for ext, _ in audio_exts],
            "text_files": len(text_paths),
            "paired_text": sum(paired.values()),
            "paired_extension": paired.most_common(1)[0][0] if paired else "",
            "paths_complete": self.paths_complete,
        }

    def _resolve_audio(
        self, values: list[str], audio_exts: list[tuple[str, int]]
    ) -> tuple[str, str, int]:
        """Where the files an index names are: the folder prefix (relative to the archive
        root) that turns its values into paths of clips, and an extension to append when
        the values have none. Also how many of the checked values were found."""
        bases: Counter[tuple[str, str]] = Counter()
        for raw in values[:20]:
            value = raw.strip().lstrip("./").replace("\\", "/")
            if not value:
                continue
            candidates = [(value, "")]
            if not posixpath.splitext(value)[1]:
                candidates += [(value + ext, ext) for ext, _ in audio_exts[:2]]
            for candidate, ext in candidates:
                for path in self.audio_by_name.get(posixpath.basename(candidate), []):
                    if path == candidate or path.endswith("/" + candidate):
                        bases[(path[: len(path) - len(candidate)], ext)] += 1
                        break
                else:
                    continue
                break
        if not bases:
            return "", "", 0
        (base, ext), matched = bases.most_common(1)[0]
        return base, ext, matched

    def _preview(self, report: dict[str, Any]) -> dict[str, Any]:
        preview: dict[str, Any] = {}
        table = next((t for t in self.tables if t.get("preview")), None)
        if table is not None:
            preview["table"] = {
                "path": table["path"],
                "columns": [c["name"] for c in table["columns"]],
                "rows": table["preview"],
            }
        if self.preview_lines:
            preview["lines"] = self.preview_lines
        if self.audio.examples:
            preview["clips"] = self.audio.examples
        return preview

    def _findings(self, report: dict[str, Any]) -> None:
        add = self.findings.append
        if self.audio.unreadable:
            add(
                {
                    "code": "audio_unreadable",
                    "message": f"{self.audio.unreadable} audio files could not be read "
                    f"(for example {', '.join(self.audio.unreadable_examples[:3])}).",
                }
            )
        if self.text.not_utf8:
            add(
                {
                    "code": "not_utf8",
                    "message": f"{len(self.text.not_utf8)} text files are not UTF-8 "
                    f"(for example {', '.join(self.text.not_utf8[:3])}).",
                }
            )
        for table in self.tables:
            if table.get("error"):
                add({"code": "table_unreadable", "message": f"{table['path']}: {table['error']}"})
            if table.get("skipped_rows"):
                add(
                    {
                        "code": "table_bad_rows",
                        "message": f"{table['path']}: {table['skipped_rows']} rows have the "
                        "wrong number of columns.",
                    }
                )
            if (
                table.get("audio_column")
                and self.paths_complete
                and self.audio.clips
                and not table.get("audio_matched")
            ):
                add(
                    {
                        "code": "index_unmatched",
                        "message": f"{table['path']}: the values of column "
                        f"{table['audio_column']!r} do not name audio files in the archive.",
                    }
                )
        if self.duplicates:
            add(
                {
                    "code": "duplicates",
                    "message": f"{len(self.duplicates)} paths appear more than once "
                    f"(for example {', '.join(self.duplicates[:3])}); unpacking keeps the last.",
                }
            )
        if self.junk:
            add(
                {
                    "code": "macos_files",
                    "message": f"{len(self.junk)} macOS metadata files (__MACOSX, ._*, "
                    ".DS_Store) are included; many tools read them as data.",
                }
            )
        languages = report.get("text", {}).get("languages")
        if languages and languages.get("mismatch"):
            add({"code": "language_mismatch", "message": languages["message"]})


@dataclass
class _AudioStats:
    clips: int = 0
    measured: int = 0
    seconds: float = 0.0
    shortest: float | None = None
    longest: float | None = None
    unreadable: int = 0
    unreadable_examples: list[str] = field(default_factory=list)
    formats: Counter[str] = field(default_factory=Counter)
    sample_rates: Counter[str] = field(default_factory=Counter)
    channels: Counter[str] = field(default_factory=Counter)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def add(self, path: str, seconds: float, rate: int, channels: int, examples: int) -> None:
        self.measured += 1
        self.seconds += seconds
        self.shortest = seconds if self.shortest is None else min(self.shortest, seconds)
        self.longest = seconds if self.longest is None else max(self.longest, seconds)
        if rate:
            self.sample_rates[str(rate)] += 1
        if channels:
            self.channels[str(channels)] += 1
        if len(self.examples) < examples:
            self.examples.append({"path": path, "seconds": round(seconds, 2)})

    def report(self) -> dict[str, Any]:
        estimated = None
        if self.measured and self.measured < self.clips:
            estimated = round(self.seconds / self.measured * self.clips, 1)
        return {
            "clips": self.clips,
            "measured": self.measured,
            "seconds": round(self.seconds, 2),
            "estimated_seconds": estimated,
            "shortest": round(self.shortest, 2) if self.shortest is not None else None,
            "longest": round(self.longest, 2) if self.longest is not None else None,
            "unreadable": self.unreadable,
            "formats": dict(self.formats.most_common()),
            "sample_rates": dict(self.sample_rates.most_common()),
            "channels": dict(self.channels.most_common()),
        }


@dataclass
class _TextStats:
    files: int = 0
    lines: int = 0
    characters: int = 0
    not_utf8: list[str] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        return {"files": self.files, "lines": self.lines, "characters": self.characters}


# -- Audio -----------------------------------------------------------------------------


def _audio_info(excerpt: _Excerpt, suffix: str, path: str) -> tuple[float, int, int] | None:
    """(seconds, sample rate, channels) from a clip's header, or None when unreadable."""
    if suffix == ".wav":
        try:
            with wave.open(io.BytesIO(excerpt.head)) as clip:
                rate, channels = clip.getframerate(), clip.getnchannels()
                frames, width = clip.getnframes(), clip.getsampwidth()
            if rate > 0 and channels > 0 and width > 0:
                # A header written before the end of a recording may claim more frames
                # than the file holds.
                frames = min(frames, max(excerpt.size - 44, 0) // (channels * width))
                return frames / rate, rate, channels
        except (wave.Error, EOFError, ValueError, struct.error):
            pass  # not plain PCM (float, extensible): mutagen reads those
    return _mutagen_info(excerpt, path)


def _mutagen_info(excerpt: _Excerpt, path: str) -> tuple[float, int, int] | None:
    try:
        import mutagen
    except ImportError:  # pragma: no cover - mutagen is a dependency
        return None
    try:
        found = mutagen.File(excerpt.open(posixpath.basename(path)))
    except Exception:
        # An untrusted file in one of many formats: any parser failure means unreadable.
        return None
    info = getattr(found, "info", None)
    length = getattr(info, "length", None)
    if not length:
        return None
    return (
        float(length),
        int(getattr(info, "sample_rate", 0) or 0),
        int(getattr(info, "channels", 0) or 0),
    )


# -- Tables ----------------------------------------------------------------------------


def _normalized(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.replace("\ufeff", "").strip().casefold()).strip("_")


def _type_name(arrow_type) -> str:
    import pyarrow.types as t

    if t.is_boolean(arrow_type):
        return "boolean"
    if t.is_integer(arrow_type):
        return "integer"
    if t.is_floating(arrow_type) or t.is_decimal(arrow_type):
        return "number"
    if t.is_string(arrow_type) or t.is_large_string(arrow_type):
        return "text"
    if t.is_timestamp(arrow_type) or t.is_date(arrow_type) or t.is_time(arrow_type):
        return "date/time"
    if t.is_null(arrow_type):
        return "empty"
    return str(arrow_type)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text[:200]


def _table_info(
    path: str, suffix: str, excerpt: _Excerpt, limits: Limits
) -> tuple[dict[str, Any], list[str], list[str]]:
    """The table's shape and first rows, text for the language sample, and the values of
    the column that seems to name audio files."""
    entry: dict[str, Any] = {"path": path, "format": suffix.lstrip("."), "size": excerpt.size}
    skipped = 0
    try:
        import pyarrow as pa

        if suffix == ".parquet":
            table, rows = _read_parquet(excerpt, limits)
        else:
            data = excerpt.head
            if not excerpt.complete:
                data = data[: data.rfind(b"\n") + 1]
            if suffix in (".jsonl", ".ndjson"):
                import pyarrow.json as pajson

                table = pajson.read_json(
                    pa.BufferReader(data), read_options=pajson.ReadOptions(use_threads=False)
                )
            else:
                import pyarrow.csv as pacsv

                def skip(_row) -> str:
                    nonlocal skipped
                    skipped += 1
                    return "skip"

                delimiter = DELIMITERS[suffix]
                table = pacsv.read_csv(
                    pa.BufferReader(data),
                    read_options=pacsv.ReadOptions(use_threads=False),
                    parse_options=pacsv.ParseOptions(
                        delimiter=delimiter,
                        # Tab-separated files (Common Voice) do not quote their fields.
                        quote_char=False if delimiter == "\t" else '"',
                        invalid_row_handler=skip,
                    ),
                )
            rows = table.num_rows if excerpt.complete else None
            if rows is None:
                # Beyond the part parsed, a row per line (minus the header for CSV/TSV).
                header = 0 if suffix in (".jsonl", ".ndjson") else 1
                rows = max(excerpt.lines - header, table.num_rows)
                entry["rows_estimated"] = True
    except Exception as exc:
        # pyarrow raises several unrelated types for malformed input (ArrowInvalid,
        # ArrowTypeError, OSError); each means the same: this table cannot be read.
        entry["error"] = f"could not be read as {suffix.lstrip('.').upper()} ({_first_line(exc)})"
        entry.update(rows=None, columns=[], preview=[])
        return entry, [], []
    entry["rows"] = rows
    entry["skipped_rows"] = skipped
    entry["columns"] = [{"name": f.name, "type": _type_name(f.type)} for f in table.schema]
    head = table.slice(0, limits.preview_rows).to_pylist()
    entry["preview"] = [[_cell(row.get(f.name)) for f in table.schema] for row in head]

    texts: list[str] = []
    audio_values: list[str] = []
    audio_column = text_column = ""
    for f in table.schema:
        name = _normalized(f.name)
        if _type_name(f.type) != "text":
            continue
        values = [v for v in table.column(f.name).slice(0, 50).to_pylist() if v]
        looks_like_audio = sum(
            1 for v in values[:20] if posixpath.splitext(v.strip())[1].lower() in AUDIO
        )
        if not audio_column and (name in AUDIO_COLUMNS or looks_like_audio):
            audio_column = f.name
            audio_values = values[:20]
        elif not text_column and name in TEXT_COLUMNS:
            text_column = f.name
            texts = values
    entry["audio_column"] = audio_column
    entry["text_column"] = text_column
    if text_column:
        import pyarrow.compute as pc

        lengths = pc.sum(pc.utf8_length(table.column(text_column))).as_py()
        entry["text_characters"] = int(lengths or 0)
    return entry, texts, audio_values


def _read_parquet(excerpt: _Excerpt, limits: Limits):
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(excerpt.open())
    rows = parquet.metadata.num_rows
    table = parquet.schema_arrow.empty_table()
    if parquet.metadata.num_row_groups and _first_group_kept(parquet, len(excerpt.head), excerpt):
        batch = next(parquet.iter_batches(batch_size=limits.preview_rows * 10), None)
        if batch is not None:
            import pyarrow as pa

            table = pa.Table.from_batches([batch])
    return table, rows


def _first_group_kept(parquet, kept: int, excerpt: _Excerpt) -> bool:
    """Whether the bytes of the first row group are among those read."""
    if excerpt.complete:
        return True
    group = parquet.metadata.row_group(0)
    for i in range(group.num_columns):
        column = group.column(i)
        start = column.dictionary_page_offset or column.data_page_offset
        if start + column.total_compressed_size > kept:
            return False
    return True


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


# -- Languages -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _detector():
    from lingua import LanguageDetectorBuilder

    # Low-accuracy mode loads only the small models (about 100 MB for all 75 languages
    # instead of about 1 GB); the sample is judged as a whole, where it is accurate.
    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


def _lingua_language(locale: str):
    """The lingua Language for a declared locale ("sw-CD", "prs"), or None if lingua
    does not know it."""
    from lingua import IsoCode639_1, IsoCode639_3, Language

    code = locale.split("-")[0].strip().lower()
    try:
        if len(code) == 2:
            return Language.from_iso_code_639_1(IsoCode639_1.from_str(code))
        if len(code) == 3:
            code = MACROLANGUAGE.get(code, code)
            return Language.from_iso_code_639_3(IsoCode639_3.from_str(code))
    except ValueError:
        return None
    return None


def _code(language) -> str:
    return language.iso_code_639_1.name.lower()


def detect_languages(lines: list[str], declared_locale: str) -> dict[str, Any]:
    """Which languages a sample of lines is written in, compared with the declared one.

    The sample as a whole decides (single short lines are often misjudged); the share of
    lines detected as each language is given for reference."""
    declared_code = declared_locale.split("-")[0].lower() if declared_locale else ""
    result: dict[str, Any] = {
        "declared": declared_code,
        "sample_lines": len(lines),
        "checked": False,
        "mismatch": False,
        "detected": [],
        "message": "",
    }
    lines = [line for line in lines if sum(ch.isalpha() for ch in line) >= 2]
    if not lines:
        result["message"] = "The sample holds no words to check."
        return result
    detector = _detector()
    per_line = Counter(
        _code(found) if (found := detector.detect_language_of(line)) else "unknown"
        for line in lines
    )
    result["detected"] = [
        {"language": code, "share": round(n / len(lines), 2)} for code, n in per_line.most_common(5)
    ]
    confidences = detector.compute_language_confidence_values("\n".join(lines))
    top = confidences[0] if confidences else None
    if top is not None:
        result["sample_language"] = _code(top.language)
        result["sample_confidence"] = round(top.value, 2)
    declared = _lingua_language(declared_locale) if declared_locale else None
    if declared is None:
        result["message"] = (
            f"The declared language ({declared_code or 'none'}) cannot be checked: the "
            "language detector does not know it."
        )
        return result
    result["checked"] = True
    declared_confidence = next((c.value for c in confidences if c.language == declared), 0.0)
    # A mismatch only when the sample clearly reads as another language and hardly at all
    # as the declared one: close relatives share much of their vocabulary.
    if (
        top is not None
        and top.language != declared
        and top.value >= 0.5
        and declared_confidence < 0.1
    ):
        result["mismatch"] = True
        result["message"] = (
            f"Declared {declared_code} but the lines look like {_code(top.language)} "
            f"({round(100 * top.value)}%, {len(lines)} lines sampled)."
        )
    return result


# -- schema.yaml for the SDK's load_dataset ---------------------------------------------


def _logical_name(column: str) -> str:
    return _normalized(column) or "column"


def _index_columns(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    audio = {"source_column": table["audio_column"], "dtype": "file_path"}
    if table.get("audio_extension"):
        audio["file_extension"] = table["audio_extension"]
    columns: dict[str, dict[str, Any]] = {"audio_path": audio}
    if table.get("text_column"):
        columns["transcription"] = {"source_column": table["text_column"]}
    for column in table["columns"]:
        name = column["name"]
        logical = _logical_name(name)
        if name in (table["audio_column"], table.get("text_column")) or logical in columns:
            continue
        columns[logical] = {"source_column": name, "optional": True}
    return columns


def _depth(path: str) -> int:
    return path.count("/")


def infer_schema(report: dict[str, Any], *, dataset_id: str, task: str = "") -> dict[str, Any]:
    """A `load_dataset` schema for an archive, from its inspection report.

    An index table naming clips → `index`; train/dev/test tables → `multi_split`; one
    index per section folder → `multi_sections`; transcripts beside clips →
    `paired_glob`; clips alone → `glob` over them; anything else → the catch-all glob
    (one row per file)."""
    schema: dict[str, Any] = {"dataset_id": dataset_id}
    layout = report.get("layout") or {}
    readable = [
        t
        for t in report.get("tables", [])
        if t.get("format") in ("csv", "tsv", "tab", "psv") and not t.get("error")
    ]
    indexes = sorted(
        (t for t in readable if t.get("audio_column") and t.get("audio_matched")),
        key=lambda t: (_depth(t["path"]), t["path"]),
    )
    speech = task.upper() in ("ASR", "TTS")

    def with_task(columns: dict[str, Any]) -> None:
        if speech and "transcription" in columns:
            schema["task"] = task.upper()

    splits: dict[str, dict[str, Any]] = {}
    for table in indexes:
        stem = posixpath.splitext(posixpath.basename(table["path"]))[0].lower()
        if stem in SPLITS and stem not in splits:
            splits[stem] = table
    if len(splits) >= 2:
        first = splits.get("train") or next(iter(splits.values()))
        columns = _index_columns(first)
        with_task(columns)
        schema["root_strategy"] = "multi_split"
        schema["splits"] = [s for s in SPLITS if s in splits]
        schema["splits_file_pattern"] = "**/*" + posixpath.splitext(first["path"])[1]
        if first.get("audio_base"):
            schema["base_audio_path"] = first["audio_base"]
        schema["columns"] = columns
        return schema

    if indexes:
        sections = _sections(indexes)
        if sections is not None:
            section_root, names, table, base = sections
            columns = _index_columns(table)
            with_task(columns)
            schema["root_strategy"] = "multi_sections"
            schema["section_root"] = section_root
            schema["sections"] = names
            schema["index_file"] = posixpath.basename(table["path"])
            if base:
                schema["base_audio_path"] = base
            schema["columns"] = columns
            return schema
        table = indexes[0]
        columns = _index_columns(table)
        with_task(columns)
        schema["root_strategy"] = "index"
        # The full path from the archive root: found literally, and the folder prefix of
        # the clips is then relative to the archive root too.
        schema["index_file"] = table["path"]
        if table.get("audio_base"):
            schema["base_audio_path"] = table["audio_base"]
        schema["columns"] = columns
        return schema

    audio_extensions = layout.get("audio_extensions") or []
    text_files = layout.get("text_files") or 0
    if layout.get("paired_text") and layout["paired_text"] * 2 >= text_files:
        if speech:
            schema["task"] = task.upper()
        schema["root_strategy"] = "paired_glob"
        schema["file_pattern"] = "**/*.txt"
        schema["audio_extension"] = layout["paired_extension"]
        return schema

    if readable and not audio_extensions:
        table = min(readable, key=lambda t: (_depth(t["path"]), t["path"]))
        schema["root_strategy"] = "index"
        schema["index_file"] = table["path"]
        return schema

    if audio_extensions and not readable:
        # speaker/language/clip.wav: the loader's default columns are exactly these.
        schema["root_strategy"] = "glob"
        schema["file_pattern"] = "**/*" + audio_extensions[0]
        return schema

    schema["root_strategy"] = "glob"
    schema["file_pattern"] = "*"
    return schema


def _sections(indexes: list[dict[str, Any]]):
    """(section root, section names, a table, audio folder within a section) when the
    index tables share one name in sibling folders, else None."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for table in indexes:
        by_name.setdefault(posixpath.basename(table["path"]), []).append(table)
    for tables in by_name.values():
        if len(tables) < 2:
            continue
        folders = [posixpath.dirname(t["path"]) for t in tables]
        parents = {posixpath.dirname(folder) for folder in folders}
        if len(parents) != 1 or "" in folders:
            continue
        bases = set()
        for table, folder in zip(tables, folders, strict=True):
            base = table.get("audio_base") or ""
            prefix = folder + "/"
            bases.add(base[len(prefix) :] if base.startswith(prefix) else None)
        if len(bases) != 1 or None in bases:
            continue
        return (
            parents.pop() or ".",
            sorted(posixpath.basename(folder) for folder in folders),
            tables[0],
            bases.pop(),
        )
    return None


def schema_yaml(schema: dict[str, Any]) -> str:
    """`schema` as YAML. Values are written as JSON, which YAML reads as it is, so names
    with any characters need no escaping rules of their own."""
    lines = []
    for key, value in schema.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            for name, mapping in value.items():
                dumped = json.dumps(mapping, ensure_ascii=False)
                lines.append(f"  {json.dumps(name, ensure_ascii=False)}: {dumped}")
        else:
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"
