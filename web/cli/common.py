"""What the commands share: the database they work on, and the arguments' types."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from web.db import Database
from web.db.server import start_embedded
from web.forms import MAX_RATE_CENTS, FormReader
from web.queries.users import check_password_rules
from web.settings import Settings

RATE_HELP = "euros an hour, for billable time on clients and services without a rate of their own, e.g. 95 or 95.50"


MAX_WORKERS = 64  # more is a typo: each opens BILLABLE_POOL_MAX database connections


def users(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 10_000:
        raise argparse.ArgumentTypeError(f"give a whole number from 1 to 10000, not {text!r}")
    return int(text)


def workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"give a whole number from 1 to {MAX_WORKERS}, not {text!r}")
    return int(text)


def hourly_rate(text: str) -> int:
    """A rate typed as an amount, in cents; argparse reports the reason when it is not one."""
    form = FormReader({"rate": text})
    cents = form.money_cents("rate", "The rate", maximum=MAX_RATE_CENTS)
    if cents is None:
        raise argparse.ArgumentTypeError(form.errors["rate"])
    return cents


def weekly_hours(text: str) -> int:
    """Hours a week as typed (40, 37.5, 37:30), in minutes; argparse reports the reason when they are not."""
    form = FormReader({"hours": text})
    minutes = form.hours_a_week("hours", "Hours a week")
    if minutes is None:
        raise argparse.ArgumentTypeError(form.errors["hours"])
    return minutes


def read_password() -> str:
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise ValueError("the passwords do not match")
    check_password_rules(password)
    return password


def database_url(settings: Settings) -> str:
    return settings.database_url or start_embedded(settings.data_dir)


def on_database(settings: Settings, work: Callable[[Database], Awaitable[Any]]) -> Any:
    """`work` on the configured database (or the embedded one, started if need be)."""
    return run_on(database_url(settings), settings, work)


def run_on(url: str, settings: Settings, work: Callable[[Database], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        async with Database(url, min_size=1, max_size=4, timezone=settings.timezone) as db:
            return await work(db)

    return asyncio.run(run())
