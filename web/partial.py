"""What a partial is: its declaration (`Partial`), what it is asked for and the frame its template
gets, the refusals of its input, and how its template is rendered. The `Registry` (web/registry.py)
serves partials from these declarations; the gallery previews them.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import urlencode

from jinja2 import Environment, TemplateError, TemplateSyntaxError
from markupsafe import escape
from starlette.datastructures import QueryParams

from web import timing
from web.db import Database

log = logging.getLogger("billable.partials")

STATES = ("loading", "loaded", "error")


class Params(Protocol):
    """What a partial is asked for; `query()` gives the URL parameters that ask for it again."""

    def query(self) -> dict[str, str]: ...


P = TypeVar("P", bound=Params)
C = TypeVar("C")


class BadInput(ValueError):
    """Input a user can type that we cannot use; the message says what was wrong."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(" ".join(errors.values()))  # each a sentence
        self.errors = dict(errors)


class NotFound(LookupError):
    """The thing a partial was asked about does not exist."""


@dataclass(frozen=True)
class Frame:
    """What every partial template gets besides its own context: where it lives and its state."""

    name: str
    dom_id: str
    query: str
    state: str = "loading"
    message: str = ""
    retry: bool = False
    label: str = ""  # what the placeholder can show before loading (a client's name)
    stale: bool = False  # loaded from an expired cache entry while a fresh one is computed
    stale_minutes: int = 0  # how old those figures are, in whole minutes (a refresh that keeps failing)
    viewer_role: str = "staff"  # who is looking: templates may offer admins more (data is the same)
    refresh_on: str = ""  # an event (sent with HX-Trigger) on which a loaded partial reloads itself

    @property
    def url(self) -> str:
        return f"/partials/{self.name}" + (f"?{self.query}" if self.query else "")


@dataclass(frozen=True)
class Partial(Generic[P, C]):
    name: str  # "dashboard/revenue": its URL and its template partials/<name>.html
    parse: Callable[[QueryParams, date], P]
    load: Callable[[Database, P, date], Awaitable[C]]
    dom_id: Callable[[P], str]
    key: Callable[[P], str]  # the cache key: every input that changes the result, nothing else
    cache_kind: str  # "stats" | "client_row" | "client_list" | "summary": picks the TTL setting
    role: str = "staff"  # who may see it (see web.auth.guard)
    # Query parameters only admins may send: what they add is theirs to see (the list's costs).
    admin_params: tuple[str, ...] = ()
    # The cache-version scopes its result depends on: a write to any of them makes it recomputed.
    depends: Callable[[P], Sequence[str]] = lambda params: ("epoch", "all")
    refresh_on: str = ""  # see Frame.refresh_on
    fixtures: Mapping[str, Callable[[], C]] = field(default_factory=dict)
    # Many inputs at once, their contexts in the same order; None where an input names nothing (its
    # own `load` then says what is missing). With it, inputs asked for at about the same moment are
    # loaded together (Registry._in_batch): a client list's rows in three queries, not three each.
    load_many: Callable[[Database, Sequence[P], date], Awaitable[Sequence[C | None]]] | None = None
    # The partials that this one's result names, which a browser asks for next (a client list's
    # rows): computed into the cache when this one is computed (see Registry._prefill).
    follow: Callable[[P, C], Prefill[Any, Any] | None] | None = None

    @property
    def template(self) -> str:
        return f"{self.name}.html"

    def role_for(self, query: bytes) -> str:
        """The role a request for this partial with the query string `query` needs (read only when
        it names an admin parameter: a streamed page asks this of 200 rows)."""
        if not any(name.encode() in query for name in self.admin_params):
            return self.role
        params = QueryParams(query)
        return "admin" if any(params.get(name) for name in self.admin_params) else self.role

    def frame(self, params: P, **state: Any) -> Frame:
        return Frame(self.name, self.dom_id(params), urlencode(params.query()), refresh_on=self.refresh_on, **state)


def render_partial(env: Environment, partial: Partial[Any, Any], frame: Frame, context: Any = None) -> str:
    """A partial's template in the frame's state; a loaded one also gets its context's fields."""
    values = {"frame": frame}
    if context is not None:
        values.update({f.name: getattr(context, f.name) for f in fields(context)})
    with timing.measure_render():
        return env.get_template(partial.template).render(values)


def render_or_explain(
    env: Environment, partial: Partial[Any, Any], frame: Frame, context: Any = None, *, dev: bool
) -> str:
    """Render, or, when the template itself is broken, a box in the partial's place saying so: with
    the file, line and message in development, a plain message otherwise. The rest of the page
    renders either way."""
    try:
        return render_partial(env, partial, frame, context)
    except TemplateError as exc:
        log.exception("template %s failed", partial.template)
        where, line = _template_location(exc, partial.template)
        detail = f"{where}, line {line}: {exc}" if dev else "This part of the page could not be shown."
        return (
            f'<div id="{escape(frame.dom_id)}" class="template-error" role="alert">'
            f"<strong>Template error</strong> {escape(detail)}</div>"
        )


def _template_location(exc: TemplateError, default: str) -> tuple[str, int | str]:
    if isinstance(exc, TemplateSyntaxError):
        return f"partials/{exc.name or default}", exc.lineno
    frames = traceback.extract_tb(exc.__traceback__)
    # Jinja rewrites tracebacks so that template lines appear as frames of the template's file
    # ("<template>" for templates not loaded from a file).
    in_templates = [f for f in frames if f.filename.endswith(".html") or f.filename == "<template>"]
    if in_templates:
        last = in_templates[-1]
        name = last.filename.split("/partials/")[-1] if last.filename.endswith(".html") else default
        return f"partials/{name}", last.lineno or "?"
    return f"partials/{default}", "?"


@dataclass(frozen=True)
class Prefill(Generic[P, C]):
    """Several inputs of one partial, computed ahead of their requests (together, with its load_many)."""

    partial: Partial[P, C]
    params: Sequence[P]
