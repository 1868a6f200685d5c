"""The partial gallery: every registered partial in every state, from its fixtures, no database.

For designers editing partials/: each entry shows the template's path, its context contract (the
comment at its top) and the partial rendered loading, loaded (typical and extreme), empty, in its
error state and stale. Previews are inert (`hx-ignore`): nothing is fetched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from web.partial import Frame, Partial, render_or_explain
from web.responses import render_page
from web.state import AppState
from web.templating import PARTIALS_DIR


@dataclass(frozen=True)
class GalleryState:
    name: str
    html: Markup
    in_table: bool  # a <tr> needs a table around it to render


@dataclass(frozen=True)
class GalleryEntry:
    name: str
    path: str
    contract: str
    states: list[GalleryState]
    wide: bool  # a table: its states one under another, each the page's width


# The colour roles of static/app.css (:root), shown as swatches; dark mode gives each another value.
COLOUR_ROLES = ("ink", "muted", "line", "bg", "card", "accent", "up", "down", "topbar", "panel", "error-bg", "ok-bg")


@dataclass(frozen=True)
class GalleryPage:
    entries: list[GalleryEntry]
    # The design pieces' examples: a date and a moment as every page writes them.
    sample_day: date = date(2026, 11, 3)
    sample_moment: datetime = datetime(2026, 11, 3, 14, 5, tzinfo=UTC)
    colours: tuple[str, ...] = COLOUR_ROLES


def gallery_entry(state: AppState, partial: Partial[Any, Any]) -> GalleryEntry:
    def frame(**kw: Any) -> Frame:
        return Frame(partial.name, f"gallery-{partial.name.replace('/', '-')}", "", **kw)

    states = [("loading", frame(label="Northwind Partners"), None)]  # a row shows its client's name
    for fixture, make in partial.fixtures.items():
        states.append((f"loaded: {fixture}", frame(state="loaded"), make()))
    states.append(("error", frame(state="error", message="This could not be loaded.", retry=True), None))
    source = (PARTIALS_DIR / partial.template).read_text()
    if "typical" in partial.fixtures:
        states.append(("stale (refreshing)", frame(state="loaded", stale=True), partial.fixtures["typical"]()))
        states.append(
            (
                "stale for 7 minutes (the refresh failing)",
                frame(state="loaded", stale=True, stale_minutes=7),
                partial.fixtures["typical"](),
            )
        )
        if "viewer_role" in source:  # it offers admins more: their controls
            states.append(
                (
                    "loaded: typical, for an admin",
                    frame(state="loaded", viewer_role="admin"),
                    partial.fixtures["typical"](),
                )
            )
    rendered = []
    for number, (name, state_frame, context) in enumerate(states, start=1):
        html = _own_ids(render_or_explain(state.env, partial, state_frame, context, dev=True), f"--{number}")
        rendered.append(GalleryState(name, Markup(html), html.lstrip().startswith("<tr")))
    contract = source[: source.find("#}") + 2] if source.startswith("{#") else "(no context comment)"
    wide = any(s.in_table or "<table" in s.html for s in rendered)
    return GalleryEntry(partial.name, f"partials/{partial.template}", contract, rendered, wide)


_ID = re.compile(r'\bid="([^"]+)"')
_REFERENCE = re.compile(r'\b(id|for|aria-labelledby|aria-describedby|aria-controls|href|hx-target)="([^"]*)"')


def _own_ids(html: str, suffix: str) -> str:
    """The page shows every partial in several states at once, where the app shows one: each state's
    ids (and what refers to them: labels, ARIA, #fragment links and targets) get `suffix`, so that
    none repeats and every reference still finds its element."""
    ids = set(_ID.findall(html))

    def renamed(match: re.Match[str]) -> str:
        attribute, value = match[1], match[2]
        if attribute in ("href", "hx-target"):
            return match[0] if value[1:] not in ids or not value.startswith("#") else f'{attribute}="{value}{suffix}"'
        words = [word + suffix if word in ids else word for word in value.split(" ")]
        return f'{attribute}="{" ".join(words)}"'

    return _REFERENCE.sub(renamed, html) if ids else html


async def gallery(request: Request) -> Response:
    state = AppState.of(request)
    entries = [gallery_entry(state, p) for p in state.registry.partials.values()]
    return render_page(request, "gallery.html", GalleryPage(entries))
