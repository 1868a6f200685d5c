"""Vendored front-end files, pinned by version and checksum (see static/VENDORED.md)."""

HTMX_VERSION = "4.0.1"
HTMX_FILE = f"htmx-{HTMX_VERSION}.min.js"
HTMX_SHA256 = "a0abb04f2f45a1f89d1d4844023245537e5e6014c87b144553e0607b4cc32130"
