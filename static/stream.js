// Streamed pages (web/streaming.py). A page the browser navigates to arrives as its shell, then
// each partial as <template data-fill="ID">, in the order the server finished them: each takes the
// place of the element with that id as soon as the parser has read it whole. This script is loaded
// right after the shell, before the first part, and only on streamed pages.
"use strict";
(() => {
  function fill(template) {
    const target = document.getElementById(template.dataset.fill);
    const root = template.content.firstElementChild;
    if (target && root) {
      // For the page waterfall (static/waterfall.js): when each part landed, and its server time.
      const { label, serverTiming } = template.dataset;
      performance.mark("billable:part", { detail: { label, serverTiming } });
      target.replaceWith(template.content); // htmx takes up the whole page once it is parsed
    }
    template.remove();
  }

  // A template followed by anything (the server ends each with a newline) has been parsed whole.
  function fillParsed() {
    for (const template of document.querySelectorAll("template[data-fill]")) {
      if (template.nextSibling) fill(template);
    }
  }

  const observer = new MutationObserver(fillParsed);
  observer.observe(document.body, { childList: true });
  document.addEventListener("DOMContentLoaded", () => {
    observer.disconnect();
    document.querySelectorAll("template[data-fill]").forEach(fill);
    // After htmx's own start (its listener runs after this one): static/app.js has any placeholder
    // the stream did not fill, because it was cut, ask for its partial itself.
    setTimeout(() => document.dispatchEvent(new CustomEvent("billable:stream:end")), 0);
  });
})();
