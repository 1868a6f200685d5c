"""`billable serve`, `migrate` and `seed`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from datetime import date, datetime

from web.cli.common import database_url, on_database, run_on, workers
from web.db import Database
from web.db.migrate import migrate
from web.db.seed import DEMO_EMAIL, DEMO_PASSWORD, SIZES, seed
from web.settings import Settings


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """serve, migrate, seed."""
    serve = commands.add_parser(
        "serve",
        help="serve the app (without DATABASE_URL: on an embedded PostgreSQL, seeded with demo data)",
        description="Serve the app. Without DATABASE_URL, start an embedded PostgreSQL in BILLABLE_DATA_DIR, "
        "migrate it and seed demo data on first start. With DATABASE_URL, migrate and serve; never seed.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    serve.add_argument("--reload", action="store_true", help="restart when Python files change")
    serve.add_argument(
        "--workers",
        type=workers,
        default=1,
        help="processes sharing the port, restarted if one dies (default: 1; see docs/deploying.md)",
    )
    serve.add_argument(
        "--dev",
        action="store_true",
        help="development mode: --reload, templates reload on save, the browser refreshes itself, "
        "template errors show file and line, /gallery needs no sign-in",
    )
    serve.set_defaults(handler=_serve)

    migrate_cmd = commands.add_parser(
        "migrate",
        help="apply pending schema migrations",
        description="Apply pending schema migrations; running it twice does nothing.",
    )
    migrate_cmd.set_defaults(handler=_migrate)

    seed_cmd = commands.add_parser(
        "seed",
        help="fill the database with generated demo data",
        description="Generate realistic data (seeded, reproducible). Sizes: "
        + ", ".join(
            f"{name} = {s.clients:,} clients / {s.staff} staff / {s.entries:,} entries" for name, s in SIZES.items()
        ),
    )
    seed_cmd.add_argument("--size", choices=list(SIZES), default="demo", help="how much data (default: demo)")
    seed_cmd.add_argument("--reset", action="store_true", help="delete all existing data first")
    seed_cmd.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    seed_cmd.set_defaults(handler=_seed)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    if args.workers > 1 and (args.reload or args.dev):
        print("billable serve: --workers and --reload (or --dev) do not go together", file=sys.stderr)
        return 2
    embedded = not settings.database_url
    url = database_url(settings)
    today = datetime.now(settings.tz).date()
    seeded = run_on(url, settings, lambda db: _prepare(db, seed_demo=embedded, today=today))
    os.environ["DATABASE_URL"] = url  # the app (and --reload's worker) reads it from here
    settings.session_secret()  # made once here, not by workers starting side by side
    if args.dev:
        os.environ["BILLABLE_DEV"] = "true"
    where = f"http://{args.host}:{args.port}/"
    print(f"\nBillable is starting on {where}" + (f" with {args.workers} workers" if args.workers > 1 else ""))
    print(f"  database: {'embedded PostgreSQL in ' + str(settings.data_dir) if embedded else 'DATABASE_URL'}")
    if embedded:
        print(f"  demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}" + ("  (demo data seeded now)" if seeded else ""))
    if args.dev:
        print(f"  development mode: the partial gallery is at {where}gallery")
    print()
    # A service manager stops the app with SIGTERM. uvicorn shuts down, then raises the signal again
    # with this handler in place: by default the process would end without its exit handlers, and
    # the embedded PostgreSQL would keep running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        reload=args.reload or args.dev,
        workers=args.workers,
        # X-Forwarded-For / -Proto are believed from these addresses only (docs/deploying.md).
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
        # Requests and streams still open this long after SIGTERM are cancelled: one stuck stream
        # must not keep a deploy waiting.
        timeout_graceful_shutdown=settings.shutdown_s,
        log_level="info",
        access_log=False,  # the app logs every request itself, as JSON with its timings (web/timing.py)
    )
    return 0


async def _prepare(db: Database, *, seed_demo: bool, today: date) -> bool:
    """Migrate; on the embedded database, seed demo data the first time. True when it seeded."""
    await migrate(db)
    if not seed_demo or await db.fetch_val("SELECT EXISTS (SELECT 1 FROM clients)"):
        return False
    print("First start: seeding demo data…")
    await seed(db, SIZES["demo"], today=today, progress=print, demo_account=True)
    return True


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    applied = on_database(settings, migrate)
    print(f"applied: {', '.join(applied)}" if applied else "schema is up to date")
    return 0


def _seed(args: argparse.Namespace, settings: Settings) -> int:
    async def run(db: Database) -> None:
        await migrate(db)
        today = datetime.now(settings.tz).date()
        # Only the embedded default database gets the demo account; a real server never does.
        await seed(
            db,
            SIZES[args.size],
            today=today,
            reset=args.reset,
            rng_seed=args.seed,
            progress=print,
            demo_account=not settings.database_url,
        )

    started = datetime.now()
    on_database(settings, run)
    print(f"seeded size {args.size} in {(datetime.now() - started).total_seconds():.1f}s")
    return 0
