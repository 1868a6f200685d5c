"""The partial gallery: every partial, every state, from fixtures; template errors explained."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from jinja2 import DictLoader
from starlette.testclient import TestClient

from tests.support import soup
from web.catalog import PARTIALS
from web.dashboard.cards import CARDS
from web.partial import Frame, render_or_explain
from web.templating import PARTIALS_DIR, ROOT, make_env


def test_gallery_shows_every_partial_in_every_state(client: TestClient) -> None:
    page = soup(client.get("/gallery").text)
    for partial in PARTIALS:
        entry = page.select_one(f"#{partial.name.replace('/', '-')}")
        assert entry is not None, partial.name
        states = [c.get_text(strip=True) for c in entry.select("figcaption")]
        for_admins = (
            ["loaded: typical, for an admin"] if "viewer_role" in (PARTIALS_DIR / partial.template).read_text() else []
        )
        assert states == [
            "loading",
            "loaded: typical",
            "loaded: extreme",
            "loaded: empty",
            "error",
            "stale (refreshing)",
            "stale for 7 minutes (the refresh failing)",
            *for_admins,
        ]
        assert f"partials/{partial.template}" in entry.get_text()
        assert "context" in entry.select_one("pre.contract").get_text()
        assert entry.select_one(".gallery__states").has_attr("hx-ignore")  # previews fetch nothing
        assert entry.select_one("[aria-busy=true]") is not None
        assert entry.select_one("[role=alert]") is not None
        assert "Updating" in entry.get_text() and "figures from 7 min ago" in entry.get_text()


def test_the_gallery_shows_admin_controls_and_tables_full_width(client: TestClient) -> None:
    services = soup(client.get("/gallery").text).select_one("#clients-services")
    admin = services.select("figure")[-1]
    assert admin.figcaption.get_text(strip=True) == "loaded: typical, for an admin"
    assert "End today" in admin.get_text() and "End today" not in services.select("figure")[1].get_text()
    assert "gallery__states--wide" in services.select_one(".gallery__states")["class"]


def test_gallery_needs_no_database_rows(client: TestClient) -> None:
    # No clients, services or entries exist in this test; the fixtures fill every state.
    assert "Northwind Partners" in client.get("/gallery").text


def test_gallery_is_open_in_development_mode(settings, data, today) -> None:  # type: ignore[no-untyped-def]
    from web.app import create_app

    with TestClient(create_app(settings.replace(dev=True), today=lambda: today)) as dev_client:
        response = dev_client.get("/gallery")
        assert response.status_code == 200
        assert '<script src="/static/dev.js?v=' in response.text


def test_a_template_error_names_file_line_and_message() -> None:
    env = make_env()
    env.loader = DictLoader({"dashboard/mrr.html": "<article>\n{{ frame.state }}\n{{ not_in_context.x }}\n</article>"})
    mrr = next(card for card in CARDS if card.name == "dashboard/mrr")
    html = render_or_explain(env, mrr, Frame(mrr.name, "card-mrr", ""), dev=True)
    box = soup(html).select_one("#card-mrr.template-error")
    assert "partials/dashboard/mrr.html, line 3" in box.get_text()
    assert "not_in_context" in box.get_text()
    quiet = render_or_explain(env, mrr, Frame(mrr.name, "card-mrr", ""), dev=False)
    assert "This part of the page could not be shown." in quiet and "line" not in quiet


def test_a_syntax_error_is_explained_too() -> None:
    env = make_env()
    env.loader = DictLoader({"dashboard/mrr.html": "{% if %}"})
    mrr = replace(next(card for card in CARDS if card.name == "dashboard/mrr"))
    html = render_or_explain(env, mrr, Frame(mrr.name, "card-mrr", ""), dev=True)
    assert "partials/dashboard/mrr.html, line 1" in html


def test_every_id_on_the_gallery_is_unique_and_every_reference_finds_one(client: TestClient) -> None:
    page = soup(client.get("/gallery").text)
    ids = Counter(element["id"] for element in page.select("[id]"))
    assert [name for name, count in ids.items() if count > 1] == []
    for attribute in ("aria-labelledby", "aria-describedby", "for"):
        for element in page.select(f"[{attribute}]"):
            assert all(name in ids for name in element[attribute].split()), (attribute, element[attribute])


def test_the_gallery_shows_the_design_pieces_first(client: TestClient) -> None:
    design = soup(client.get("/gallery").text).select_one("#design")
    assert design is not None
    swatches = [code.get_text() for code in design.select(".swatches code")]
    assert "--accent" in swatches and "--error-bg" in swatches
    css = (ROOT / "static" / "app.css").read_text()
    assert all(f".swatch--{role[2:]} {{ background: var({role}); }}" in css for role in swatches)  # each drawn
    assert [b.get_text() for b in design.select("button")][:3] == ["Primary", "Secondary", "Danger"]
    assert design.select_one(".field-error") is not None and design.select_one(".notice--ok") is not None
    shown = {dt.get_text(): dd.get_text() for dt, dd in zip(design.select("dt"), design.select("dd"), strict=True)}
    assert shown["money_whole"] == "€4,540" and shown["day"] == "3 Nov 2026" and shown["per_hour"] == "€1,310 / h"
