"""Catalogue benchmark: import speed, search latency and search throughput.

What it measures, on a fresh Steward installation in a temporary folder:

1. Import. Generates N datasets (default 100,000) in the MDC dataset shape as a JSONL
   file, deterministically (random.Random(seed)): ~200 ISO 639 languages, 15 tasks,
   6 formats, 5 licences, 10% paid, ~500 organizations, names and descriptions drawn
   from a Zipf-weighted vocabulary so that full-text search has realistic selectivity
   (a few words are in most datasets, most words in very few). Then runs
   `steward migrate` and times `steward import-catalog FILE` (wall clock, including
   the command's start-up). Target: under 60 s.
2. Latency. Starts `steward serve` (gunicorn, --workers 2 by default) on a free
   loopback port and sends, from one client with keep-alive, N requests (default 500)
   of GET /api/datasets cycling through a mix of realistic searches (a language name,
   common/mid/rare words, two-word queries, filters on task, locale, pricing, licence
   and format, some without q), after a warm-up. Reports p50/p95/p99/max and a line
   per query shape. Target: p99 under 50 ms.
3. Throughput. 16 concurrent clients (threads, one requests.Session each) for a fixed
   time against the same search mix and against GET /api/health, the cheapest JSON
   endpoint, run alternately (health, search, health, search) so both see the same
   machine. Reports requests/s of each and the ratio search/health. Target: >= 0.3.
   The clients run on the same machine as the server and share its cores.

Latency and throughput are each measured twice: "repeated", the mix as popular searches
arrive (Steward caches a listing per catalogue generation, so a repeat is served from the
cache), and "computed", where every request carries a parameter the server ignores but
caches under, so each one is computed from the database.

Every request times out after 10 s; a request that fails or times out is counted as
failed, and in the latency figures with the time it took to fail (a lower bound).
Every loop is bounded in count and in time, so a run ends even against a server that
no longer answers. The server is always stopped and the temporary folder removed.

It prints a summary with each figure, its target and PASS/FAIL, and exits 0 whatever
the figures are (it reports, it does not assert); a crash exits non-zero.

Run it with the project's virtualenv (`make bench` does `python bench/catalog.py`):

    python bench/catalog.py                      # 100,000 datasets on SQLite
    python bench/catalog.py --count 20000 --duration 5
    python bench/catalog.py --database-url postgres://postgres@127.0.0.1:5432/postgres

With --database-url the benchmark connects to that PostgreSQL server, creates a
scratch database `steward_bench` (dropping any left-over one), and drops it at the
end. --keep keeps the temporary folder (and the scratch database) for inspection.
"""

import argparse
import itertools
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests

SCRATCH_DATABASE = "steward_bench"
CLIENTS = 16
REQUEST_TIMEOUT = 10  # seconds, for every request
WARM_UP_TIME_LIMIT = 60  # seconds
LATENCY_TIME_LIMIT = 300  # seconds, however many requests are asked for
SERVER_START_TIMEOUT = 60
MAX_REQUESTS_PER_CLIENT = 1_000_000  # a bound on every throughput loop besides its deadline

# Targets.
IMPORT_TARGET_S = 60.0
P99_TARGET_MS = 50.0
RATIO_TARGET = 0.3

# --- The generated catalogue -------------------------------------------------------


def word_list(text: str) -> list[str]:
    return text.split()


# 184 ISO 639-1 codes (pycountry.languages with alpha_2) and 16 ISO 639-3-only codes.
# The first ones get the most datasets (the weights fall with the position).
LANGUAGE_CODES = word_list(
    "en sw fr de es pt ar hi yo ha ig zu rw am kab haz mda quz yue ckb fil ast sco kam mer "
    "guz nyn ceb war ilo zh ru ja it nl tr pl uk fa bn ur ta te mr gu kn ml pa ne si my th "
    "vi id ms jv su tl km lo ka hy az kk ky uz tg tk mn bo dz ug ps ku sd ks dv he yi el bg "
    "mk sr hr bs sl sk cs hu ro lt lv et fi sv no nb nn da is fo ga gd cy br kw gv eu ca gl "
    "oc co sc an wa lb li fy af xh st tn ts ss ve nr nd sn ny lg rn so om ti ff wo bm ee ak "
    "tw ln kg lu ki kj mg sg ht qu ay gn mi sm to fj ty mh na bi ch ho iu ik kl cr oj nv eo "
    "ia ie io vo la sa pi cu ae av ba ce cv kv os tt ab za ii ko be sq mt aa hz ng kr or as "
    "sh rm se"
)
# Some languages are also tagged with a region, as real catalogues do.
REGIONS = {
    "en": ["US", "GB", "NG", "KE", "IN"],
    "sw": ["KE", "TZ"],
    "fr": ["FR", "CA", "SN"],
    "de": ["DE", "AT", "CH"],
    "es": ["ES", "MX", "AR"],
    "pt": ["BR", "PT"],
    "ar": ["EG", "MA", "SA"],
    "zh": ["CN", "TW"],
}
TASKS = word_list("N/A NLP ASR LID TTS MT LM LLM NLU NLG CALL RAG CV ML OTH")
FORMATS = ["WAV", "TSV", "MP3", "JSONL", "TXT", "CSV"]
LICENCES = ["CC-BY-4.0", "CC0-1.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "NOODL-1.0"]
KINDS = ["Corpus", "Dataset", "Speech Collection", "Recordings", "Benchmark", "Lexicon",
         "Transcripts", "Parallel Text", "Sentences", "Voices"]  # fmt: skip
ORG_KINDS = ["Lab", "Institute", "Foundation", "University", "Collective", "Initiative",
             "Network", "Group", "Archive", "Project"]  # fmt: skip
STOP_WORDS = ["the", "of", "and", "for", "in", "with", "from", "by", "a", "to"]

# Real words, most frequent first; the Zipf weights follow this order. The query mix
# below uses "speech" (in most datasets), "dialect" (a few percent), "lullabies" (rare).
COMMON_WORDS = word_list("""
speech audio corpus text recordings language spoken data voice read community transcribed
collected sentences speakers news conversational validated annotated clips native radio
dialect dialects regional local children adults elderly women men volunteers hours minutes
interviews stories songs prayers sermons lectures podcasts broadcasts telephone calls
meetings classroom market farmers health medical legal government parliament court
religious bible quran folk tales proverbs riddles poems poetry literature books novels
newspapers articles wikipedia web crawled social media posts tweets messages chat dialogues
questions answers instructions translations parallel aligned bilingual multilingual
monolingual orthography script transliteration romanized phonetic phonemes syllables
words lexicon dictionary glossary terminology vocabulary grammar morphology syntax
semantics sentiment emotion intent entities named keywords summaries headlines captions
subtitles images video gestures sign handwriting printed scanned ocr pronunciation accent
accents noise noisy clean studio field mobile smartphone microphone headset wideband
narrowband sampled mono stereo quality reviewed verified crowdsourced curated filtered
deduplicated normalized tokenized segmented labelled tagged benchmark evaluation training
validation test splits baseline model models recognition synthesis identification
understanding generation retrieval classification detection translation tutoring learning
education schools students teachers university research archive heritage oral history
elders culture traditional ceremonies music drumming lullabies weather agriculture
fishing cooking recipes sports football travel tourism transport banking finance
commerce shopping numbers dates digits counting colors animals plants places names
greetings emergency disaster election census survey questionnaire feedback complaints
customer service helpdesk hotline wake command commands keyword spotting diarization
turns overlap code switching mixed borrowed slang informal formal polite honorifics
urban rural coastal highland northern southern eastern western central youth
""")
VOCABULARY_SIZE = 5000  # the rest are pseudo-words: the rare tail (names, places, jargon)
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
WORD_EXPONENT = 0.9
ORGANIZATIONS = 500


class ZipfSampler:
    """Draws items with weight 1/rank**exponent (the first item is the most frequent)."""

    def __init__(self, rng: Random, items: list, exponent: float):
        self.rng = rng
        self.items = items
        self.cum_weights = list(
            itertools.accumulate(1 / rank**exponent for rank in range(1, len(items) + 1))
        )

    def draw(self, k: int) -> list:
        return self.rng.choices(self.items, cum_weights=self.cum_weights, k=k)

    def one(self):
        return self.draw(1)[0]


def build_vocabulary(rng: Random) -> list[str]:
    vocabulary = list(dict.fromkeys(COMMON_WORDS))
    seen = set(vocabulary)
    while len(vocabulary) < VOCABULARY_SIZE:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            vocabulary.append(word)
    return vocabulary


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def clip(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;") + "."


class CatalogGenerator:
    def __init__(self, seed: int):
        self.rng = Random(seed)
        self.words = ZipfSampler(self.rng, build_vocabulary(self.rng), WORD_EXPONENT)
        self.languages = ZipfSampler(self.rng, LANGUAGE_CODES, 0.8)
        self.organizations = ZipfSampler(self.rng, self._organizations(), 0.7)

    def _organizations(self) -> list[dict]:
        orgs = []
        for number in range(1, ORGANIZATIONS + 1):
            words = " ".join(w.title() for w in self.words.draw(2))
            name = f"{words} {self.rng.choice(ORG_KINDS)}"
            orgs.append({"name": name, "slug": f"{slugify(name)}-{number}"})
        return orgs

    def sentence(self, count: int) -> str:
        out = []
        for position, word in enumerate(self.words.draw(count), start=1):
            out.append(word)
            if position % 3 == 0 and position < count:
                out.append(self.rng.choice(STOP_WORDS))
        text = " ".join(out)
        return text[0].upper() + text[1:] + "."

    def locale(self) -> str:
        code = self.languages.one()
        if code in REGIONS and self.rng.random() < 0.4:
            return f"{code}-{self.rng.choice(REGIONS[code])}"
        return code

    def dataset(self, number: int) -> dict:
        rng = self.rng
        name = " ".join(w.title() for w in self.words.draw(rng.randint(2, 3)))
        name = f"{name} {rng.choice(KINDS)}"
        long_description = " ".join(
            self.sentence(rng.randint(12, 25)) for _ in range(rng.randint(1, 2))
        )
        paid = rng.random() < 0.10
        return {
            "name": name,
            "slug": f"{slugify(name)}-{number}",
            "shortDescription": clip(self.sentence(rng.randint(8, 14)), 160),
            "longDescription": long_description,
            "locale": self.locale(),
            "task": rng.choice(TASKS),
            "format": rng.choice(FORMATS),
            "licenseAbbreviation": rng.choice(LICENCES),
            "isPaid": paid,
            "basePriceCents": rng.randint(1000, 500_000) if paid else None,
            "organization": self.organizations.one(),
        }


def write_catalog(path: Path, count: int, seed: int) -> None:
    generator = CatalogGenerator(seed)
    with path.open("w", encoding="utf-8") as out:
        for number in range(1, count + 1):
            out.write(json.dumps(generator.dataset(number), ensure_ascii=False) + "\n")


# --- The search mix ------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    label: str
    params: dict

    def url(self, base: str) -> str:
        return f"{base}/api/datasets?{urlencode(self.params, doseq=True)}"


def fresh(url: str, nonce: str) -> str:
    """The same search with a parameter the server ignores but caches under: it must
    compute the answer instead of serving a cached one."""
    return f"{url}{'&' if '?' in url else '?'}nonce={nonce}"


QUERIES = [
    Query("language name", {"q": "swahili"}),
    Query("common word", {"q": "speech"}),
    Query("mid word + task", {"q": "dialect", "task": "ASR"}),
    Query("rare word", {"q": "lullabies"}),
    Query("two words", {"q": "read speech"}),
    Query("two words + locale", {"q": "news recordings", "locale": "sw"}),
    Query("language + free, relevance", {"q": "yoruba", "pricing": "free", "sort": "relevance"}),
    Query(
        "word + 2 tasks, relevance",
        {"q": "conversational", "task": ["ASR", "TTS"], "sort": "relevance"},
    ),  # fmt: skip
    Query("word + region locale", {"q": "speech", "locale": "en-US"}),
    Query("prefix as typed", {"q": "transcri"}),
    Query("no q: task + locale", {"task": "ASR", "locale": "de"}),
    Query("no q: paid", {"pricing": "compensated"}),
    Query("no q: licence + format", {"license": "CC0-1.0", "format": "WAV"}),
    Query("no q: browse", {}),
]


# --- Steward processes -----------------------------------------------------------------


def steward_command() -> list[str]:
    script = Path(sys.executable).with_name("steward")
    if script.exists():
        return [str(script)]
    found = shutil.which("steward")
    return [found] if found else [sys.executable, "-m", "steward"]


def steward_env(home: Path, database_url: str | None) -> dict[str, str]:
    env = dict(os.environ, STEWARD_HOME=str(home))
    env.pop("DATABASE_URL", None)
    env.pop("STEWARD_DEBUG", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def run_steward(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Run a steward command; (seconds, stdout). A failure raises."""
    started = time.perf_counter()
    done = subprocess.run(
        [*steward_command(), *args], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"steward {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def loopback_session() -> requests.Session:
    """A keep-alive session that ignores proxy settings from the environment."""
    session = requests.Session()
    session.trust_env = False
    return session


def wait_for_health(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    with loopback_session() as session:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited ({server.returncode}):\n{log.read_text()}")
            try:
                if session.get(f"{base}/api/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {SERVER_START_TIMEOUT} s")


def stop_server(server: subprocess.Popen) -> None:
    """Stop the server's process group (gunicorn's master and workers)."""
    if server.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def running_server(env: dict[str, str], workers: int, log: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [*steward_command(), *args],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop_server reaches workers
        )
        try:
            wait_for_health(base, server, log)
            yield base
        finally:
            stop_server(server)


@contextmanager
def scratch_database(server_url: str | None, keep: bool) -> Iterator[str | None]:
    """None for SQLite; else the URL of a fresh `steward_bench` database on that server."""
    if not server_url:
        yield None
        return
    import psycopg  # a dependency of Steward, so present in its virtualenv

    parts = urlsplit(server_url)
    named = parts.path.strip("/")
    admin_path = f"/{named}" if named and named != SCRATCH_DATABASE else "/postgres"
    admin_url = urlunsplit(parts._replace(path=admin_path))
    bench_url = urlunsplit(parts._replace(path=f"/{SCRATCH_DATABASE}"))

    def execute(sql: str) -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql)

    execute(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE} WITH (FORCE)")
    execute(f"CREATE DATABASE {SCRATCH_DATABASE}")
    try:
        yield bench_url
    finally:
        if keep:
            print(f"kept database: {bench_url}")
        else:
            execute(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE} WITH (FORCE)")


# --- Measurements ------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of `values` (not empty)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def timed_get(session: requests.Session, url: str) -> tuple[float, requests.Response | None]:
    """(milliseconds, response); the response is None when the request failed or timed out."""
    started = time.perf_counter()
    try:
        response = session.get(url, timeout=REQUEST_TIMEOUT)
    except requests.RequestException:
        response = None
    return (time.perf_counter() - started) * 1000, response


@dataclass
class Samples:
    """Per query shape: the milliseconds of every request (a failed one counts for the time
    it took to fail, a lower bound), how many failed, and how many datasets matched."""

    ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    totals: dict[str, int] = field(default_factory=dict)

    def all_ms(self) -> list[float]:
        return [ms for values in self.ms.values() for ms in values]


def check(url: str, response: requests.Response | None) -> bool:
    """True for a 200; False for a failure or timeout. Any other status raises: the mix
    itself would be wrong."""
    if response is None:
        return False
    if response.status_code != 200:
        raise RuntimeError(f"{url} -> {response.status_code}: {response.text}")
    return True


def warm_up(session: requests.Session, base: str, samples: Samples) -> None:
    """Send every query of the mix a couple of times; records each query's `total`."""
    deadline = time.monotonic() + WARM_UP_TIME_LIMIT
    for _ in range(2):
        for query in QUERIES:
            if time.monotonic() > deadline:
                print(f"  warm-up: stopped at its {WARM_UP_TIME_LIMIT} s limit")
                return
            ms, response = timed_get(session, query.url(base))
            if check(query.url(base), response):
                samples.totals[query.label] = response.json()["total"]
            else:
                print(f"  warm-up: {query.label!r} failed after {ms / 1000:.1f} s")


def measure_latency(
    session: requests.Session, base: str, count: int, samples: Samples, computed: bool
) -> None:
    """Send `count` requests cycling through the mix, one at a time (each one new to the
    server's cache when `computed`)."""
    urls = [(query.label, query.url(base)) for query in QUERIES]
    deadline = time.monotonic() + LATENCY_TIME_LIMIT
    for number in range(count):
        if time.monotonic() > deadline:
            print(f"  latency: stopped after {number} requests ({LATENCY_TIME_LIMIT} s limit)")
            break
        label, url = urls[number % len(urls)]
        if computed:
            url = fresh(url, f"l{number}")
        ms, response = timed_get(session, url)
        samples.ms[label].append(ms)
        if not check(url, response):
            samples.failed[label] += 1


@dataclass
class Load:
    ok: int = 0
    errors: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def add(self, other: "Load") -> None:
        self.ok += other.ok
        self.errors += other.errors
        self.seconds += other.seconds


def run_clients(urls: list[str], clients: int, duration: float, computed: bool = False) -> Load:
    """`clients` threads, each with its own Session, GET the urls in turn until the deadline
    (each request new to the server's cache when `computed`)."""
    deadline = time.monotonic() + duration
    counts = [(0, 0)] * clients

    def client(index: int) -> None:
        ok = errors = 0
        with loopback_session() as session:
            for number in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() >= deadline:
                    break
                url = urls[(index + number) % len(urls)]
                if computed:
                    url = fresh(url, f"c{index}-{number}")
                try:
                    status = session.get(url, timeout=REQUEST_TIMEOUT).status_code
                except requests.RequestException:
                    status = None
                if status == 200:
                    ok += 1
                else:
                    errors += 1
        counts[index] = (ok, errors)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + REQUEST_TIMEOUT + 5)
    seconds = time.perf_counter() - started
    return Load(ok=sum(c[0] for c in counts), errors=sum(c[1] for c in counts), seconds=seconds)


def measure_throughput(
    base: str, clients: int, duration: float, computed: bool
) -> tuple[Load, Load]:
    """(health, search) loads, alternating health, search, health, search, each half the time."""
    health_urls = [f"{base}/api/health"]
    search_urls = [query.url(base) for query in QUERIES]
    health, search = Load(), Load()
    for round_number in (1, 2):
        for name, urls, total in (("health", health_urls, health), ("search", search_urls, search)):
            load = run_clients(urls, clients, duration / 2, computed and name == "search")
            total.add(load)
            print(
                f"  round {round_number} {name:6}: {load.rate:8.1f} req/s"
                f" ({load.ok} ok, {load.errors} errors, {load.seconds:.1f} s)"
            )
    return health, search


# --- Report ---------------------------------------------------------------------------------


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str = ""
    passed: bool | None = None  # None: no target
    decimals: int = 1

    def line(self) -> str:
        result = "" if self.passed is None else ("PASS" if self.passed else "FAIL")
        value = f"{self.value:,.{self.decimals}f} {self.unit}"
        return f"  {self.name:28} {value:>16}   {self.target:>10}   {result}"


def print_query_table(samples: Samples) -> None:
    header = f"{'query shape':30} {'matches':>8} {'n':>4} {'failed':>6}"
    print(f"  {header} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for query in QUERIES:
        values = samples.ms.get(query.label)
        if not values:
            continue
        matches = samples.totals.get(query.label, "?")
        row = f"{query.label:30} {matches:>8} {len(values):>4} {samples.failed[query.label]:>6}"
        print(
            f"  {row} {percentile(values, 50):>8.1f} {percentile(values, 95):>8.1f}"
            f" {max(values):>8.1f}"
        )


def print_summary(title: str, figures: list[Figure]) -> None:
    print()
    print(f"== Summary: {title} ==")
    print(f"  {'figure':28} {'value':>16}   {'target':>10}   result")
    for figure in figures:
        print(figure.line())


# --- Main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="datasets (default 100000)")
    parser.add_argument("--workers", type=int, default=2, help="server workers (default 2)")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="concurrent clients (16)")
    parser.add_argument(
        "--duration", type=float, default=10.0, help="seconds of load per endpoint (default 10)"
    )
    parser.add_argument("--requests", type=int, default=500, help="latency requests (500)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL (e.g. postgres://postgres@127.0.0.1:5432/postgres);"
        f" a scratch database {SCRATCH_DATABASE!r} is created there and dropped. Default: SQLite",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser.parse_args(argv)


def import_figures(env: dict[str, str], catalog: Path, count: int) -> list[Figure]:
    seconds, _ = run_steward(["migrate", "--no-input"], env)
    print(f"  migrate: {seconds:.1f} s")
    seconds, output = run_steward(["import-catalog", str(catalog)], env)
    print(f"  import-catalog: {seconds:.1f} s, {output.strip()}")
    created = re.search(r"(\d+) created", output)
    if not created or int(created.group(1)) != count:
        print(f"  warning: expected {count} created")
    return [
        Figure("import time", seconds, "s", f"< {IMPORT_TARGET_S:g} s", seconds < IMPORT_TARGET_S),
        Figure("import rate", count / seconds, "rows/s"),
    ]


def latency_figures(base: str, count: int, computed: bool) -> list[Figure]:
    samples = Samples()
    with loopback_session() as session:
        warm_up(session, base, samples)
        measure_latency(session, base, count, samples, computed)
    print_query_table(samples)
    values = samples.all_ms()
    p99 = percentile(values, 99)
    kind = "computed" if computed else "repeated"
    figures = [
        Figure(f"search latency p50 ({kind})", percentile(values, 50), "ms"),
        Figure(f"search latency p95 ({kind})", percentile(values, 95), "ms"),
        Figure(
            f"search latency p99 ({kind})",
            p99,
            "ms",
            f"< {P99_TARGET_MS:g} ms",
            p99 < P99_TARGET_MS,
        ),
        Figure(f"search latency max ({kind})", max(values), "ms"),
    ]
    failed = sum(samples.failed.values())
    if failed:
        figures.append(Figure("latency requests failed", failed, f"of {len(values)}", decimals=0))
    return figures


def throughput_figures(base: str, clients: int, duration: float, computed: bool) -> list[Figure]:
    health, search = measure_throughput(base, clients, duration, computed)
    ratio = search.rate / health.rate if health.rate else 0.0
    kind = "computed" if computed else "repeated"
    figures = [
        Figure(f"health throughput (beside {kind})", health.rate, "req/s"),
        Figure(f"search throughput ({kind})", search.rate, "req/s"),
        Figure(
            f"search / health ({kind})", ratio, "", f">= {RATIO_TARGET:g}",
            ratio >= RATIO_TARGET, 2,
        ),
    ]  # fmt: skip
    if health.errors or search.errors:
        failed = health.errors + search.errors
        sent = failed + health.ok + search.ok
        figures.append(Figure("load requests failed", failed, f"of {sent}", decimals=0))
    return figures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    title = (
        f"{args.count:,} datasets, {backend}, {args.workers} workers,"
        f" {args.clients} clients, {os.cpu_count()} CPUs"
    )
    print(f"Steward catalogue benchmark: {title}")
    folder = Path(tempfile.mkdtemp(prefix="steward-bench-"))
    figures: list[Figure] = []
    try:
        catalog = folder / "catalog.jsonl"
        started = time.perf_counter()
        write_catalog(catalog, args.count, args.seed)
        size_mb = catalog.stat().st_size / 1e6
        print(f"generated {catalog} ({size_mb:.1f} MB) in {time.perf_counter() - started:.1f} s")
        with scratch_database(args.database_url, args.keep) as database_url:
            env = steward_env(folder / "home", database_url)
            print("import:")
            figures += import_figures(env, catalog, args.count)
            with running_server(env, args.workers, folder / "server.log") as base:
                # "repeated": the mix as popular searches arrive, answered from the cache
                # after their first computation; "computed": every request is new to it.
                for computed in (False, True):
                    kind = "computed" if computed else "repeated"
                    print(f"latency, {kind} ({args.requests} requests, one client, {base}):")
                    figures += latency_figures(base, args.requests, computed)
                    print(
                        f"throughput, {kind} ({args.clients} clients,"
                        f" {args.duration:g} s per endpoint):"
                    )
                    figures += throughput_figures(base, args.clients, args.duration, computed)
    finally:
        if args.keep:
            print(f"kept folder: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print_summary(title, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
