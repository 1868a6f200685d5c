// Billable's only script besides htmx. No inline scripts anywhere (CSP-ready).
"use strict";

// Streamed pages (web/streaming.py, static/stream.js): placeholders wait for their part of the
// stream (hx-trigger="billable:unfilled"). When a stream ends, those it did not fill (it was cut
// short) ask for their partial themselves, as every placeholder does when pages are not streamed.
// A filter change, paging, sorting or Back is streamed as server-sent events through htmx's SSE
// extension; a page load, by stream.js.
const UNFILLED = "billable:unfilled";
const requested = new WeakSet(); // elements that have started a request: they heard their trigger
document.addEventListener("htmx:before:request", (event) => requested.add(event.target));
function loadUnfilled() {
  // htmx may not be listening yet: a stream cut right after its shell can end (and stream.js, an
  // async script, run) before htmx has set the page up, and an event nobody hears is lost. So those
  // that have not started their request are asked again, every 100 ms for up to 2 s.
  const pending = [...document.querySelectorAll(`[hx-trigger="${UNFILLED}"]`)];
  let tries = 0;
  const ask = () => {
    const unheard = pending.filter((el) => el.isConnected && !requested.has(el));
    for (const placeholder of unheard) placeholder.dispatchEvent(new CustomEvent(UNFILLED));
    if (unheard.length && ++tries < 20) setTimeout(ask, 100);
  };
  ask();
}
// stream.js marks the page when its stream has ended, as it may end before this script runs.
if (document.documentElement.hasAttribute("data-stream-ended")) loadUnfilled();
else document.addEventListener("billable:stream:end", loadUnfilled, { once: true });
document.addEventListener("htmx:sse:close", (event) => {
  // Not for a stream aborted by a newer change of filter: what is unfilled now is the newer one's.
  const signal = event.detail.connection && event.detail.connection.abortController.signal;
  if (!(signal && signal.aborted)) loadUnfilled();
});

// A stale partial inside another stale one (the rows of a client list served from an expired cache
// entry) does not ask for itself: the outer one's refresh brings it, with its rows in place
// (web/streaming.py, with_parts_inline). One request, not one per row.
document.addEventListener("htmx:before:request", (event) => {
  const source = event.detail.ctx.sourceElement;
  if (source.hasAttribute("data-stale") && source.parentElement.closest("[data-stale]")) event.preventDefault();
});

// htmx 4.0.1's SSE extension closes a stream by calling ctx.request.abort, which Back's history
// restore does not set: it threw "abort is not a function" when that stream ended.
document.addEventListener("htmx:sse:after:connection", (event) => {
  const connection = event.detail.connection;
  if (typeof connection.abortController.abort !== "function") connection.abortController = new AbortController();
});

// Each part of an event stream is a swap of the same request, and htmx would push its URL into the
// history once per part: Back would then step through copies of the same page.
document.addEventListener("htmx:before:history:update", (event) => {
  if (new URL(event.detail.history.path, location.href).href === location.href) event.preventDefault();
});

// The dashboard's filter form. Its listeners are on the document, not on the form: going Back,
// htmx restores the page by replacing the body, and listeners on the old form would be gone with it.
const filterForm = () => document.getElementById("filters");
const fromFilters = (event) => event.detail.ctx.sourceElement === filterForm();

// Back or Forward while a filter change is still streaming ends that stream. Its later parts would
// land on the page being restored and push their URL into the history again (seen once in CI: Back
// to "churned", then the old search's last part put its URL back). The form is the stream's source
// (sorting and paging go through it too), so its events come to the form.
const filterStreams = new Set();
document.addEventListener("htmx:sse:after:connection", (event) => {
  if (event.target === filterForm()) filterStreams.add(event.detail.connection);
});
document.addEventListener("htmx:sse:close", (event) => filterStreams.delete(event.detail.connection));
window.addEventListener("popstate", () => {
  for (const connection of filterStreams) {
    connection.reader?.cancel();
    connection.abortController.abort();
  }
  filterStreams.clear();
});

// A change to a select or date applies the filters once the changes settle, except a custom
// range still missing one of its dates: applying it would only produce an error. Typing a date's
// digits, or arrowing through a select, changes it several times in a row: each applied would
// be a request, a flash of "not a date" for a half-typed year, and an entry in the history.
// Apply (or Enter) applies at once. Not hx-trigger="change delay:600ms": the exception for a
// half-chosen range would be a trigger filter, which htmx evaluates with new Function (refused by
// our CSP), and a request sent anyway would show the error it avoids.
const SETTLE_MS = 600;
let settling = null;
document.addEventListener("change", (event) => {
  const form = filterForm();
  const target = event.target;
  if (!form || !form.contains(target) || !target.classList.contains("auto-submit")) return;
  const period = form.elements.period;
  const custom = period.value === "custom";
  // Script, not a CSS :has() rule on the select: with that rule, a 200-row dashboard completed
  // slower in the browser benchmark (344-403 ms against 291 without it).
  form.querySelectorAll(".custom-range").forEach((el) => { el.hidden = !custom; });
  clearTimeout(settling);
  if (custom && !(form.elements.from.value && form.elements.to.value)) {
    if (target === period) form.elements.from.focus();
    return;
  }
  settling = setTimeout(() => form.requestSubmit(), SETTLE_MS);
});

// Sorting and paging links (partials/dashboard/client-list.html) load the dashboard as the filter
// form does, as a request of the form: the form is not replaced by the answer, which a streamed
// answer needs (htmx's SSE extension stops reading once the element it was sent from is gone), and
// a newer change of filter aborts it (the form's hx-sync). A click with a modifier opens a tab.
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[data-dashboard-link]");
  const form = filterForm();
  if (!link || !form || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  htmx.ajax("GET", link.getAttribute("href"), { source: form, fromLink: true }).catch(() => {});
});

// After a change of filter, what the list now holds is said (#filter-announce, a status region
// that stays while the dashboard is replaced), once the list has arrived: a list sorted by a
// figure comes after the rest.
let announcing = false;

document.addEventListener("htmx:config:request", (event) => {
  if (!fromFilters(event)) return;
  clearTimeout(settling); // applied now (Apply, Enter, or the search as typed): nothing left to send
  announcing = true;
  // Keep shareable URLs short: leave out empty fields, and dates unless the range is custom (htmx 4
  // has no hx-params, and the answer is a stream whose headers could not name the URL instead). A
  // sorting or paging link's URL says everything already: the form's fields are left out.
  const body = event.detail.ctx.request.body;
  if (!body) return;
  if (event.detail.ctx.fromLink) {
    for (const key of [...body.keys()]) body.delete(key);
    return;
  }
  const custom = body.get("period") === "custom";
  for (const [key, value] of [...body.entries()]) {
    if (value === "" || (!custom && (key === "from" || key === "to"))) body.delete(key);
  }
});

document.addEventListener("htmx:after:settle", () => {
  const form = filterForm();
  if (!form) return;
  // The form stays while the dashboard is reloaded: its errors come with each answer (the .sync
  // paragraphs), and each field says it is invalid exactly while its error shows.
  for (const error of form.querySelectorAll(".field-error")) {
    const field = form.querySelector(`[aria-describedby="${error.id}"]`);
    if (field && error.textContent.trim()) field.setAttribute("aria-invalid", "true");
    else if (field) field.removeAttribute("aria-invalid");
  }
  if (!announcing) return;
  if (document.querySelector("#dashboard .notice--error")) {
    announcing = false; // wrong filters: the notice is an alert, read out by itself
    return;
  }
  const list = document.querySelector("#client-list:not([aria-busy])");
  const said = list && list.querySelector("caption, .empty");
  if (!said) return;
  document.getElementById("filter-announce").textContent = said.textContent.trim().replace(/\s+/g, " ");
  announcing = false;
});

// A partial whose answer did not come from the app (the network failed, the request timed out, or
// a proxy answered 502 with a page of its own) gets the error state the app gives a failing
// partial: a message and a Retry. Left to htmx it would stay a skeleton for good, or show the
// proxy's text in its place. The app's own answers, errors included, carry X-Response-Time
// (web/timing.py) and are swapped as usual.
function isPartialRequest(ctx) {
  return ctx && ctx.target && ctx.target.id && ctx.request.action.startsWith("/partials/");
}

function showUnreachable(ctx) {
  // As the app's own error state (partials/_frames): a card keeps its title, a row names its client.
  const elt = ctx.target;
  const title = elt.querySelector(".card__title");
  const label = elt.tagName === "TR" && elt.cells.length ? elt.cells[0].textContent.trim() : "";
  const message = document.createElement("p");
  message.className = "card__error";
  message.setAttribute("role", "alert");
  message.textContent = (label ? label + ": " : "") + "This could not be loaded: no answer from the server.";
  const retry = document.createElement("button");
  retry.type = "button";
  retry.className = "button button--small";
  retry.textContent = "Retry";
  retry.setAttribute("hx-get", ctx.request.action);
  retry.setAttribute("hx-target", "#" + elt.id);
  retry.setAttribute("hx-swap", "outerHTML");
  retry.dataset.focusInstead = elt.id; // once it has loaded (see the focus handling below)
  const cell = elt.tagName === "TR" ? document.createElement("td") : elt;
  if (cell !== elt) cell.colSpan = elt.cells.length || 1;
  elt.replaceChildren(...(title ? [title] : []));
  if (cell !== elt) elt.append(cell);
  cell.append(message, retry);
  elt.removeAttribute("aria-busy");
  elt.classList.remove("card--loading", "row--loading");
  elt.classList.add(elt.tagName === "TR" ? "row--error" : "card--error", "partial--unreachable");
  htmx.process(elt);
}

document.addEventListener("htmx:error", (event) => {
  const ctx = event.detail.ctx;
  if (isPartialRequest(ctx) && ctx.target.isConnected) showUnreachable(ctx);
});

document.addEventListener("htmx:after:request", (event) => {
  const ctx = event.detail.ctx;
  const response = ctx && ctx.response;
  if (!isPartialRequest(ctx) || !response || response.status < 400) return;
  if (response.headers.has("x-response-time")) return;
  event.preventDefault();
  showUnreachable(ctx);
});

// Focus stays where the user was across a reload of part of the page: a link that reloads the
// dashboard (sorting, paging) is replaced by its new copy, which has the same id. htmx moves focus
// to it when it is in the swapped content; when it arrives later (a list sorted by a figure comes
// as a partial of its own), it is focused then, unless the user has moved on meanwhile. A control
// that goes away for good (a Delete, once its row is gone; a Retry, once its card has loaded) names
// in data-focus-instead the id to focus then; otherwise focus would fall to the page itself. (A
// form that comes back with errors needs nothing here: its first invalid field has autofocus,
// web/templates/_fields.html, which htmx focuses once the swap has settled; see below.)
let focusAwaited = null;
let focusInstead = null;
let focusNoted = null; // the element itself: a settle that did not replace it is about something else
// A paging link that is not on the page it led to (Next, on the last page) hands focus to the other.
const FOCUS_INSTEAD = { "list-next": "list-previous", "list-previous": "list-next" };

function noteFocus() {
  const active = document.activeElement;
  if (!active || active === document.body || !(active.id || active.dataset.focusInstead)) return;
  focusAwaited = active.id || null;
  focusInstead = active.dataset.focusInstead || null;
  focusNoted = active;
}
document.addEventListener("htmx:before:swap", noteFocus);
// Also when a request starts, for the button it comes from: the request disables it (a form's
// buttons while it is sent, a Delete), and a disabled button has lost focus when the answer
// arrives. Not for other requests: a click elsewhere meanwhile must not be undone.
document.addEventListener("htmx:config:request", (event) => {
  const active = document.activeElement;
  if (active && active.tagName === "BUTTON" && event.detail.ctx.sourceElement.contains(active)) noteFocus();
});

document.addEventListener("htmx:after:settle", () => {
  if (!focusAwaited && !focusInstead) return;
  const active = document.activeElement;
  const lost = !active || active === document.body;
  // Another swap settled first (the client select's services arriving while the form is sent):
  // the control is still there, so its own answer is still to come.
  if (focusNoted && focusNoted.isConnected && (lost || active === focusNoted)) return;
  if (!lost && active.id !== focusAwaited) {
    // Still on a control whose own removal comes with a later swap (the Delete's row is reloaded
    // after its message arrives), or on something else: the user is elsewhere now.
    if (!active.dataset.focusInstead) focusAwaited = focusInstead = null;
    return;
  }
  const listArrived = document.querySelector("#client-list:not([aria-busy])");
  const byId = (id) => (id ? document.getElementById(id) : null);
  const again =
    byId(focusAwaited) ||
    (listArrived && FOCUS_INSTEAD[focusAwaited] && byId(FOCUS_INSTEAD[focusAwaited])) ||
    (lost && byId(focusInstead));
  if (again && again !== active) again.focus({ preventScroll: true });
  if (again || listArrived) focusAwaited = focusInstead = null;
});

// htmx focuses [autofocus] in what it swaps in, after this event and whatever the user did meanwhile:
// a form's first field to correct (web/templates/_fields.html), the entry form that Edit opens. If the
// user has gone elsewhere since the request was sent (clicked or tabbed away while it was on its way),
// the autofocus is dropped: the keyboard stays where the user took it.
const focusedAtRequest = new WeakMap(); // source element -> what had focus when it sent its request
document.addEventListener("htmx:config:request", (event) => {
  focusedAtRequest.set(event.detail.ctx.sourceElement, document.activeElement);
});
document.addEventListener("htmx:after:settle", (event) => {
  const { task, newContent } = event.detail;
  const source = task && task.sourceElement;
  if (!source || !focusedAtRequest.has(source) || !newContent) return;
  const active = document.activeElement;
  const added = [...newContent].filter((node) => node instanceof Element);
  const movedOn = active && active !== document.body && active !== focusedAtRequest.get(source) &&
    !added.some((el) => el.contains(active)); // not the focus handling above, on the new copy
  if (!movedOn) return;
  for (const el of added) {
    for (const field of [el, ...el.querySelectorAll("[autofocus]")]) field.removeAttribute("autofocus");
  }
});

// Esc in the timesheet's entry form, while it edits an entry, cancels the edit as its Cancel button
// does (back to a new entry's form). A listener here, not hx-trigger="keyup[key=='Escape']": htmx
// evaluates such filters with new Function, which the CSP refuses. An Esc another handler already
// used (defaultPrevented) is left alone.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || event.defaultPrevented) return;
  const form = event.target.closest && event.target.closest("#entry-form");
  const cancel = form && form.querySelector(".entry-form__cancel");
  if (!cancel) return;
  event.preventDefault();
  cancel.click();
});

// A write refused for its CSRF token: the session changed since this page was loaded (signed out
// and in again in another tab). The server swaps nothing for htmx (web/auth/guard.py), so what was
// typed stays. Here the page's current token is read and the request sent again, once; when the
// browser is signed out, the page says so and the form keeps what was typed for after signing in.
const CSRF_HEADERS = "hx-headers:inherited"; // on <body> (web/templates/layout.html)
async function currentCsrfToken() {
  const response = await fetch(location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
  if (!response.ok || new URL(response.url).pathname === "/login") return null;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const headers = page.body.getAttribute(CSRF_HEADERS);
  return headers ? JSON.parse(headers)["X-CSRF-Token"] : null;
}

function showPageNotice(html) {
  let notice = document.getElementById("page-notice");
  if (!notice) {
    notice = document.createElement("div");
    notice.id = "page-notice";
    notice.className = "notice notice--error";
    notice.setAttribute("role", "alert");
    document.getElementById("main").prepend(notice);
  }
  notice.innerHTML = html;
}

document.addEventListener("htmx:after:request", async (event) => {
  const ctx = event.detail.ctx;
  const source = ctx && ctx.sourceElement;
  if (!source || !ctx.response) return;
  if (!ctx.response.headers.has("x-billable-csrf-refused")) {
    delete source.dataset.csrfRetried;
    const notice = document.getElementById("page-notice");
    if (notice && ctx.request.method !== "GET") notice.remove(); // a write went through again
    return;
  }
  const token = source.dataset.csrfRetried ? null : await currentCsrfToken().catch(() => null);
  if (!token) {
    delete source.dataset.csrfRetried;
    showPageNotice('This was not saved: you are signed out. <a href="/login" target="_blank">Sign in</a> ' +
      "in another tab, then try again here; what you typed is kept.");
    return;
  }
  document.body.setAttribute(CSRF_HEADERS, JSON.stringify({ "X-CSRF-Token": token }));
  source.dataset.csrfRetried = "true";
  // The same request again, once htmx has finished with this one (its buttons enabled again);
  // without its confirm question: the user has answered it already.
  setTimeout(() => htmx.ajax(ctx.request.method, ctx.request.action, { source, confirm: null }).catch(() => {}), 0);
});

// Signed out (in another tab, or the session ran out) while typing into a form: a request for a
// piece of the page answers 401 and would send the browser to sign in, losing what was typed.
// Then the page stays, and says so; with nothing typed, the browser goes to sign in as usual.
function somethingTyped() {
  for (const form of document.querySelectorAll("form:not(#filters)")) {
    for (const field of form.elements) {
      if (field.type === "hidden" || field.type === "submit" || field.type === "button") continue;
      if (field.tagName === "SELECT" && [...field.options].some((o) => o.selected !== o.defaultSelected)) return true;
      if ((field.type === "checkbox" || field.type === "radio") && field.checked !== field.defaultChecked) return true;
      if ("defaultValue" in field && field.tagName !== "SELECT" && field.value !== field.defaultValue) return true;
    }
  }
  return false;
}

document.addEventListener("htmx:after:request", (event) => {
  const ctx = event.detail.ctx;
  if (!ctx || !ctx.response || ctx.response.status !== 401 || !somethingTyped()) return;
  event.preventDefault();
  showPageNotice('You are signed out. <a href="/login" target="_blank">Sign in</a> in another tab, ' +
    "then go on here; what you typed is kept.");
});

// A form of ours submitted in the moment between its arrival in the page and htmx taking it up
// (an Enter pressed as a saved entry's form is swapped in) would be submitted by the browser
// itself: a GET of the page with the fields in the URL, which reloads the page and empties the
// form. Such a submit is dropped; htmx's own handler on the form has already run otherwise.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.matches("form[hx-post]") && !form.hasAttribute("data-htmx-powered")) event.preventDefault();
});
