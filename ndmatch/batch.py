"""Batch ranking at scale: stream a table or folder in chunks, score the chunks in parallel, stream the output.

Memory does not grow with the input: records are read one at a time (:mod:`ndmatch.sources`), at most
``2 x jobs`` chunks are in flight, results are written as soon as their chunk (in input order) is done, and
the portfolio summary is kept in fixed-size histograms. With ``program`` the output must be sorted by that
program's score, which needs every score before the first row is written: the formatted rows are spilled to
a temporary file beside the output and only ``(byte offset, score)`` pairs (16 bytes a row) stay in memory;
after sorting them the rows are copied over in order. Re-streaming the input instead would read and parse
it twice (an XLSX or a folder of HWP files is slow to parse) and still have to keep or recompute each
row's result; the spill costs one extra sequential write and random reads served by the page cache.

Backends (chunks are scored by :func:`score_chunk` in each case):

``threads`` (default)
    Threads of this process sharing its one JVM. Tokenizing is almost all Java (Komoran) and JPype releases
    the GIL inside Java calls, so threads run in parallel without starting another JVM or loading the model
    again; measured faster than ``processes`` on this 2-core machine (README, performance).
``processes``
    joblib's loky worker processes (spawned, not forked: a JVM does not survive fork); each one loads the
    model and starts its own JVM on its first chunk.
``dask``
    The workers of a Dask distributed cluster (``scheduler`` address). They must have ndmatch installed and
    see the model folder at the same path.
``server``
    A warm ``ndmatch serve`` process on this machine (:mod:`ndmatch.server`): ``matcher`` is then the
    :class:`~ndmatch.server.ServedModel` and ``scheduler`` the server's socket; ``jobs`` connections send it
    chunks, which it scores on threads sharing its warm JVM.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from array import array
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ndmatch.errors import InputError, NdmatchError, UsageError
from ndmatch.sources import Record, Source, open_source
from ndmatch.summary import Portfolio, check_summary_path

BACKENDS = ("threads", "processes", "dask", "server")
DEFAULT_BACKEND = "threads"
FORMATS = ("csv", "xlsx", "jsonl")
#: Proposals per chunk: small enough to balance two workers on 1,000 rows, large enough to amortise calls.
DEFAULT_CHUNK = 64
#: Excel's limit on the characters of one cell.
XLSX_CELL_LIMIT = 32767


def default_jobs() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# ----------------------------------------------------------------------------------------------- workers

_local = threading.local()
_matchers: dict[str, Any] = {}
_matchers_lock = threading.Lock()


def _matcher(ref):
    """The matcher itself (threads) or this worker process's copy loaded from the model folder ``ref``."""
    if not isinstance(ref, str):
        return ref
    with _matchers_lock:
        matcher = _matchers.get(ref)
        if matcher is None:
            from ndmatch.matcher import Matcher

            matcher = _matchers[ref] = Matcher.load(Path(ref))
        return matcher


def _cache(folder: str | None):
    """A token cache per thread (SQLite connections must not cross threads)."""
    if folder is None:
        return None
    caches = getattr(_local, "caches", None)
    if caches is None:
        caches = _local.caches = {}
    if folder not in caches:
        from ndmatch.cache import TokenCache

        caches[folder] = TokenCache(Path(folder))
    return caches[folder]


#: One item of a chunk: (where, text, document path, error) - the record without its original columns.
Item = tuple[str, str | None, str | None, str | None]


def score_chunk(matcher_ref, items: list[Item], top: int, target: int | None,
                cache_dir: str | None) -> list[tuple]:
    """Score one chunk; return per item ``("skip", message)`` or ``("ok", top ids, top scores, target score,
    warnings)``, in the chunk's order. Runs in a worker thread, worker process or Dask worker."""
    from ndmatch.api import DEFAULT_GRADES, assess
    from ndmatch.cache import tokenize_texts
    from ndmatch.matcher import check_text
    from ndmatch.readers import read_document

    matcher = _matcher(matcher_ref)
    grades = matcher.manifest.get("grades") or DEFAULT_GRADES
    out: list[tuple | None] = [None] * len(items)
    texts, slots = [], []
    for i, (where, text, path, error) in enumerate(items):
        if error is None:
            try:
                if path is not None:
                    text = read_document(Path(path))
                texts.append(check_text(text or "", where))
                slots.append(i)
                continue
            except NdmatchError as exc:
                error = str(exc)
        out[i] = ("skip", error)
    if texts:
        cache = _cache(cache_dir)
        scores, _ = matcher.score_texts(texts, lambda chunk: tokenize_texts(matcher.tokenizer, chunk, cache))
        ids = matcher.program_ids
        for i, text, row in zip(slots, texts, scores):
            order = sorted(range(len(ids)), key=lambda k: (-row[k], ids[k]))[:top]
            warnings = assess(text, float(row.max()), grades)
            out[i] = ("ok", [ids[k] for k in order], [float(row[k]) for k in order],
                      float(row[target]) if target is not None else None, warnings)
    return out  # type: ignore[return-value]


class _Engine:
    """Submit chunks to a backend, at most ``window`` in flight, and yield their results in input order."""

    def __init__(self, backend: str, jobs: int, scheduler: str | None):
        self.backend = backend
        self.client = None
        if backend in ("threads", "server"):
            from concurrent.futures import ThreadPoolExecutor

            self.executor = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="ndmatch-rank")
            self.window = 2 * jobs
        elif backend == "processes":
            from joblib.externals.loky import get_reusable_executor

            self.executor = get_reusable_executor(max_workers=jobs)
            self.window = 2 * jobs
        else:
            try:
                from distributed import Client
            except ImportError:
                raise UsageError("--backend dask needs Dask: pip install 'dask[distributed]'") from None
            try:
                self.client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise InputError(f"{scheduler}: cannot reach the Dask scheduler ({exc}); start one with "
                                 "`dask scheduler` and `dask worker ADDRESS`, then pass its address") from None
            threads = sum(self.client.nthreads().values()) or 1
            self.window = 2 * (jobs or threads)

    def map(self, fn: Callable, args: Iterator[tuple]) -> Iterator[Any]:
        pending: deque = deque()
        submit = (self.executor.submit if self.client is None
                  else lambda *a: self.client.submit(*a, pure=False))
        for arg in args:
            pending.append(submit(fn, *arg))
            if len(pending) >= self.window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self, ok: bool = True) -> None:
        if self.client is not None:
            self.client.close()
        elif self.backend in ("threads", "server"):
            self.executor.shutdown(wait=True, cancel_futures=not ok)  # on an error, drop queued chunks
        else:
            # Stop loky's workers (each holds a JVM and the model, ~600 MB) now rather than at interpreter exit,
            # which the CLI skips (ndmatch.cli.main): orphaned workers lingered for ~40 s.
            self.executor.shutdown(wait=True, kill_workers=not ok)


# ----------------------------------------------------------------------------------------------- outputs


def output_format(out: Path | None, fmt: str | None) -> str:
    """``fmt`` when given, else the format named by ``out``'s suffix, else CSV."""
    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise UsageError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}")
    elif out is not None:
        suffix = out.suffix.lower().lstrip(".")
        if suffix not in FORMATS:
            raise UsageError(f"{out}: cannot tell the output format from {out.suffix or 'no suffix'}; "
                             "name it .csv, .xlsx or .jsonl or pass --format")
        fmt = suffix
    else:
        fmt = "csv"
    if fmt == "xlsx" and out is None:
        raise UsageError("XLSX output needs a file: pass --out ranked.xlsx")
    return fmt


def ranked_header(top: int, program: str | None, original: list[str]) -> list[str]:
    """Output columns: id, (rank and score for ``program``), top programs, confidence, original columns."""
    header = ["id"]
    if program:
        header += [f"{program}_rank", f"{program}_score"]
    for k in range(1, top + 1):
        header += [f"program_{k}", f"name_{k}", f"score_{k}"]
    header += ["confidence", "warnings"]
    return header + [c for c in original if c not in header]


class _Sink:
    """Writes output rows (lists in header order) as CSV, JSONL or XLSX."""

    def __init__(self, fmt: str, header: list[str], out: Path | None, stdout: IO[str] | None):
        self.fmt, self.header, self.out = fmt, header, out
        self.partial = out.with_name(f".{out.name}.partial") if out is not None else None
        self.fh = None
        self.truncated = 0
        try:
            if fmt == "xlsx":
                from openpyxl import Workbook

                self.book = Workbook(write_only=True)  # rows stream to a temporary file, not memory
                self.sheet = self.book.create_sheet("ranked")
                self.sheet.append(header)
                return
            self.fh = (open(self.partial, "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="")
                       if out is not None else stdout)
        except OSError as exc:
            raise InputError(f"{out}: cannot write ({exc.strerror}); choose another path") from exc
        if fmt == "csv":
            import csv

            self.writer = csv.writer(self.fh)
            self.writer.writerow(header)

    def write(self, values: list) -> None:
        if self.fmt == "csv":
            self.writer.writerow([f"{v:.4f}" if isinstance(v, float) else _cell(v) for v in values])
        elif self.fmt == "jsonl":
            self.fh.write(json.dumps(dict(zip(self.header, values)), ensure_ascii=False) + "\n")
        else:
            self.sheet.append([self._xlsx(v) for v in values])

    def _xlsx(self, value):
        if isinstance(value, (int, float)) or value is None:
            return value
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        text = ILLEGAL_CHARACTERS_RE.sub("", _cell(value))
        if len(text) > XLSX_CELL_LIMIT:
            self.truncated += 1
            text = text[:XLSX_CELL_LIMIT - 1] + "…"
        return text

    def close(self, ok: bool) -> None:
        try:
            if self.fmt == "xlsx":
                if ok:
                    self.book.save(self.partial)
            elif self.out is not None and self.fh is not None:
                self.fh.close()
            else:
                self.fh.flush()
            if self.out is not None:
                if ok:
                    os.replace(self.partial, self.out)  # never leave a half-written output under its name
                elif self.partial.exists():
                    self.partial.unlink()
        except OSError as exc:
            raise InputError(f"{self.out}: cannot write ({exc.strerror}); choose another path") from exc


def _cell(value) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class _Spill:
    """Formatted rows parked in a temporary file until every score of ``--program`` is known."""

    def __init__(self, folder: Path | None):
        # Beside the output: the rows carry the proposals' text, which is going there anyway.
        self.fh = tempfile.TemporaryFile(mode="w+b", dir=folder, prefix=".ndmatch-rank-")
        self.offsets = array("q")
        self.scores = array("d")

    def add(self, values: list, score: float) -> None:
        self.offsets.append(self.fh.tell())
        self.scores.append(score)
        self.fh.write(json.dumps(values, ensure_ascii=False).encode("utf-8") + b"\n")

    def sorted_rows(self) -> Iterator[list]:
        import numpy as np

        # Stable sort on -score: ties keep input order.
        order = np.argsort(-np.frombuffer(self.scores, dtype=np.float64), kind="stable")
        for index in order:
            self.fh.seek(self.offsets[index])
            yield json.loads(self.fh.readline())

    def close(self) -> None:
        self.fh.close()


# ----------------------------------------------------------------------------------------------- driver


@dataclass
class BatchResult:
    """What a batch run produced."""

    portfolio: Portfolio
    output: Path | None
    format: str
    truncated_cells: int = 0


def _chunks(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def rank_batch(matcher, input_path: Path, out: Path | None = None, fmt: str | None = None, top: int = 3,
               program: str | None = None, text_column: str = "text", id_column: str = "id",
               jobs: int | None = None, backend: str = DEFAULT_BACKEND, scheduler: str | None = None,
               use_cache: bool = True, summary_path: Path | None = None, chunk_size: int = DEFAULT_CHUNK,
               stdout: IO[str] | None = None, on_skip: Callable[[str], None] | None = None,
               on_progress: Callable[[int], None] | None = None,
               on_start: Callable[[Source], None] | None = None, sheet: str | None = None,
               server=None) -> BatchResult:
    """Rank programs for every proposal of a table or folder, streaming it in chunks to ``out``.

    Parameters
    ----------
    matcher : Matcher or ServedModel
        The loaded model (worker processes load their own copy from ``matcher.path``), or with the
        ``server`` backend the model the server holds.
    input_path : Path
        CSV (UTF-8 or CP949), JSONL or XLSX file, or a folder of documents (id = relative path).
    out, fmt : Path or None, {'csv', 'xlsx', 'jsonl'} or None
        Output file (``None``: ``stdout``) and format (default: from ``out``'s suffix, else CSV).
    top, program : int, str or None
        Programs per row; with ``program``, rows are sorted by fit to it and get its rank and score.
    jobs, backend, scheduler :
        Parallel workers (default: every core), ``threads``, ``processes``, ``dask`` (with ``scheduler``) or
        ``server`` (with ``server``, a connected :class:`~ndmatch.server.ServerClient`).
    use_cache : bool
        Look up and store tokenizations in the token cache (identical texts are tokenized once).
    summary_path : Path or None
        Also write the portfolio view (``.html`` or ``.csv``).
    on_skip, on_progress, on_start :
        Called with each skipped row's message, with the number of records done after each chunk, and
        with the opened source before scoring starts (e.g. to size a progress bar).

    Returns
    -------
    BatchResult
        The portfolio (counts per best program, low-confidence and skipped rows) and where it was written.

    Raises
    ------
    UsageError
        Bad option values (``top`` < 1, unknown program, backend or format).
    InputError
        An unreadable input or a missing text column. Bad rows are reported through ``on_skip``, not raised.
    """
    if top < 1:
        raise UsageError(f"--top must be at least 1, got {top}")
    if backend not in BACKENDS:
        raise UsageError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    if backend == "dask" and not scheduler:
        raise UsageError("--backend dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    if scheduler and backend != "dask":
        raise UsageError("--scheduler is only used with --backend dask (the server backend takes --socket)")
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    if summary_path is not None:
        check_summary_path(summary_path)
    fmt = output_format(Path(out) if out is not None else None, fmt)
    target = matcher.program(program).id if program else None
    target_index = matcher.program_ids.index(target) if target else None
    top = min(top, len(matcher.program_ids))
    source = open_source(Path(input_path), text_column, id_column, sheet=sheet)
    if on_start is not None:
        on_start(source)
    by_id = {p.id: p for p in matcher.programs}
    portfolio = Portfolio(matcher.programs, source=str(input_path),
                          model_version=str(matcher.manifest.get("version", "")))
    header = ranked_header(top, target, source.columns)
    fixed = set(ranked_header(top, target, []))
    originals = [c for c in source.columns if c not in fixed]

    cache_dir = None
    if use_cache:
        from ndmatch.cache import default_cache_dir

        cache_dir = str(default_cache_dir())
    jobs = jobs or (None if backend == "dask" else default_jobs())
    scorer: Callable = score_chunk
    if backend == "threads":
        matcher.tokenizer.tokenize("가")  # start the JVM once, here, rather than racing in every thread
        ref = matcher
    elif backend == "server":
        from ndmatch.server import ServerClient

        if server is None:
            raise UsageError("the server backend needs a connected client (see ndmatch.server.connect)")
        ref, scorer = server, ServerClient.score_chunk  # called as score_chunk(client, items, ...)
    else:
        if matcher.path is None:
            raise UsageError("worker processes need a saved model: pass --model FOLDER or use --backend threads")
        ref = str(Path(matcher.path).resolve())

    pending: deque[list[Record]] = deque()

    def tasks() -> Iterator[tuple]:
        for chunk in _chunks(source.records(), chunk_size):
            pending.append(chunk)
            items = [(f"{input_path}: {r.where}" if r.path is None else r.path, r.text, r.path, r.error)
                     for r in chunk]
            yield ref, items, top, target_index, cache_dir

    sink = _Sink(fmt, header, Path(out) if out is not None else None, stdout)
    spill = _Spill(Path(out).parent if out is not None else None) if target else None
    engine = _Engine(backend, jobs, scheduler)
    ok = False
    try:
        for results in engine.map(scorer, tasks()):
            chunk = pending.popleft()
            for record, result in zip(chunk, results):
                if result[0] == "skip":
                    portfolio.skipped += 1
                    if on_skip is not None:
                        on_skip(f"{result[1]}; skipped")
                    continue
                _, ids, scores, target_score, warnings = result
                portfolio.add(ids[0], scores[0], bool(warnings))
                values: list = [record.id]
                if target:
                    values += [None, target_score]
                for pid, value in zip(ids, scores):
                    values += [pid, by_id[pid].name, value]
                values += ["low" if warnings else "high", " / ".join(warnings)]
                values += [record.row.get(c, "") for c in originals]
                if spill is not None:
                    spill.add(values, target_score)
                else:
                    sink.write(values)
            if on_progress is not None:
                on_progress(len(chunk))
        if spill is not None:
            for position, values in enumerate(spill.sorted_rows(), 1):
                values[1] = position
                sink.write(values)
        ok = True
    finally:
        engine.close(ok)
        if spill is not None:
            spill.close()
        sink.close(ok)
    if summary_path is not None:
        portfolio.write(Path(summary_path))
    return BatchResult(portfolio=portfolio, output=Path(out) if out is not None else None, format=fmt,
                       truncated_cells=sink.truncated)
