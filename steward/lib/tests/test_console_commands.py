"""The progress bar and JSON output that the `steward` commands share (steward/lib/console.py)."""

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management.base import OutputWrapper

from steward.lib.console import (
    CountingReader,
    Progress,
    format_size,
    progress_wanted,
    quiet_from,
    write_json,
)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("setting", "stream", "quiet", "wanted"),
    [
        (None, Terminal(), False, True),
        (None, io.StringIO(), False, False),
        ("auto", io.StringIO(), False, False),
        ("always", io.StringIO(), False, True),
        ("never", Terminal(), False, False),
        ("always", io.StringIO(), True, False),
        (None, Terminal(), True, False),
    ],
)
def test_a_bar_is_wanted_on_a_terminal_unless_quiet_or_overridden(
    monkeypatch, setting, stream, quiet, wanted
):
    if setting is None:
        monkeypatch.delenv("STEWARD_PROGRESS", raising=False)
    else:
        monkeypatch.setenv("STEWARD_PROGRESS", setting)
    assert progress_wanted(stream, quiet=quiet) is wanted


def test_json_quiet_and_verbosity_zero_each_silence_the_bar():
    assert not quiet_from({"json": False, "quiet": False, "verbosity": 1})
    assert quiet_from({"json": True, "verbosity": 1})
    assert quiet_from({"quiet": True, "verbosity": 1})
    assert quiet_from({"verbosity": 0})


def test_the_bar_shows_count_total_percentage_rate_and_time_left():
    clock = Clock()
    out = io.StringIO()
    progress = Progress(out, label="Importing", total=1000, unit="lines", clock=clock)
    clock.now += 2
    progress.advance(250)
    line = out.getvalue()
    assert line.startswith("\rImporting [")
    # 250 lines in 2 s: 125 a second, so the other 750 take 6 s more.
    assert "250/1,000 lines" in line and "25%" in line
    assert "125 lines/s" in line and "ETA 0:06" in line
    progress.close()
    assert out.getvalue().endswith("\n")


def test_the_bar_redraws_at_most_ten_times_a_second():
    clock = Clock()
    out = io.StringIO()
    progress = Progress(out, label="Work", total=100, clock=clock)
    for _ in range(50):
        progress.advance()
    assert out.getvalue().count("\r") == 1
    clock.now += 0.2
    progress.advance()
    assert out.getvalue().count("\r") == 2
    assert progress.done == 51


def test_without_a_total_the_bar_shows_the_count_and_rate():
    clock = Clock()
    out = io.StringIO()
    with Progress(out, label="Importing", unit="lines", clock=clock) as progress:
        clock.now += 1
        list(progress.track(["a", "b", "c"]))
    assert "Importing  3 lines  3 lines/s" in out.getvalue()
    assert "ETA" not in out.getvalue()


def test_a_disabled_bar_counts_but_writes_nothing():
    out = io.StringIO()
    with Progress(out, label="Work", total=10, enabled=False) as progress:
        progress.advance(10)
    assert progress.done == 10
    assert out.getvalue() == ""


def test_a_byte_bar_reads_in_binary_units():
    clock = Clock()
    out = io.StringIO()
    progress = Progress(out, label="Inspecting", total=4 * 1024**2, unit="bytes", clock=clock)
    reader = CountingReader(io.BytesIO(b"x" * 2 * 1024**2), progress)
    clock.now += 1
    assert len(reader.read(1024**2)) == 1024**2
    assert "1.0 MiB/4.0 MiB" in out.getvalue() and "1.0 MiB/s" in out.getvalue()
    assert format_size(512) == "512 B" and format_size(3 * 1024**3) == "3.0 GiB"


def test_the_bar_through_djangos_wrapper_is_neither_coloured_nor_cut_into_lines():
    terminal = Terminal()
    wrapper = OutputWrapper(terminal)
    # What Django does to a command's stderr on a terminal: colour every write red.
    wrapper.style_func = lambda text: f"<red>{text}</red>"
    with Progress(wrapper, label="Work", total=2) as progress:
        progress.advance(2)
    text = terminal.getvalue()
    assert "<red>" not in text
    assert text.count("\n") == 1 and text.endswith("\n")


def test_json_is_one_object_and_keeps_dates_and_non_ascii_text():
    out = io.StringIO()
    write_json(
        out,
        {"name": "Kiswahili ya Mombasa", "word": "مرحبا", "at": datetime(2025, 1, 2, tzinfo=UTC)},
    )
    data = json.loads(out.getvalue())
    assert data == {
        "name": "Kiswahili ya Mombasa",
        "word": "مرحبا",
        "at": "2025-01-02T00:00:00Z",
    }
    assert "مرحبا" in out.getvalue()
