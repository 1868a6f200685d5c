"""Headers that make every response safe by default."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline script or style, no eval: htmx is configured to need neither (see docs/decisions.md).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
BASE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# As ASGI sends them, encoded once: every response gets them, unless it set its own.
_RAW_BASE = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in BASE_HEADERS.items()]
_RAW_PRIVATE = (b"cache-control", b"private, no-cache")


class SecurityHeadersMiddleware:
    """Adds the headers above; keeps anything not under /static private to the browser; marks
    cookies Secure when the request came over HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith("/static/")
        over_https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = message["headers"] = list(message.get("headers", ()))
                present = {name.lower() for name, _ in raw}
                raw += [header for header in _RAW_BASE if header[0] not in present]
                if not is_static and _RAW_PRIVATE[0] not in present:
                    raw.append(_RAW_PRIVATE)  # company data must never be kept by a shared proxy
                if over_https:
                    _secure_cookies(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _secure_cookies(headers: MutableHeaders) -> None:
    cookies = headers.getlist("set-cookie")
    if not cookies:
        return
    del headers["set-cookie"]
    for cookie in cookies:
        headers.append("set-cookie", cookie if "; secure" in cookie.lower() else cookie + "; secure")
