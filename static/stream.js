// Streamed pages (web/streaming.py). A page the browser navigates to arrives as its shell (with
// the partials done by then already in place), then each other partial as
// <template data-fill="ID">, in the order the server finished them: each takes the place of the
// element with that id as soon as the parser has read it whole. (The parts in place carry their
// timings in <template data-in-place>, which only the page waterfall reads: handling those here,
// a mark and a removal each, cost a warm page up to 10 ms.) Loaded `async` from
// the head of streamed pages only: it never holds the parser back (a script in the body waited for
// the stylesheet first, and the parts behind it waited too).
"use strict";
(() => {
  const TEMPLATES = "template[data-fill]";

  // For the page waterfall (static/waterfall.js): when each part landed, and its server time.
  function mark(template) {
    const { label, serverTiming } = template.dataset;
    performance.mark("billable:part", { detail: { label, serverTiming } });
  }

  function fill(template) {
    const target = document.getElementById(template.dataset.fill);
    const root = template.content.firstElementChild;
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
  // Templates are the body's children; only the ones just added are looked at (a query of the
  // whole document on every batch the parser adds cost more than the page's own scripts).
  let waiting = [];
  function fillParsed(templates) {
    waiting.push(...templates);
    waiting = waiting.filter((template) => {
      if (!template.nextSibling) return true;
      fill(template);
      return false;
    });
  }
  function added(records) {
    const templates = [];
    for (const record of records) {
      for (const node of record.addedNodes) if (node.nodeName === "TEMPLATE" && node.dataset.fill) templates.push(node);
    }
    fillParsed(templates);
  }

  let htmxStarted = false;
  const observer = new MutationObserver(added);
  function watchBody() {
    observer.observe(document.body, { childList: true });
    fillParsed(document.querySelectorAll(TEMPLATES));
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
