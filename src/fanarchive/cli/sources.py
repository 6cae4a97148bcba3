"""`fanarchive source …` and `fanarchive sync`: registered sources kept in sync."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fanarchive.cli.app import _state, app, out
from fanarchive.cli.progress import RichProgress
from fanarchive.cli.state import AppState
from fanarchive.store.database import redact_text


def _load_configured_sources(state: object) -> None:
    """Register the ``[sources.NAME]`` tables of the user's config file (see
    config/sources.example.toml) so TOML and database agree before a sync."""
    from fanarchive.sync.registry import load_sources_from_config

    config = state.config  # type: ignore[attr-defined]
    tables = config.section("sources")
    if tables:
        load_sources_from_config(state.store(), tables,  # type: ignore[attr-defined]
                                 timezone=str(config.get("fanarchive.sync.timezone", "UTC")))


source_app = typer.Typer(help="Register sources to keep in sync.", no_args_is_help=True)
app.add_typer(source_app, name="source")


@source_app.command("add")
def source_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A short name: letters, digits, . _ -")],
    location: Annotated[str, typer.Argument(help="URL, folder, file, archive, dump or WARC.")],
    schedule: Annotated[str | None, typer.Option(help='Cron, e.g. "0 3 * * *".')] = None,
    parser: Annotated[str | None, typer.Option(help="Force this parser.")] = None,
    fandom: Annotated[str | None, typer.Option(help="Fandom for stories naming none.")] = None,
    adult: Annotated[bool | None, typer.Option(
        "--adult/--no-adult", help="The archivist consents to age gates.")] = None,
    delay: Annotated[float | None, typer.Option(help="Seconds between requests to a host.")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Parallel requests per host.")] = None,
    max_pages: Annotated[int | None, typer.Option(help="Stop a crawl after N pages.")] = None,
    ignore_crawl_delay: Annotated[bool | None, typer.Option(
        "--ignore-crawl-delay", help="Ignore robots.txt Crawl-delay.")] = None,
    allow_private: Annotated[bool | None, typer.Option(
        "--allow-private", help="Allow loopback/private addresses (local mirrors).")] = None,
    replace: Annotated[bool, typer.Option(help="Update the source if it exists.")] = False,
) -> None:
    """Register a source (its settings live in the database)."""
    from fanarchive.sync.registry import add_source

    state = _state(ctx)
    source = add_source(
        state.store(), name, location, schedule=schedule, parser=parser, fandom=fandom,
        settings={"adult": adult, "delay": delay, "concurrency": concurrency,
                  "max_pages": max_pages, "ignore_crawl_delay": ignore_crawl_delay,
                  "allow_private": allow_private},
        timezone=str(state.config.get("fanarchive.sync.timezone", "UTC")), replace=replace)
    out.print(f"Source {source.name} ({source.kind}) → {redact_text(source.location)}"
              + (f", schedule {source.schedule}" if source.schedule else ", no schedule"))
    out.print(f"[yellow]→[/] Run it now with `fanarchive sync {source.name}`.")


@source_app.command("list")
def source_list(ctx: typer.Context) -> None:
    """Registered sources."""
    from fanarchive.sync.registry import list_sources

    table = Table()
    for col in ("name", "kind", "location", "schedule", "parser", "fandom"):
        table.add_column(col)
    for s in list_sources(_state(ctx).store()):
        table.add_row(s.name, s.kind, redact_text(s.location), s.schedule or "", s.parser or "",
                      s.fandom or "")
    out.print(table)


@source_app.command("show")
def source_show(ctx: typer.Context, name: str) -> None:
    """One source with its settings."""
    from fanarchive.sync.registry import require_source

    s = require_source(_state(ctx).store(), name)
    for key, value in (("name", s.name), ("kind", s.kind), ("location", redact_text(s.location)),
                       ("schedule", s.schedule), ("parser", s.parser), ("fandom", s.fandom),
                       ("created", s.created_at), ("updated", s.updated_at)):
        out.print(f"{key:>10}: {value if value is not None else ''}")
    for key, value in sorted(s.settings.items()):
        out.print(f"{key:>10}: {value}")


@source_app.command("remove")
def source_remove(ctx: typer.Context, name: str) -> None:
    """Forget a source; its stories and raw documents stay."""
    from fanarchive.sync.registry import remove_source

    remove_source(_state(ctx).store(), name)
    out.print(f"Source {name} removed; its stories stay in the database.")


@app.command()
def sync(
    ctx: typer.Context,
    names: Annotated[list[str] | None, typer.Argument(help="Sources (default: all).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    deep: Annotated[bool, typer.Option(
        "--deep", help="Re-read every story's text (catches silent edits), not only what "
        "the index pages say changed.")] = False,
    queue: Annotated[bool, typer.Option(
        "--queue", help="Put the syncs on the PostgreSQL job queue for `fanarchive worker` "
        "instead of running them here.")] = False,
) -> None:
    """Sync registered sources now."""
    from fanarchive.errors import UsageError
    from fanarchive.sync.lock import SourceBusy
    from fanarchive.sync.registry import list_sources
    from fanarchive.sync.runner import sync_source

    state = _state(ctx)
    _load_configured_sources(state)
    if queue:
        from fanarchive.sync.worker import postgres_conninfo

        postgres_conninfo(state.db_url)  # refuse other databases before touching them
    store = state.store()
    wanted = names or [s.name for s in list_sources(store)]
    if not wanted:
        out.print("No sources registered: add one with `fanarchive source add NAME LOCATION`.")
        return
    if queue:
        _enqueue(state, wanted, deep)
        return
    for name in wanted:
        try:
            report = sync_source(store, state.config, name, deep=deep,
                                 progress=None if quiet else RichProgress())
        except SourceBusy as exc:
            out.print(f"[yellow]{exc}[/]")
            continue
        except UsageError:
            raise
        except Exception as exc:  # one broken source must not keep the others from syncing
            store.rollback()
            out.print(f"[red]{name}: failed: {redact_text(str(exc))}[/] (recorded; see "
                      "`fanarchive status`)")
            continue
        cost = ""
        if report.crawl is not None:
            cost = f"{report.crawl.requests} requests, {report.crawl.bytes_in / 1000:,.1f} kB, "
        out.print(f"{name}: {report.new} new, {report.updated} updated, {report.unchanged} "
                  f"unchanged, {report.removed} removed, [red]{report.failed} failed[/] "
                  f"({cost}{report.seconds:.1f}s, run #{report.run_id})")


@app.command()
def scheduler(
    ctx: typer.Context,
    reload_every: Annotated[float, typer.Option(
        help="Seconds between re-reading schedules from the database.")] = 30.0,
) -> None:
    """Run the schedules in the foreground (the nightly-import daemon). Stop with SIGTERM."""
    import logging
    import signal
    import threading

    from fanarchive.sync.scheduler import SyncScheduler

    state = _state(ctx)
    state.store()  # migrate and fail early when the database is unreachable
    _load_configured_sources(state)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    done = threading.Event()

    def report(name: str, result: object) -> None:
        from fanarchive.importing import ImportReport

        if isinstance(result, ImportReport):
            out.print(f"{name}: {result.new} new, {result.updated} updated, {result.unchanged} "
                      f"unchanged, {result.removed} removed, {result.failed} failed "
                      f"(run #{result.run_id}{', interrupted' if result.interrupted else ''})")
        else:
            out.print(f"{name}: {result}")

    daemon = SyncScheduler(state.db_url, state.config, reload_every=reload_every,
                           on_report=report)

    def stop(signum: int, _frame: object) -> None:
        out.print(f"Signal {signum}: finishing the current items, then stopping.")
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    daemon.start()
    for name, when in sorted(daemon.jobs().items()):
        out.print(f"{name}: next run {when:%Y-%m-%d %H:%M %Z}" if when else f"{name}: paused")
    if not daemon.jobs():
        out.print("No scheduled sources yet; waiting (add one with "
                  "`fanarchive source add NAME LOCATION --schedule CRON`).")
    done.wait()
    daemon.shutdown()
    out.print("Scheduler stopped.")


# -- scale-out: the PostgreSQL job queue (fanarchive.sync.worker) ------------------------------


def _enqueue(state: AppState, names: list[str], deep: bool) -> None:
    from fanarchive.sync.worker import enqueue

    for item in enqueue(state.db_url, state.config, names, deep=deep):
        if item.job_id is None:
            out.print(f"{item.source}: already waiting on the queue")
        else:
            out.print(f"{item.source}: queued as job {item.job_id} (one at a time per "
                      f"{item.lock})")
    out.print("[yellow]→[/] Run `fanarchive worker` (on any machine reaching this database) "
              "to process the queue.")


@app.command()
def worker(
    ctx: typer.Context,
    concurrency: Annotated[int, typer.Option(
        help="Jobs this worker runs at once (each job crawls one host).")] = 1,
    until_idle: Annotated[bool, typer.Option(
        "--until-idle", help="Stop when the queue is empty instead of waiting for jobs.")
    ] = False,
    name: Annotated[str | None, typer.Option(help="Worker name in logs.")] = None,
) -> None:
    """Process queued syncs (`fanarchive sync --queue`) from PostgreSQL. Stop with SIGTERM:
    running jobs finish first."""
    import logging

    from fanarchive.sync.worker import postgres_conninfo, run_worker

    state = _state(ctx)
    postgres_conninfo(state.db_url)  # one-line refusal before anything else on other databases
    state.store()  # migrate and fail early when the database is unreachable
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("httpx", "alembic", "procrastinate.jobs"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    out.print(f"Worker on {state.db_display}, queue fanarchive-sync"
              + (" (until the queue is empty)" if until_idle else " (SIGTERM stops it)"))
    run_worker(state.db_url, state.config, concurrency=concurrency, until_idle=until_idle,
               name=name)
    out.print("Worker stopped.")
