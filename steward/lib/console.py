"""Output of the `steward` commands: progress bars on stderr, JSON on stdout.

A progress bar is drawn only for a person watching: when stderr is a terminal, and the
command was not asked for `--json`, `--quiet` or `--verbosity 0`. STEWARD_PROGRESS
overrides the terminal test: "always" draws it anyway (into a log, say), "never" never
does, and "auto" (the default) asks the terminal.
"""

import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO, TypeVar

from django.core.management.base import OutputWrapper
from django.core.serializers.json import DjangoJSONEncoder

T = TypeVar("T")

# A bar redrawn more often than this costs time and flickers without telling more.
REDRAW_SECONDS = 0.1


def progress_wanted(stream: TextIO, *, quiet: bool = False) -> bool:
    """Whether a progress bar belongs on `stream`: see the module's docstring."""
    if quiet:
        return False
    setting = os.environ.get("STEWARD_PROGRESS", "auto").strip().lower()
    if setting == "always":
        return True
    if setting == "never":
        return False
    return stream.isatty()


def quiet_from(options: dict[str, Any]) -> bool:
    """A command's options ask for no progress bar: `--json`, `--quiet` or `-v 0`."""
    return bool(options.get("json") or options.get("quiet") or options.get("verbosity", 1) == 0)


def add_output_arguments(parser, *, json_help: str, progress: bool = False) -> None:
    """`--json` (with the shape of its object in `json_help`) and, for long work, `--quiet`."""
    parser.add_argument("--json", action="store_true", help=json_help)
    if progress:
        parser.add_argument(
            "-q",
            "--quiet",
            action="store_true",
            help="no progress bar (there is none either when stderr is not a terminal)",
        )


def write_json(stream: TextIO, data: dict[str, Any]) -> None:
    """One JSON object on `stream`, for a script to parse."""
    stream.write(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2) + "\n")


def _plain(text: str) -> str:
    return text


def _writer(stream: TextIO) -> Callable[[str], None]:
    # Django's wrapper would end every write with a newline and colour stderr red.
    if isinstance(stream, OutputWrapper):
        return lambda text: stream.write(text, style_func=_plain, ending="")
    return stream.write


def format_size(n: float) -> str:
    """A byte count for people: `512 B`, `121.8 KiB`, `3.0 GiB`."""
    for size, name in ((1024**3, "GiB"), (1024**2, "MiB"), (1024, "KiB")):
        if n >= size:
            return f"{n / size:.1f} {name}"
    return f"{n:.0f} B"


def _count(n: float, unit: str) -> str:
    return format_size(n) if unit == "bytes" else f"{n:,.0f}"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """A one-line progress bar: `label [####....] done/total  pct  rate  ETA`, redrawn in
    place. Without a total it shows the count and the rate. Disabled, it does nothing."""

    def __init__(
        self,
        stream: TextIO,
        *,
        label: str,
        total: int | None = None,
        unit: str = "",
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.label = label
        self.total = total if total else None
        self.unit = unit
        self.enabled = enabled
        self.done = 0
        self._stream = stream
        self._write = _writer(stream)
        self._clock = clock
        self._started = clock()
        self._drawn_at: float | None = None
        self._width = 0

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def advance(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = self._clock()
        if self._drawn_at is None or now - self._drawn_at >= REDRAW_SECONDS:
            self._draw(now)

    def track(self, items: Iterable[T]) -> Iterator[T]:
        """`items`, advancing the bar by one as each is taken."""
        for item in items:
            self.advance()
            yield item

    def close(self) -> None:
        """Draw the final state and end the line, so that later output starts below it."""
        if not self.enabled:
            return
        self._draw(self._clock())
        self._write("\n")
        self._stream.flush()
        self.enabled = False

    def _line(self, now: float) -> str:
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        unit = "" if self.unit == "bytes" else f" {self.unit}" if self.unit else ""
        rate_text = f"{_count(rate, self.unit)}{unit}/s"
        if self.total is None:
            return f"{self.label}  {_count(self.done, self.unit)}{unit}  {rate_text}"
        fraction = min(self.done / self.total, 1.0)
        counts = f"{_count(self.done, self.unit)}/{_count(self.total, self.unit)}{unit}"
        left = (self.total - self.done) / rate if rate > 0 else None
        eta = _duration(left) if left is not None else "?"
        tail = f"  {counts}  {fraction:4.0%}  {rate_text}  ETA {eta}"
        columns = shutil.get_terminal_size(fallback=(80, 24)).columns
        bar_width = max(10, min(40, columns - len(self.label) - len(tail) - 4))
        filled = int(bar_width * fraction)
        return f"{self.label} [{'#' * filled}{'.' * (bar_width - filled)}]{tail}"

    def _draw(self, now: float) -> None:
        text = self._line(now)
        # Spaces wipe what a longer previous line left behind.
        self._write("\r" + text.ljust(self._width))
        self._stream.flush()
        self._width = len(text)
        self._drawn_at = now


class CountingReader:
    """A binary stream that advances `progress` by the bytes read through it."""

    def __init__(self, source, progress: Progress):
        self.source = source
        self.progress = progress

    def read(self, n: int = -1) -> bytes:
        data = self.source.read(n)
        self.progress.advance(len(data))
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False


def progress_maker(stream: TextIO, options: dict[str, Any]) -> Callable[..., "Progress"]:
    """For services that draw several bars: `make_progress(label=..., total=...)` gives a
    Progress on `stream`, enabled as `progress_wanted` and the command's options say."""
    enabled = progress_wanted(stream, quiet=quiet_from(options))

    def make_progress(**kwargs) -> Progress:
        return Progress(stream, enabled=enabled, **kwargs)

    return make_progress
