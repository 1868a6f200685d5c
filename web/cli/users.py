"""`billable user …`: staff accounts and their sessions."""

from __future__ import annotations

import argparse
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime

from web.cli.common import RATE_HELP, hourly_rate, on_database, read_password, weekly_hours
from web.db import Database
from web.db import versions as cache_versions
from web.forms import parse_iso_date
from web.money import format_hours, format_money
from web.queries import capacity, costs
from web.queries.sessions import SessionInfo, active_sessions, end_sessions
from web.queries.users import (
    ROLES,
    add_user,
    find_user,
    set_disabled,
    set_hourly_rate,
    set_password,
    set_role,
)
from web.settings import Settings


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """user add, passwd, rate, capacity, cost, role, sessions, disable, enable."""
    user = commands.add_parser(
        "user",
        help="manage staff accounts: add, passwd, rate, capacity, cost, role, disable, enable, sessions",
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
    user_add.add_argument("--rate", type=hourly_rate, default=0, help=RATE_HELP + " (default: 0)")
    user_add.add_argument(
        "--capacity",
        type=weekly_hours,
        default=capacity.DEFAULT_WEEKLY_MINUTES,
        metavar="HOURS",
        help="hours a week there to work, from today, e.g. 40, 32 or 37:30 (default: 40)",
    )
    user_add.set_defaults(handler=_user_add)
    user_passwd = user_commands.add_parser(
        "passwd",
        help="set an account's password",
        description="Set an account's password (prompted, or read from standard input when it is not a terminal).",
    )
    user_passwd.add_argument("email")
    user_passwd.set_defaults(handler=_user_passwd)
    _add_dated_commands(user_commands)
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


def _add_dated_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """user rate, capacity and cost: values that change from a date on. Each: name, help,
    description, its value's argument (name, type, help, whether it may be left out to show the
    history) and its handler."""
    dated = (
        (
            "rate",
            "set an account's hourly rate from a date on",
            "Set an account's hourly rate from a date on (today by default): time logged afterwards for earlier"
            " days takes the rate before. Time already logged keeps the rate it was logged with.",
            ("rate", hourly_rate, RATE_HELP, False),
            _user_rate,
        ),
        (
            "capacity",
            "show or set an account's hours a week (utilization's capacity)",
            "Show an account's capacity, the hours a week it is there to work, as it changed over time; or set"
            " it from a date on (today by default). Utilization is billable hours / capacity: a change dated in"
            " the past changes the utilization of the past from that date.",
            ("hours", weekly_hours, "e.g. 40, 32 or 37:30; 0 for none", True),
            _user_capacity,
        ),
        (
            "cost",
            "show or set an account's cost rate (what an hour of their time costs; admins see it)",
            "Show an account's cost rate as it changed over time, or set it from a date on (today by default)."
            " Their time logged for that day and later is costed again: the costs and gross margins of clients"
            " and people follow.",
            ("rate", hourly_rate, RATE_HELP, True),
            _user_cost,
        ),
    )
    for name, help_text, description, (value, value_type, value_help, optional), handler in dated:
        command = commands.add_parser(name, help=help_text, description=description)
        command.add_argument("email")
        command.add_argument(value, nargs="?" if optional else None, type=value_type, help=value_help)
        command.add_argument("--from", dest="from_date", type=_iso_date, metavar="YYYY-MM-DD", help="default: today")
        command.add_argument("--yes", action="store_true", help="confirm a date in a month gone by")
        command.set_defaults(handler=handler)


def _user_add(args: argparse.Namespace, settings: Settings) -> int:
    password = read_password()
    name = args.name or args.email.split("@")[0]
    user_id = on_database(
        settings,
        lambda db: add_user(
            db,
            email=args.email,
            name=name,
            role=args.role,
            password=password,
            today=_today(settings),
            hourly_rate_cents=args.rate,
            weekly_minutes=args.capacity,
        ),
    )
    print(
        f"added {args.role} {args.email} (id {user_id}, hourly rate {format_money(args.rate)},"
        f" {format_hours(args.capacity)} a week)"
    )
    return 0


def _user_capacity(args: argparse.Namespace, settings: Settings) -> int:
    async def history(db: Database, user_id: int) -> list[tuple[date, int]]:
        return [
            (c.from_date, c.weekly_minutes) for c in (await capacity.capacity_changes(db, user_id)).get(user_id, [])
        ]

    return _show_or_set(
        args,
        settings,
        args.hours,
        "utilization already reported",
        capacity.set_capacity,
        history,
        lambda minutes: f"{format_hours(minutes)} a week",
        "capacity",
    )


def _user_cost(args: argparse.Namespace, settings: Settings) -> int:
    async def history(db: Database, user_id: int) -> list[tuple[date, int]]:
        return [(r.since, r.cents) for r in (await costs.cost_rates(db, [user_id])).get(user_id, [])]

    return _show_or_set(
        args,
        settings,
        args.rate,
        "the costs and margins of months already reported",
        costs.set_cost_rate,
        history,
        lambda cents: f"{format_money(cents)} an hour",
        "cost rate",
    )


def _show_or_set(
    args: argparse.Namespace,
    settings: Settings,
    value: int | None,
    what_changes: str,
    save: Callable[[Database, int, date, int], Awaitable[int | None]],
    history: Callable[[Database, int], Awaitable[list[tuple[date, int]]]],
    shown: Callable[[int], str],
    what: str,
) -> int:
    """A dated value of an account (capacity, cost rate): set from --from (today) when given, then
    its history printed. Figures cached anywhere are recomputed."""
    since = _since(args, settings, what_changes) if value is not None else None

    async def work(db: Database) -> list[tuple[date, int]]:
        user = await find_user(db, args.email)
        if since is not None and value is not None:
            async with db.transaction():
                await save(db, user.id, since, value)
                await cache_versions.bump(db, ["epoch"])
        return await history(db, user.id)

    changes = on_database(settings, work)
    if not changes:
        print(f"{args.email} has no {what} set")
    for day, amount in changes:
        print(f"from {day:%Y-%m-%d}: {shown(amount)}")
    return 0


def _iso_date(text: str) -> date:
    try:
        return parse_iso_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date that exists, as YYYY-MM-DD: {text!r}") from None


def _since(args: argparse.Namespace, settings: Settings, what_changes: str) -> date:
    """The day a change applies from: --from, or today; one in a month gone by only with --yes."""
    today = _today(settings)
    since: date = args.from_date or today
    if since < today.replace(day=1) and not args.yes:
        raise ValueError(f"--from {since:%Y-%m-%d} lies in a month gone by: it changes {what_changes}; add --yes")
    return since


def _today(settings: Settings) -> date:
    return datetime.now(settings.tz).date()


def _user_rate(args: argparse.Namespace, settings: Settings) -> int:
    since = _since(args, settings, "the price of time logged from now on for days already reported")
    on_database(settings, lambda db: set_hourly_rate(db, args.email, args.rate, since))
    print(f"hourly rate of {args.email} is {format_money(args.rate)} from {since:%Y-%m-%d}")
    return 0


def _user_passwd(args: argparse.Namespace, settings: Settings) -> int:
    password = read_password()
    on_database(settings, lambda db: set_password(db, args.email, password))
    print(f"password changed for {args.email}")
    return 0


def _user_role(args: argparse.Namespace, settings: Settings) -> int:
    on_database(settings, lambda db: set_role(db, args.email, args.role))
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

    active, ended = on_database(settings, work)
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
    on_database(settings, lambda db: set_disabled(db, args.email, args.disabled, today=_today(settings)))
    print(f"{'disabled' if args.disabled else 'enabled'} {args.email}")
    return 0
