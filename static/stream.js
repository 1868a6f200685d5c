// Streamed pages (web/streaming.py). A page the browser navigates to arrives as its shell (with
// the partials done by then already in place), then each other partial as
// <template data-fill="ID">, in the order the server finished them: each takes the place of the
// element with that id as soon as the parser has read it whole. Loaded `async` from
// the head of streamed pages only: it never holds the parser back (a script in the body waited for
// the stylesheet first, and the parts behind it waited too).
"use strict";
(() => {
  const TEMPLATES = "template[data-fill], template[data-in-place]";

  // For the page waterfall (static/waterfall.js): when each part landed, and its server time.
  function mark(template) {
    const { label, serverTiming } = template.dataset;
    performance.mark("billable:part", { detail: { label, serverTiming } });
  }

  function fill(template) {
    // data-in-place: a part the server put in place in the shell; only its timing comes here.
    const target = template.dataset.fill ? document.getElementById(template.dataset.fill) : null;
    const root = template.content.firstElementChild;
    if (template.dataset.inPlace) mark(template);
    if (target && root) {
      mark(template);
      target.replaceWith(template.content);
      // Normally htmx starts after the last part and takes up the whole page then; a part placed
      // after it started (this script came late) is handed to it.
      if (htmxStarted && window.htmx) window.htmx.process(root);
    }
    template.remove();
  }

  // A template followed by anything (the server ends each with a newline) has been parsed whole.
  function fillParsed() {
    for (const template of document.querySelectorAll(TEMPLATES)) {
      if (template.nextSibling) fill(template);
    }
  }

  let htmxStarted = false;
  const observer = new MutationObserver(fillParsed);
  function watchBody() {
    observer.observe(document.body, { childList: true });
    fillParsed();
  }
  if (document.body) {
    watchBody();
  } else {
    new MutationObserver((_, waiting) => {
      if (!document.body) return;
      waiting.disconnect();
      watchBody();
    }).observe(document.documentElement, { childList: true });
  }

  function finish(late) {
    observer.disconnect();
    htmxStarted = late;
    document.querySelectorAll(TEMPLATES).forEach(fill);
    // After htmx's own start (its listener runs after this one): static/app.js has any placeholder
    // the stream did not fill, because it was cut, ask for its partial itself.
    setTimeout(() => {
      htmxStarted = true;
      document.documentElement.setAttribute("data-stream-ended", "");  // for static/app.js, if it runs later
      document.dispatchEvent(new CustomEvent("billable:stream:end"));
    }, 0);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => finish(false));
  else finish(true);
})();
