"""Every partial renders in every state with every fixture, and its template states its context."""

from __future__ import annotations

import re
from dataclasses import fields
from typing import Any

import pytest

from tests.support import soup
from web.catalog import PARTIALS
from web.partial import Frame, Partial, render_partial
from web.templating import PARTIALS_DIR, make_env

ENV = make_env()
CASES = [(p, name) for p in PARTIALS for name in p.fixtures]


def frame(partial: Partial[Any, Any], state: str, **extra: Any) -> Frame:
    return Frame(partial.name, "the-dom-id", "period=this_month", state=state, **extra)


@pytest.mark.parametrize(("partial", "fixture"), CASES, ids=[f"{p.name}:{f}" for p, f in CASES])
def test_loaded_with_each_fixture(partial: Partial[Any, Any], fixture: str) -> None:
    html = render_partial(ENV, partial, frame(partial, "loaded"), partial.fixtures[fixture]())
    root = soup(html).find(True)
    assert root["id"] == "the-dom-id"
    assert not root.has_attr("hx-trigger")
    stale = soup(render_partial(ENV, partial, frame(partial, "loaded", stale=True), partial.fixtures[fixture]())).find(
        True
    )
    assert (stale["hx-trigger"], stale["hx-get"]) == ("load delay:2s", f"/partials/{partial.name}?period=this_month")


@pytest.mark.parametrize("partial", PARTIALS, ids=[p.name for p in PARTIALS])
def test_stale_figures_say_how_old_they_are_after_a_minute(partial: Partial[Any, Any]) -> None:
    typical = partial.fixtures["typical"]()
    fresh_stale = soup(render_partial(ENV, partial, frame(partial, "loaded", stale=True), typical))
    old_stale = soup(render_partial(ENV, partial, frame(partial, "loaded", stale=True, stale_minutes=7), typical))
    assert fresh_stale.select_one(".badge").get_text() == "Updating…"
    assert old_stale.select_one(".badge").get_text() == "Updating… figures from 7 min ago"


@pytest.mark.parametrize("partial", PARTIALS, ids=[p.name for p in PARTIALS])
def test_every_partial_has_the_three_fixtures(partial: Partial[Any, Any]) -> None:
    assert set(partial.fixtures) == {"typical", "extreme", "empty"}


@pytest.mark.parametrize("partial", PARTIALS, ids=[p.name for p in PARTIALS])
def test_loading_state_fetches_the_partial(partial: Partial[Any, Any]) -> None:
    root = soup(render_partial(ENV, partial, frame(partial, "loading", label="Acme"))).find(True)
    assert root["hx-get"] == f"/partials/{partial.name}?period=this_month"
    assert root["hx-trigger"] == "load"
    assert root["hx-swap"] == "outerHTML"
    assert root["aria-busy"] == "true"


@pytest.mark.parametrize("retry", [True, False])
@pytest.mark.parametrize("partial", PARTIALS, ids=[p.name for p in PARTIALS])
def test_error_state_shows_the_message(partial: Partial[Any, Any], retry: bool) -> None:
    html = render_partial(ENV, partial, frame(partial, "error", message="It <broke>.", retry=retry))
    page = soup(html)
    assert page.find(True)["id"] == "the-dom-id"
    assert "It <broke>." in page.select_one("[role=alert]").get_text()
    button = page.select_one("button")
    assert (button is not None) == retry
    if retry:
        assert button["hx-target"] == "#the-dom-id"


CONTRACT = re.compile(r"\{#-?.*?context \((?P<type>[\w.]+)\):\n(?P<body>.*?)-?#\}", re.S)


@pytest.mark.parametrize("partial", PARTIALS, ids=[p.name for p in PARTIALS])
def test_template_states_its_context_contract(partial: Partial[Any, Any]) -> None:
    """The comment at the top of each template lists exactly the fields of its context dataclass."""
    text = (PARTIALS_DIR / partial.template).read_text()
    match = CONTRACT.match(text)
    assert match, f"{partial.template} must start with a context comment"
    documented = re.findall(r"^\s{6}(\w+):", match["body"], re.M)
    context = next(iter(partial.fixtures.values()))()
    assert match["type"].rsplit(".", 1)[1] == type(context).__name__
    assert documented == [f.name for f in fields(context)]
