"""Command-line interface: parse arguments, call the library, format the output. No logic lives here."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ndmatch import __version__
from ndmatch.errors import NdmatchError
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


@cli.command()
@CORPUS_OPTION
@MODEL_OPTION
@click.option("--no-cache", is_flag=True, help="Do not use or fill the tokenization cache.")
def train(corpus: Path | None, model: str | None, no_cache: bool) -> None:
    """Train a model on a corpus and make it the current one.

    \b
    Example:
        ndmatch train --corpus corpus/ --model models/
    """
    from ndmatch import api
    from ndmatch.formatting import render_metrics

    folder, manifest = api.train(corpus_dir=corpus, model_root=_model_path(model), use_cache=not no_cache,
                                 progress=_progress)
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
            data = sys.stdin.buffer.read()
            from ndmatch.readers import decode_text

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
              help="Write CSV (UTF-8 with BOM, for Excel) here instead of standard output.")
@click.option("--program", default=None, help="Sort proposals by their fit to this program id.")
@click.option("--top", type=click.IntRange(min=1), default=3, show_default=True, help="Programs per proposal.")
@click.option("--text-column", default="text", show_default=True, help="Column holding the proposal text.")
@click.option("--id-column", default="id", show_default=True, help="Column holding the proposal id.")
@MODEL_OPTION
def rank(input_path: Path, out: Path | None, program: str | None, top: int, text_column: str, id_column: str,
         model: str | None) -> None:
    """Rank programs for every proposal of a CSV, JSONL or XLSX table.

    \b
    Example:
        ndmatch rank proposals.csv --out ranked.csv --program D07
    """
    from ndmatch import api
    from ndmatch.reports import write_ranked_csv

    matcher = api.load_matcher(_model_path(model), progress=_progress)
    ranked, skipped = api.rank(matcher, input_path, top=top, program=program, text_column=text_column,
                               id_column=id_column, progress=_progress)
    for message in skipped:
        click.echo(f"warning: {message}", err=True)
    if out is not None:
        with open(out, "w", encoding="utf-8-sig", newline="") as fh:
            write_ranked_csv(fh, ranked, top, program)
        click.echo(f"{len(ranked)} proposals ranked into {out} ({len(skipped)} skipped)", err=True)
    else:
        write_ranked_csv(sys.stdout, ranked, top, program)


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


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ndmatch")
