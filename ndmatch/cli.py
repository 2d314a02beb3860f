"""Command-line interface: parse arguments, call the library, format the output. No logic lives here."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import click

from ndmatch import __version__
from ndmatch.errors import InputError, NdmatchError, UsageError
from ndmatch.settings import DEFAULT_TOP


class CliError(click.ClickException):
    """A library error shown as one ``Error: ...`` line with its exit status."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class NdmatchGroup(click.Group):
    """Turns library errors into one line and an exit status; tracebacks only with --debug."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except NdmatchError as exc:
            if _debug(ctx):
                raise
            raise CliError(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise click.Abort() from None
        except BrokenPipeError:
            # The reader went away (`ndmatch rank ... | head`): stop quietly, as other command-line tools do.
            try:
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except (OSError, ValueError):  # no real file descriptor (e.g. under a test runner)
                pass
            raise click.exceptions.Exit(1) from None
        except Exception as exc:
            if _debug(ctx):
                raise
            raise CliError(f"unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback "
                           "and report it)", 1) from None


def _debug(ctx: click.Context) -> bool:
    root = ctx.find_root()
    return bool((root.obj or {}).get("debug")) or os.environ.get("NDMATCH_DEBUG") == "1"


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _model_path(model: str | None) -> Path | None:
    return Path(model) if model else None


def _preload_tagger(model: str | None) -> None:
    """Start loading the model's tagger in the background before the slow imports (see jvm.preload_tagger).

    Reads only the manifest (JSON); any problem is left for the real model load to report.
    """
    from ndmatch.errors import NdmatchError
    from ndmatch.jvm import preload_tagger
    from ndmatch.persistence import default_model_root, read_manifest, resolve_model_dir

    try:
        manifest = read_manifest(resolve_model_dir(_model_path(model) or default_model_root()))
    except (NdmatchError, OSError):
        return
    preload_tagger(str(manifest.get("tokenizer", {}).get("tagger", "")))


MODEL_OPTION = click.option("--model", "model", type=click.Path(path_type=str), default=None,
                            help="Model folder or model store (default: the model built from the bundled corpus).")
CORPUS_OPTION = click.option("--corpus", "corpus", type=click.Path(file_okay=False, path_type=Path), default=None,
                             help="Corpus folder (default: the bundled corpus).")


@click.group(cls=NdmatchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.version_option(__version__, prog_name="ndmatch")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Rank Korean New Deal (한국판 뉴딜) funding programs for Korean project proposals."""
    ctx.obj = {"debug": debug}
    _log_warnings_to_stderr()


class _EchoHandler(logging.Handler):
    """Library warnings (``logging.getLogger("ndmatch")``, e.g. a text cut to the length limit) as stderr lines."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(self.format(record), err=True)


def _log_warnings_to_stderr() -> None:
    logger = logging.getLogger("ndmatch")
    if not any(isinstance(h, _EchoHandler) for h in logger.handlers):
        logger.addHandler(_EchoHandler(logging.WARNING))
        logger.propagate = False


@cli.command()
@CORPUS_OPTION
@MODEL_OPTION
@click.option("--no-cache", is_flag=True, help="Do not use or fill the tokenization cache.")
@click.option("--no-cv", is_flag=True,
              help="Skip cross-validation (quick retrain); grades keep the current model's calibration.")
def train(corpus: Path | None, model: str | None, no_cache: bool, no_cv: bool) -> None:
    """Train a model on a corpus and make it the current one.

    \b
    Example:
        ndmatch train --corpus corpus/ --model models/
    """
    from ndmatch import api
    from ndmatch.formatting import render_metrics

    folder, manifest = api.train(corpus_dir=corpus, model_root=_model_path(model), use_cache=not no_cache,
                                 progress=_progress, cross_validate=not no_cv)
    names = {p["id"]: p["name"] for p in manifest["catalog"]}
    click.echo(f"model {manifest['version']} saved in {folder} ({manifest['training_seconds']:.1f} s)")
    cv = manifest["metrics"]["cross_validation"]
    if cv:
        click.echo(f"\ncross-validated ({cv.get('folds')} folds) on {cv['n']} training proposals:")
        click.echo(render_metrics({k: v for k, v in cv.items() if k != "per_program"}, names))
    heldout = manifest["metrics"]["heldout"]
    if heldout and heldout.get("n"):
        click.echo(f"\nheld-out set ({heldout['n']} proposals):")
        click.echo(render_metrics({k: v for k, v in heldout.items() if k != "per_program"}, names))


def _read_inputs(paths: tuple[str, ...]) -> list[tuple[str, str]]:
    from ndmatch.readers import read_document

    inputs = []
    for path in paths or ("-",):
        if path == "-":
            from ndmatch.readers import MAX_FILE_BYTES, decode_text

            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)  # same cap as for files
            if len(data) > MAX_FILE_BYTES:
                raise InputError(f"standard input: more than {MAX_FILE_BYTES // (1024 * 1024)} MiB; "
                                 "give a shorter text or a file")

            inputs.append(("-", decode_text(data, "standard input")))
        else:
            inputs.append((path, read_document(Path(path))))
    return inputs


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--top", type=click.IntRange(min=1), default=DEFAULT_TOP, show_default=True,
              help="How many programs to show per input.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--applicant", default=None,
              help="Leave out programs not open to this applicant type (지자체, 중소기업, 대학, 의료기관 …).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write a self-contained Korean HTML report (bar chart, reasons, suggestions) here.")
@MODEL_OPTION
def score(paths: tuple[str, ...], top: int, output_format: str, applicant: str | None, report_path: Path | None,
          model: str | None) -> None:
    """Rank the programs for each proposal file (or '-' for standard input).

    \b
    Example:
        ndmatch score examples/gwangju-ai-care.txt --format json
    """
    _preload_tagger(model)
    from ndmatch import api
    from ndmatch.formatting import render_matches

    inputs = _read_inputs(paths)
    matcher = api.load_matcher(_model_path(model), progress=_progress)
    results = api.score(matcher, inputs, top=top, applicant=applicant)
    if report_path is not None:
        from ndmatch.report_html import render_report

        page = render_report(results, {p.id: p for p in matcher.programs}, matcher.manifest.get("version", ""))
        try:
            report_path.write_text(page, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"{report_path}: cannot write the report ({exc.strerror}); choose another path", 1)
        click.echo(f"report written to {report_path}", err=True)
    if output_format == "json":
        click.echo(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=2))
        return
    for i, result in enumerate(results):
        if i:
            click.echo()
        click.echo(f"# {result.input}")
        for warning in result.warnings:
            click.echo(f"주의: {warning}")
        if result.applicant is not None:
            click.echo(f"신청 주체 '{result.applicant}'에 열려 있지 않은 사업 {len(result.excluded)}개 제외"
                       + (f": {', '.join(result.excluded)}" if result.excluded else ""))
        click.echo(render_matches(result.matches))


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here (.csv UTF-8 with BOM for Excel, .xlsx or .jsonl) instead of standard output.")
@click.option("--format", "output_format", type=click.Choice(["csv", "xlsx", "jsonl"]), default=None,
              help="Output format (default: from --out's suffix, else csv).")
@click.option("--program", default=None, help="Sort proposals by their fit to this program id.")
@click.option("--top", type=click.IntRange(min=1), default=3, show_default=True, help="Programs per proposal.")
@click.option("--text-column", default="text", show_default=True, help="Column holding the proposal text.")
@click.option("--id-column", default="id", show_default=True, help="Column holding the proposal id.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Parallel workers (default: all cores).")
@click.option("--backend", type=click.Choice(["threads", "processes", "dask", "server"]), default="threads",
              show_default=True, help="Run chunks in threads sharing one JVM, in worker processes, on Dask, or "
              "in a warm `ndmatch serve` process.")
@click.option("--scheduler", default=None, help="Dask scheduler address (with --backend dask).")
@click.option("--socket", "socket_path", type=click.Path(path_type=Path), default=None,
              help="Socket of the `ndmatch serve` process (with --backend server; default: in the cache folder).")
@click.option("--no-cache", is_flag=True, help="Do not use or fill the tokenization cache.")
@click.option("--summary", "summary_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write a portfolio view per program (.html chart or .csv).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--sheet", default=None, help="Sheet of an .xlsx input to read (default: the first).")
@MODEL_OPTION
def rank(input_path: Path, out: Path | None, output_format: str | None, program: str | None, top: int,
         text_column: str, id_column: str, jobs: int | None, backend: str, scheduler: str | None,
         socket_path: Path | None, no_cache: bool, summary_path: Path | None, quiet: bool, sheet: str | None,
         model: str | None) -> None:
    """Rank programs for every proposal of a CSV, JSONL or XLSX table or a folder of documents.

    \b
    Example:
        ndmatch rank proposals.csv --out ranked.xlsx --program D07 --summary portfolio.html
    """
    from ndmatch.batch import rank_batch

    client = None
    if backend == "server":
        from ndmatch.server import connect

        client, matcher = connect(socket_path, _model_path(model))
    else:
        if socket_path is not None:
            raise UsageError("--socket is only used with --backend server")
        if backend == "threads":
            _preload_tagger(model)
        from ndmatch import api

        matcher = api.load_matcher(_model_path(model), progress=_progress)
    bar = None

    def start(source) -> None:
        nonlocal bar
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(total=source.count(), unit="doc", file=sys.stderr, dynamic_ncols=True)

    def skipped(message: str) -> None:
        if bar is not None:
            bar.write(f"warning: {message}", file=sys.stderr)
        else:
            click.echo(f"warning: {message}", err=True)

    try:
        result = rank_batch(matcher, input_path, out=out, fmt=output_format, top=top, program=program,
                            text_column=text_column, id_column=id_column, jobs=jobs, backend=backend,
                            scheduler=scheduler, use_cache=not no_cache, summary_path=summary_path,
                            stdout=sys.stdout, on_skip=skipped, on_start=start,
                            on_progress=lambda n: bar.update(n) if bar is not None else None, sheet=sheet,
                            server=client)
    finally:
        if bar is not None:
            bar.close()
        if client is not None:
            client.close()
    portfolio = result.portfolio
    if out is not None:
        click.echo(f"{portfolio.ranked} proposals ranked into {out} ({portfolio.skipped} skipped)", err=True)
    if result.truncated_cells:
        click.echo(f"warning: {result.truncated_cells} cells longer than Excel's 32,767 characters were cut",
                   err=True)
    click.echo(portfolio.render_text(), err=True)
    if summary_path is not None:
        click.echo(f"portfolio summary written to {summary_path}", err=True)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@cli.command()
@click.option("--socket", "socket_path", type=click.Path(path_type=Path), default=None,
              help="Unix socket to listen on (default: serve.sock in the ndmatch cache folder).")
@click.option("--warm-up", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Bundled proposals to tokenize before serving, so that the JIT is warm.")
@click.option("--idle-timeout", type=click.FloatRange(min=0), default=0, show_default=True,
              help="Stop after this many minutes without a request (0: run until stopped).")
@click.option("--stop", is_flag=True, help="Stop the server listening on --socket instead of starting one.")
@MODEL_OPTION
def serve(socket_path: Path | None, warm_up: int, idle_timeout: float, stop: bool, model: str | None) -> None:
    """Keep a model warm for `rank --backend server` (runs until Ctrl-C or `ndmatch serve --stop`).

    \b
    Example:
        ndmatch serve &
        ndmatch rank proposals.csv --out ranked.csv --backend server
        ndmatch serve --stop
    """
    from ndmatch import server

    path = socket_path or server.default_socket_path()
    if stop:
        pid = server.stop_server(path)
        click.echo(f"stopped the ndmatch server (process {pid}) at {path}", err=True)
        return
    from ndmatch import api

    from ndmatch.jvm import start_jvm

    start_jvm(long_running=True)  # before a first-time build tokenizes with the short-run JIT
    started = time.perf_counter()
    rank_server = server.start_server(api.load_matcher(_model_path(model), progress=_progress), path,
                                      warm_up=warm_up, progress=_progress)
    click.echo(f"serving model {rank_server.matcher.manifest.get('version', '')} on {path} "
               f"(ready in {time.perf_counter() - started:.1f} s); stop with Ctrl-C or `ndmatch serve --stop`",
               err=True)
    if idle_timeout:
        rank_server.stop_when_idle(idle_timeout * 60)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it like Ctrl-C: the socket file is removed
    try:
        rank_server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        rank_server.server_close()
    click.echo(f"server stopped after {rank_server.served} proposals", err=True)


@cli.command()
@click.option("--data", "data_path", required=True, type=click.Path(path_type=Path),
              help="CSV/JSONL/XLSX with columns 'text' and 'programs' (ids separated by ';', primary first).")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@MODEL_OPTION
def evaluate(data_path: Path, output_format: str, model: str | None) -> None:
    """Measure top-1, top-3, MRR and macro F1 on a labelled set.

    \b
    Example:
        ndmatch evaluate --data corpus/heldout.jsonl --format json
    """
    from ndmatch import api
    from ndmatch.formatting import render_metrics

    matcher = api.load_matcher(_model_path(model), progress=_progress)
    metrics = api.evaluate(matcher, data_path)
    if output_format == "json":
        click.echo(json.dumps(metrics, ensure_ascii=False, indent=2))
    else:
        click.echo(render_metrics(metrics, {p.id: p.name for p in matcher.programs}))


@cli.group()
def programs() -> None:
    """List and show the programs of a corpus."""


@programs.command("list")
@CORPUS_OPTION
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
def programs_list(corpus: Path | None, output_format: str) -> None:
    """List the catalog's programs."""
    from ndmatch.corpus import default_corpus_dir
    from ndmatch.formatting import render_table
    from ndmatch.programs import PILLAR_NAMES, load_programs

    catalog = load_programs(corpus or default_corpus_dir())
    if output_format == "json":
        fields = ("id", "name", "name_en", "pillar", "ministry", "published", "applicants")
        click.echo(json.dumps([{k: p.to_dict()[k] for k in fields} for p in catalog], ensure_ascii=False, indent=2))
        return
    click.echo(render_table(["ID", "사업명", "분야", "주관부처"],
                            [[p.id, p.name, PILLAR_NAMES.get(p.pillar, p.pillar), p.ministry] for p in catalog]))


@programs.command("show")
@click.argument("program_id")
@CORPUS_OPTION
def programs_show(program_id: str, corpus: Path | None) -> None:
    """Show one program: name, ministry, applicants, description and keywords."""
    from ndmatch.corpus import default_corpus_dir
    from ndmatch.programs import PILLAR_NAMES, find_program, load_programs

    p = find_program(load_programs(corpus or default_corpus_dir()), program_id)
    click.echo(f"{p.id}  {p.name} ({p.name_en})")
    click.echo(f"분야: {PILLAR_NAMES.get(p.pillar, p.pillar)}   주관부처: {p.ministry}   발표: {p.published}")
    click.echo(f"신청 대상: {', '.join(p.applicants)}")
    if p.url:
        click.echo(f"URL: {p.url}")
    click.echo("")
    click.echo(p.description)
    click.echo("")
    click.echo("키워드: " + ", ".join(p.keywords))


@cli.group()
def corpus() -> None:
    """Check a corpus."""


@corpus.command("check")
@click.argument("corpus_dir", required=False, type=click.Path(path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
def corpus_check(corpus_dir: Path | None, output_format: str) -> None:
    """Validate a corpus: schema, ids, lengths, duplicates, leakage and balance (default: the bundled one)."""
    from ndmatch.check import check_corpus
    from ndmatch.corpus import default_corpus_dir

    report = check_corpus(corpus_dir or default_corpus_dir())
    if output_format == "json":
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(report.render())
    if report.errors:
        raise CliError(f"{len(report.errors)} problem(s) found in {report.path}", 1)


@cli.group()
def cache() -> None:
    """Manage the tokenization cache (kept in the user's cache folder, no raw text)."""


@cache.command("clear")
def cache_clear() -> None:
    """Delete every cached tokenization."""
    from ndmatch.cache import TokenCache

    store = TokenCache()
    removed = store.clear()
    store.close()
    click.echo(f"removed {removed} cached tokenizations from {store.path}")


@programs.command("add")
@click.argument("program_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--corpus", "corpus", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Corpus to add to (default: $NDMATCH_CORPUS; the bundled corpus is read-only, copy it "
                   "first with `ndmatch corpus init DIR`).")
def programs_add(program_file: Path, corpus: Path | None) -> None:
    """Validate a new program file and copy it into a corpus's programs/ folder.

    \b
    Example:
        ndmatch corpus init my-corpus && ndmatch programs add D13.yaml --corpus my-corpus
    """
    from ndmatch.programs import add_program

    corpus = corpus or (Path(os.environ["NDMATCH_CORPUS"]) if os.environ.get("NDMATCH_CORPUS") else None)
    if corpus is None:
        raise click.UsageError("pass --corpus DIR (create one with `ndmatch corpus init DIR`); "
                               "the bundled corpus is not changed in place")
    check = add_program(program_file, corpus)
    for warning in check.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"added {check.program.id} {check.program.name} to {corpus / 'programs'}; "
               f"retrain with `ndmatch train --corpus {corpus}`")


@programs.command("validate")
@click.argument("target", type=click.Path(exists=True, path_type=Path))
def programs_validate(target: Path) -> None:
    """Validate one program file, or every program file of a folder or corpus."""
    from ndmatch.programs import validate_program_file

    if target.is_dir():
        folder = target / "programs" if (target / "programs").is_dir() else target
        files = sorted(folder.glob("*.yaml"))
        if not files:
            raise CliError(f"{folder}: no program files (*.yaml)", 1)
    else:
        files = [target]
    checks = [validate_program_file(path) for path in files]
    ids = [c.program.id for c in checks if c.program]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    errors = [e for c in checks for e in c.errors] + [f"duplicate program id {i}" for i in duplicates]
    for check in checks:
        for warning in check.warnings:
            click.echo(f"warning: {warning}", err=True)
        if check.program and not check.errors:
            click.echo(f"ok: {check.path} ({check.program.id} {check.program.name})")
    for error in errors:
        click.echo(f"error: {error}", err=True)
    if errors:
        raise CliError(f"{len(errors)} problem(s) in {len(files)} program file(s)", 1)


@corpus.command("init")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
def corpus_init(target: Path) -> None:
    """Copy the bundled corpus into a new folder, to extend it with programs and proposals."""
    from ndmatch.corpus import init_corpus

    files = init_corpus(target)
    click.echo(f"copied {len(files)} files into {target}")


@cli.group()
def models() -> None:
    """List, show and compare the versions in a model store."""


STORE_OPTION = click.option("--model", "model", type=click.Path(file_okay=False, path_type=Path), default=None,
                            help="Model store (default: $NDMATCH_MODEL_DIR or the user's data folder).")


def _store(model: Path | None) -> Path:
    from ndmatch.persistence import default_model_root

    return model or default_model_root()


@models.command("list")
@STORE_OPTION
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
def models_list(model: Path | None, output_format: str) -> None:
    """List the model versions of a store (* marks the current one)."""
    from ndmatch.formatting import render_table
    from ndmatch.versions import list_versions

    rows = list_versions(_store(model))
    if output_format == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(render_table(["", "version", "trained at", "programs", "corpus", "cv top1", "held-out top1"],
                            [["*" if r["current"] else "", r["version"], r["trained_at"] or "", str(r["programs"]),
                              r["corpus_fingerprint"], f"{r['cv_top1'] or 0:.3f}", f"{r['heldout_top1'] or 0:.3f}"]
                             for r in rows]))


@models.command("show")
@click.argument("version", default="current")
@STORE_OPTION
def models_show(version: str, model: Path | None) -> None:
    """Show one version's catalog, corpus fingerprint, versions and metrics (JSON)."""
    from ndmatch.versions import show_version

    manifest = show_version(_store(model), version)
    shown = {k: v for k, v in manifest.items() if k not in ("catalog", "similar_projects")}
    shown["catalog"] = [{"id": p["id"], "name": p["name"], "pillar": p["pillar"]} for p in manifest["catalog"]]
    click.echo(json.dumps(shown, ensure_ascii=False, indent=2))


@models.command("diff")
@click.argument("version_a")
@click.argument("version_b", default="current")
@STORE_OPTION
@click.option("--data", "data_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Labelled texts both models score (default: B's corpus held-out set).")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
def models_diff(version_a: str, version_b: str, model: Path | None, data_path: Path | None,
                output_format: str) -> None:
    """Compare two versions: programs added or removed, per-program held-out metrics, changed top-1."""
    from ndmatch.formatting import render_table
    from ndmatch.versions import diff_versions

    diff = diff_versions(_store(model), version_a, version_b, data_path)
    if output_format == "json":
        click.echo(json.dumps(diff, ensure_ascii=False, indent=2))
        return
    click.echo(f"A {diff['a']}\nB {diff['b']}\nheld-out texts: {diff['data']} (n={diff['n']})")
    click.echo(f"programs added: {', '.join(diff['programs_added']) or '-'}   "
               f"removed: {', '.join(diff['programs_removed']) or '-'}")
    overall = diff["overall"]
    click.echo("overall: " + "  ".join(f"{k} {v['a']:.3f} → {v['b']:.3f}" for k, v in overall.items()))

    def cell(value) -> str:
        return "-" if value is None else f"{value:.2f}"

    rows = [[pid, str(v["support"]), cell(v["top1_a"]), cell(v["top1_b"]), cell(v["top3_a"]), cell(v["top3_b"])]
            for pid, v in diff["per_program"].items()]
    click.echo(render_table(["ID", "n", "top1 A", "top1 B", "top3 A", "top3 B"], rows))
    click.echo(f"held-out texts whose top program changed: {diff['top1_changed']} of {diff['n']}")


def main() -> None:
    """Console-script entry point.

    Once the command has finished and flushed its output, the process ends with ``os._exit``: tearing down an
    interpreter that holds a JVM and a loaded model took about 0.5 s of every command (freeing the model's
    dictionaries, JPype's JVM shutdown), measured on `rank`. Nothing is lost: outputs are closed, the token
    cache commits each write, temporary files are removed and worker pools are shut down before this point.
    """
    try:
        cli(prog_name="ndmatch")
    except SystemExit as exc:
        code = exc.code
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe (`| head`) or stream: nothing more to deliver
                pass
        os._exit(code or 0)
