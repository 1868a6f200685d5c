"""`billable bench --browser`: the dashboard as a person gets it, in a real Chromium (issue #17).

Playwright drives Debian's `chromium` (nothing is downloaded). For 50 and 200 rows it loads the
dashboard in each mode — streamed, and one request per partial — warm and with the caches emptied,
and, in the same run, a **reference**: the very same final HTML served as one static document by the
same server, the floor for "everything on screen". Measured in the page: navigation start to
complete (no `aria-busy="true"` left and the document parsed), requests, total blocking time (long
tasks past 50 ms), layout shift; then 50 rows again with the CPU slowed down 4x. Medians.
"""

from __future__ import annotations

import re
import shutil
import statistics
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.http import session_csrf_token

ROWS = (50, 200)
MODES = ("stream", "requests")  # BILLABLE_PARTIALS; the first is the default
WARM_RUNS, COLD_RUNS, SLOW_RUNS = 11, 5, 3
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"]

# Installed before any of the page's scripts: when the page is complete, what it cost the browser.
_PROBE = """
(() => {
  const seen = { longTasks: [], shift: 0, complete: null };
  window.__billable_probe = seen;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) seen.longTasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) seen.shift += e.value;
  }).observe({ type: "layout-shift", buffered: true });
  const check = () => {
    if (seen.complete !== null || document.readyState === "loading") return;
    if (document.querySelector('[aria-busy="true"], template[data-fill]')) return;
    seen.complete = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
  document.addEventListener("readystatechange", check);
})();
"""

_RESULT = """() => {
  const seen = window.__billable_probe;
  const blocking = seen.longTasks.filter(([start]) => start < seen.complete)
    .reduce((sum, [, duration]) => sum + Math.max(0, duration - 50), 0);
  return { complete: seen.complete, tbt: blocking, cls: seen.shift,
           requests: 1 + performance.getEntriesByType("resource").length };
}"""


def measure_browser(bases: dict[str, str], email: str, password: str, out: Callable[[str], None]) -> dict[str, Any]:
    """The flat results (see the module's docstring), keyed as issue #17 names them. `bases`: the
    app's URL in each mode (one server each, sharing the database and the session key)."""
    base = bases[MODES[0]]
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = _launch(playwright, CHROMIUM_ARGS)
        page, token = _signed_in(browser, base, email, password)

        def load(url: str) -> dict[str, float]:
            return _load(page, url)

        def post(url: str, body: str | None = None) -> None:
            """A POST to the benchmark's routes. Refused, it stops the run: a cache not cleared, or a
            reference not stored, would give figures that measure something else."""
            response = page.context.request.post(url, headers={"X-CSRF-Token": token}, data=body)
            if not response.ok:
                raise RuntimeError(f"POST {url} answered {response.status}")

        def reference_of(rows: int) -> str:
            """The streamed page's final HTML, posted to be served back as one document: its URL."""
            load(f"{base}/?per_page={rows}")
            final = re.sub(r'<script src="/static/stream\.js[^"]*" async=""></script>', "", page.content())
            post(f"{base}/bench/reference?name={rows}", final)
            return f"{base}/bench/reference?name={rows}"

        for rows in ROWS:
            urls = {mode: f"{bases[mode]}/?per_page={rows}" for mode in MODES}
            urls["reference"] = reference_of(rows)
            # Load by load in turn, so that the machine's drift (2x within minutes here) falls on
            # every mode and the reference alike, and the ratios compare like with like.
            warm = _in_turn(load, urls, WARM_RUNS)
            results[f"browser_reference_{rows}_ms"] = _median(warm["reference"], "complete")
            for mode in MODES:
                cold = []
                for _ in range(COLD_RUNS):
                    post(bases[mode] + "/bench/clear")
                    cold.append(load(urls[mode]))
                _record(results, mode, rows, warm[mode], cold)
                ratio = results[_key(mode, f"complete_warm_{rows}_ms")] / results[f"browser_reference_{rows}_ms"]
                results[_key(mode, f"complete_vs_reference_{rows}")] = ratio
                warm_ms = results[_key(mode, f"complete_warm_{rows}_ms")]
                out(f"bench --browser: {rows} rows, {mode}: warm {warm_ms:.0f} ms ({ratio:.2f}x the reference)")
        with _cpu_slowdown(page, 4):
            urls = {mode: f"{bases[mode]}/?per_page=50" for mode in MODES} | {
                "reference": f"{base}/bench/reference?name=50"
            }
            slow = _in_turn(load, urls, SLOW_RUNS)
            for mode in MODES:
                results[_key(mode, "complete_cpu4x_50_ms")] = _median(slow[mode], "complete")
                results[_key(mode, "tbt_cpu4x_ms")] = _median(slow[mode], "tbt")
            results["browser_reference_cpu4x_50_ms"] = _median(slow["reference"], "complete")
        browser.close()
    return results


def measure_protocols(
    bases: dict[tuple[str, str], str], email: str, password: str, out: Callable[[str], None]
) -> dict[str, Any]:
    """Warm dashboards through the TLS proxy (bench/proxy.py), each mode over HTTP/2 and over
    HTTP/1.1: keys browser_[MODE_]PROTOCOL_complete_warm_ROWS_ms and ..._requests_ROWS."""
    from playwright.sync_api import sync_playwright

    from bench.proxy import PROTOCOLS

    results: dict[str, Any] = {}
    with sync_playwright() as playwright:
        for protocol in PROTOCOLS:
            # Chromium speaks HTTP/2 over TLS whenever the server offers it; the flag stops it.
            only_http1 = ["--disable-http2"] if protocol == "http1" else []
            browser = _launch(playwright, [*CHROMIUM_ARGS, "--ignore-certificate-errors", *only_http1])
            for mode in MODES:
                page, _ = _signed_in(browser, bases[mode, protocol], email, password)
                spoken = page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol")
                if spoken != {"h2": "h2", "http1": "http/1.1"}[protocol]:
                    raise RuntimeError(f"asked for {protocol}, the browser spoke {spoken}")
                for rows in ROWS:
                    url = f"{bases[mode, protocol]}/?per_page={rows}"
                    _load(page, url)
                    warm = [_load(page, url) for _ in range(WARM_RUNS)]
                    results[_key(mode, f"{protocol}_complete_warm_{rows}_ms")] = _median(warm, "complete")
                    results[_key(mode, f"{protocol}_requests_{rows}")] = _median(warm, "requests")
                    took = results[_key(mode, f"{protocol}_complete_warm_{rows}_ms")]
                    out(f"bench --browser --http2: {rows} rows, {mode} over {protocol}: warm {took:.0f} ms")
                page.context.close()
            browser.close()
    return results


def _launch(playwright: Any, args: list[str]) -> Any:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    return playwright.chromium.launch(executable_path=chromium, args=args, headless=True)


def _signed_in(browser: Any, base: str, email: str, password: str) -> tuple[Any, str]:
    """A new tab, signed in at `base`, with the page probe installed; and its CSRF token."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.add_init_script(_PROBE)
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("#login-email", email)
    page.fill("#login-password", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    token = session_csrf_token(page.content())
    if token is None:
        raise RuntimeError("the signed-in dashboard carries no CSRF token")
    return page, token


def _load(page: Any, url: str) -> dict[str, float]:
    """Navigate to `url` and wait until it is complete; what it cost the browser."""
    page.goto(url, wait_until="domcontentloaded")
    page.locator('[aria-busy="true"]').first.wait_for(state="detached", timeout=60_000)
    page.wait_for_function("() => window.__billable_probe.complete !== null", timeout=60_000)
    measured: dict[str, float] = page.evaluate(_RESULT)
    return measured


def _in_turn(
    load: Callable[[str], dict[str, float]], urls: dict[str, str], runs: int
) -> dict[str, list[dict[str, float]]]:
    """`runs` loads of each URL, one of each in turn, after one unmeasured load of each (it fills
    the server's caches and the browser's for the static files)."""
    for url in urls.values():
        load(url)
    measured: dict[str, list[dict[str, float]]] = {name: [] for name in urls}
    for _ in range(runs):
        for name, url in urls.items():
            measured[name].append(load(url))
    return measured


def _key(mode: str, name: str) -> str:
    """browser_NAME for the default mode, browser_MODE_NAME for the others."""
    return f"browser_{name}" if mode == MODES[0] else f"browser_{mode}_{name}"


def _median(runs: list[dict[str, float]], field: str) -> float:
    return float(statistics.median(run[field] for run in runs))


def _record(
    results: dict[str, Any], mode: str, rows: int, warm: list[dict[str, float]], cold: list[dict[str, float]]
) -> None:
    results[_key(mode, f"complete_warm_{rows}_ms")] = _median(warm, "complete")
    results[_key(mode, f"complete_cold_{rows}_ms")] = _median(cold, "complete")
    results[_key(mode, f"requests_{rows}")] = _median(warm, "requests")
    if rows == ROWS[0]:
        results[_key(mode, "tbt_ms")] = _median(warm + cold, "tbt")
        results[_key(mode, "cls")] = max(run["cls"] for run in warm + cold)


@contextmanager
def _cpu_slowdown(page: Any, rate: int) -> Iterator[None]:
    session = page.context.new_cdp_session(page)
    session.send("Emulation.setCPUThrottlingRate", {"rate": rate})
    try:
        yield
    finally:
        session.send("Emulation.setCPUThrottlingRate", {"rate": 1})
