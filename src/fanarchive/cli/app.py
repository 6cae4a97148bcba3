"""Command definitions. Each command parses options, calls the library, prints the result."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from fanarchive.cli.progress import RichProgress
from fanarchive.cli.state import AppState
from fanarchive.errors import UsageError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Rescue fan fiction from legacy archives into a normalized database.",
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
tags_app = typer.Typer(help="Tag wrangling: export tags to CSV, edit, import.",
                       no_args_is_help=True)
app.add_typer(tags_app, name="tags")

out = Console(highlight=False, soft_wrap=True)


def _state(ctx: typer.Context) -> AppState:
    state = ctx.find_root().obj
    assert isinstance(state, AppState)
    return state


@app.callback()
def _global(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(
        "--db", help="Database URL (default: SQLite in the data folder; env FANARCHIVE_DB).",
        show_default=False)] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="A TOML file overriding the shipped defaults.")] = None,
) -> None:
    state = AppState(db=db, config_path=config)
    ctx.obj = state
    ctx.call_on_close(state.close)


@app.command("import")
def import_(
    ctx: typer.Context,
    locations: Annotated[list[str], typer.Argument(
        help="Files, folders, zip/7z archives to import.", show_default=False)],
    fandom: Annotated[str | None, typer.Option(
        help="Fandom for stories that name none.")] = None,
    parser: Annotated[str | None, typer.Option(
        help="Use this parser instead of auto-detection (see `fanarchive parsers`).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    adult: Annotated[bool | None, typer.Option(
        "--adult/--no-adult", help="URLs: the archivist consents to age gates.")] = None,
    delay: Annotated[float | None, typer.Option(
        help="URLs: minimum seconds between requests to one host (default 1).")] = None,
    concurrency: Annotated[int | None, typer.Option(
        help="URLs: parallel requests per host (default 2).")] = None,
    max_pages: Annotated[int | None, typer.Option(help="URLs: stop after N pages.")] = None,
    ignore_crawl_delay: Annotated[bool | None, typer.Option(
        "--ignore-crawl-delay", help="URLs: ignore robots.txt Crawl-delay.")] = None,
    allow_private: Annotated[bool | None, typer.Option(
        "--allow-private", help="URLs: allow loopback/private addresses (local mirrors).")
    ] = None,
) -> None:
    """Import stories once from files, folders, archives, dumps, WARCs, mirrors and URLs."""
    from fanarchive.importing import Importer

    state = _state(ctx)
    store = state.store()
    crawl = {"adult": adult, "delay": delay, "concurrency": concurrency,
             "max_pages": max_pages, "ignore_crawl_delay": ignore_crawl_delay,
             "allow_private": allow_private}
    importer = Importer(store, state.config, parser=parser, fandom=fandom,
                        progress=None if quiet else RichProgress(), crawl=crawl)
    report = importer.run(locations)
    out.print(
        f"Imported {report.stories} stories from {report.documents} documents in "
        f"{report.seconds:.1f}s: [green]{report.new} new[/], [cyan]{report.updated} updated[/], "
        f"{report.unchanged} unchanged, [red]{report.failed} failed[/]"
        + (f", {report.skipped} skipped" if report.skipped else "")
    )
    for locator, code, message in report.errors[:10]:
        line = message if message.startswith(locator) else f"{locator}: {message}"
        out.print(f"  [red]✗[/] {line} [dim]({code})[/]", markup=True)
    if report.failed > 10:
        out.print(f"  … and {report.failed - 10} more: see `fanarchive status`")
    out.print(f"[dim]Database: {state.db_display} (run #{report.run_id})[/]")


@app.command()
def export(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option(
        "--format", "-f", help="jsonl, csv, opendoors, epub, html or ao3.")] = "jsonl",
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="File (jsonl, csv, opendoors) or folder (epub, html, ao3) to "
        "write.")] = Path(
        "stories.jsonl"),
    source: Annotated[str | None, typer.Option(help="Only stories from this source.")] = None,
    html: Annotated[bool, typer.Option(help="Include chapter HTML where known.")] = False,
    fandom: Annotated[str | None, typer.Option(help="Only this (canonical) fandom.")] = None,
    rating: Annotated[str | None, typer.Option(
        help='Only this canonical rating, e.g. "Teen And Up Audiences".')] = None,
    since: Annotated[str | None, typer.Option(
        help="Only stories changed on or after this date (YYYY-MM-DD).")] = None,
    revisions: Annotated[bool, typer.Option(
        "--revisions", help="Include every revision with its diff.")] = False,
    to: Annotated[str | None, typer.Option(
        "--to", help="opendoors only: write the tables into this MySQL/MariaDB database URL "
        "instead of a .sql file.", show_default=False)] = None,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="ao3 only: URL the folder will be served at (chapter_urls); "
        "default relative URLs.", show_default=False)] = None,
) -> None:
    """Export stored stories (atomically: the file or folder appears only when complete).

    jsonl, csv and opendoors write a file; epub, html and ao3 write a folder.
    """
    from fanarchive.export import ExportOptions
    from fanarchive.export import export as run_export

    state = _state(ctx)
    store = state.store(read_only=True)
    options = ExportOptions(source=source, include_html=html, fandom=fandom, rating=rating,
                            since=_parse_since(since), revisions=revisions, base_url=base_url)
    if to is not None and fmt != "opendoors":
        raise UsageError("--to works with --format opendoors only")
    if to is None:
        from fanarchive.export.folder import check_output

        check_output(fmt, output)  # before the progress bar, so a bad path is one clean line
    progress = RichProgress()
    progress.start(None, f"Exporting {fmt}")
    try:
        if to is not None:
            from fanarchive.export.opendoors import write_database

            count = write_database(store, options, to, on_record=progress.advance)
        else:
            count = run_export(store, fmt, output, options, on_record=progress.advance)
    finally:
        progress.stop()
    if to is not None:
        from sqlalchemy.engine import make_url

        target = make_url(to).render_as_string(hide_password=True)
        out.print(f"Exported {count} stories to {target} (Open Doors tables).")
        return
    out.print(f"Exported {count} stories to {output} ({fmt}).")
    if fmt == "ao3":
        from fanarchive.export.ao3 import summary_lines

        for line in summary_lines(output):
            out.print(line, markup=False)


def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"--since {value!r}: use a date like 2026-01-31") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command()
def status(ctx: typer.Context) -> None:
    """What is stored, the last runs and their errors, what to do next."""
    from fanarchive.status import build_status

    state = _state(ctx)
    report = build_status(state.store(read_only=True), state.db_display)
    out.print(f"[bold]Database[/] {report.database}")
    out.print(f"  {report.stories} stories ({report.removed} removed), {report.revisions} "
              f"revisions, {report.documents} raw documents ({report.blob_bytes:,} bytes), "
              f"{report.sources} sources")
    if report.flags:
        out.print("  quality flags: " + ", ".join(f"{k} {v}" for k, v in report.flags.items()))
    if report.runs:
        table = Table(title="Last runs", show_lines=False)
        for col in ("run", "kind", "source", "status", "started", "new", "upd", "same", "failed"):
            table.add_column(col)
        for r in report.runs:
            table.add_row(str(r.id), r.kind, r.source or "", r.status,
                          r.started_at.strftime("%Y-%m-%d %H:%M"), str(r.new), str(r.updated),
                          str(r.unchanged), str(r.failed))
        out.print(table)
        for r in report.runs:
            if r.requests or r.removed:  # what a crawl or sync cost the site, what vanished
                out.print(f"  run {r.id}: {r.requests} requests, {r.bytes_in / 1000:,.1f} kB "
                          f"received, {r.removed} removed")
            if r.status == "failed" and r.message:
                out.print(f"  run {r.id} [red]failed[/]: {r.message}")
            for locator, code, message in r.errors:
                out.print(f"  run {r.id} [red]✗[/] {locator}: {message} [dim]({code})[/]")
            for locator, code, message in r.notes:
                out.print(f"  run {r.id} [dim]· {locator}: {message} ({code})[/]")
    for name, cron, nxt in report.schedules:
        out.print(f"  schedule: {name} \"{cron}\", next run {nxt}")
    for hint in report.hints:
        out.print(f"[yellow]→[/] {hint}")


@app.command()
def parsers() -> None:
    """Installed parser plugins, their versions and what they detect."""
    from fanarchive.plugins import installed_parsers

    table = Table()
    for col in ("name", "version", "plugin", "detects"):
        table.add_column(col)
    for info in installed_parsers():
        p = info.parser
        table.add_row(p.name, p.version, info.distribution or info.plugin, p.description)
    out.print(table)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply database migrations (also done automatically on first use)."""
    from fanarchive.store import database

    state = _state(ctx)
    engine = database.create_db_engine(state.db_url)
    try:
        before, after = database.upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        out.print(f"Database {state.db_display} is up to date (revision {after}).")
    else:
        out.print(f"Upgraded {state.db_display} from {before or 'empty'} to {after}.")




@app.command()
def show(
    ctx: typer.Context,
    story: Annotated[str, typer.Argument(help="Story id (from export/status) or exact title.")],
    revisions: Annotated[bool, typer.Option("--revisions", help="List every revision.")] = False,
    text: Annotated[bool, typer.Option("--text", help="Print the chapter text too.")] = False,
) -> None:
    """One stored story: metadata, sources, flags, and with --revisions its history."""
    from sqlalchemy import select

    from fanarchive.store.database import redact_text
    from fanarchive.store.models import StoryRow

    store = _state(ctx).store(read_only=True)
    matches = store.session.scalars(
        select(StoryRow).where((StoryRow.uid == story) | (StoryRow.title == story))
        .order_by(StoryRow.id)).all()
    if not matches:
        raise UsageError(f"no story with id or title {story!r}")
    for row in matches:
        loaded = store.load_story(row)
        removed = f" [red](removed {row.removed_at:%Y-%m-%d})[/]" if row.removed_at else ""
        out.print(f"[bold]{loaded.title or '(untitled)'}[/] [dim]{row.uid}[/]{removed}")
        out.print(f"  by {', '.join(a.name for a in loaded.authors) or 'unknown'}; "
                  f"{loaded.rating.canonical} ({loaded.rating.raw or 'no raw rating'}); "
                  f"{len(loaded.chapters)} chapter(s), {loaded.word_count:,} words; "
                  f"revision {row.current_revision}")
        for label, values in (("fandoms", loaded.fandoms), ("relationships",
                              loaded.relationships), ("characters", loaded.characters)):
            if values:
                out.print(f"  {label}: {', '.join(values)}")
        for s in store.sightings(row.id):
            gone = " (gone)" if s.removed_at else ""
            where = redact_text(s.url or s.path or s.locator)
            out.print(f"  source: {where} via {s.parser}{gone}")
        for flag in loaded.quality_flags:
            out.print(f"  [yellow]flag[/] {flag.code}: {flag.detail}")
        if revisions:
            for rev in store.revisions(row):
                out.print(f"  rev {rev.number} {rev.created_at:%Y-%m-%d %H:%M} {rev.reason or ''} "
                          f"{_diff_summary(rev.diff)}")
        if text:
            for chapter in loaded.chapters:
                out.print(f"\n[bold]{chapter.position}. {chapter.title or ''}[/]\n{chapter.text}",
                          markup=False)


def _diff_summary(diff: dict[str, object] | None) -> str:
    if not diff:
        return ""
    if diff.get("created"):
        return "created"
    parts = []
    for key in ("fields_changed", "chapters_added", "chapters_edited", "chapters_removed"):
        value = diff.get(key)
        if value:
            parts.append(f"{key.replace('_', ' ')}: {', '.join(map(str, value))}")  # type: ignore[call-overload]
    return "; ".join(parts) or "no visible change"


@tags_app.command("export")
def tags_export(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV to write.")] = Path(
        "tags.csv"),
) -> None:
    """Every distinct tag with its count, current canonical form and type."""
    from fanarchive.wrangle import export_tags

    count = export_tags(_state(ctx).store(read_only=True), output)
    out.print(f"Wrote {count} tags to {output}. Edit the `canonical` column, then run "
              f"`fanarchive tags import {output}`.")


@tags_app.command("import")
def tags_import(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The edited CSV from `tags export`.")],
) -> None:
    """Apply edited canonical forms to every story carrying the tag, as new revisions."""
    from fanarchive.wrangle import apply_tag_file

    report = apply_tag_file(_state(ctx).store(), path)
    out.print(f"{report.rules} tag change(s) applied; {report.stories_changed} stories got a "
              f"new revision; {report.unchanged_rows} rows unchanged.")
    for problem in report.problems:
        out.print(f"  [yellow]![/] {problem}")
