import hashlib

from starlette.testclient import TestClient

from web.static_files import HTMX_FILE, HTMX_SHA256, HTMX_VERSION
from web.templating import STATIC_DIR


def test_vendored_htmx_matches_its_recorded_checksum() -> None:
    content = (STATIC_DIR / HTMX_FILE).read_bytes()
    assert hashlib.sha256(content).hexdigest() == HTMX_SHA256
    assert HTMX_VERSION.encode() in content
    assert HTMX_SHA256 in (STATIC_DIR / "VENDORED.md").read_text()


def test_pages_load_htmx_from_static(client: TestClient) -> None:
    page = client.get("/").text
    assert f'<script src="/static/{HTMX_FILE}" defer></script>' in page
    assert client.get(f"/static/{HTMX_FILE}").status_code == 200
