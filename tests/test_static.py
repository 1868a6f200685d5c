import hashlib

import pytest
from starlette.testclient import TestClient

from tests.support import soup
from web.static_files import HTMX_FILE, HTMX_SHA256, HTMX_VERSION, SSE_FILE, SSE_SHA256, static_url
from web.templating import STATIC_DIR


@pytest.mark.parametrize(("file", "checksum"), [(HTMX_FILE, HTMX_SHA256), (SSE_FILE, SSE_SHA256)])
def test_vendored_files_match_their_recorded_checksums(file: str, checksum: str) -> None:
    content = (STATIC_DIR / file).read_bytes()
    assert hashlib.sha256(content).hexdigest() == checksum
    assert HTMX_VERSION in file
    assert checksum in (STATIC_DIR / "VENDORED.md").read_text()


def test_pages_load_htmx_from_static(client: TestClient) -> None:
    page = soup(client.get("/").text)
    url = page.select_one(f'script[src^="/static/{HTMX_FILE}?v="]')["src"]
    assert url == static_url(HTMX_FILE)
    assert client.get(url).status_code == 200


def test_static_files_are_compressed_and_cached_for_good_under_their_content_url(client: TestClient) -> None:
    versioned = client.get(static_url("app.js"), headers={"Accept-Encoding": "gzip"})
    assert versioned.headers["content-encoding"] == "gzip"
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert versioned.text == (STATIC_DIR / "app.js").read_text()  # the same bytes, once unzipped
    plain = client.get("/static/app.js")
    assert plain.headers["cache-control"] == "no-cache" and plain.headers["etag"]
    # A file's URL names its content: a changed file gets a new one.
    assert static_url("app.js") != static_url("stream.js")
    assert static_url("app.js").split("?v=")[1] == hashlib.sha256((STATIC_DIR / "app.js").read_bytes()).hexdigest()[:12]
