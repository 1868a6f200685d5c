"""Static files: how they are served and named, and the vendored ones pinned by version and checksum
(see static/VENDORED.md)."""

from __future__ import annotations

import functools
import hashlib
import os
from os import PathLike
from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Scope

from web.templating import STATIC_DIR

HTMX_VERSION = "4.0.1"
HTMX_FILE = f"htmx-{HTMX_VERSION}.min.js"
HTMX_SHA256 = "a0abb04f2f45a1f89d1d4844023245537e5e6014c87b144553e0607b4cc32130"
# htmx's SSE extension: streams a filter change's parts into the page (web/streaming.py).
SSE_FILE = f"hx-sse-{HTMX_VERSION}.min.js"
SSE_SHA256 = "18ef2761356ec1fe0bb6d92612315b37517a7c1e9856b661c5ae81fef239d103"


# Static files: compressed, and cached for good under a URL that names their content.
IMMUTABLE = "public, max-age=31536000, immutable"


@functools.cache
def _digest(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """/static/NAME?v=HASH, HASH from the file's content: a new version is a new URL, so browsers may
    keep each one for a year without asking again (a changed file is read again on its next use)."""
    path = STATIC_DIR / name
    return f"/static/{name}?v={_digest(path, path.stat().st_mtime_ns)}"


class VersionedStaticFiles(StaticFiles):
    """A URL from static_url() is cached for a year as immutable; any other is revalidated (ETag)."""

    def file_response(
        self, full_path: str | PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        versioned = b"v=" in scope.get("query_string", b"")
        response.headers["Cache-Control"] = IMMUTABLE if versioned else "no-cache"
        return response


def static_app() -> ASGIApp:
    """What /static mounts: the files, gzip-compressed for browsers that accept it (htmx: 37 kB to 13)."""
    return GZipMiddleware(VersionedStaticFiles(directory=STATIC_DIR), minimum_size=500)
