// Billable's only script besides htmx. No inline scripts anywhere (CSP-ready).
"use strict";

// Every htmx request carries the session's CSRF token. Set here, once, because htmx 4 does not
// inherit hx-headers implicitly; the server refuses writes without it.
document.addEventListener("htmx:config:request", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) event.detail.ctx.request.headers["X-CSRF-Token"] = token.content;
});

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("filters");
  if (!form) return;
  const period = form.querySelector("#filter-period");
  const customFields = form.querySelectorAll(".custom-range");

  // A change to a select or date applies the filters at once, except a custom range still
  // missing one of its dates: applying it would only produce an error.
  form.addEventListener("change", (event) => {
    const target = event.target;
    if (!target.classList || !target.classList.contains("auto-submit")) return;
    const custom = period.value === "custom";
    customFields.forEach((el) => { el.hidden = !custom; });
    if (custom && !(form.elements.from.value && form.elements.to.value)) {
      if (target === period) form.elements.from.focus();
      return;
    }
    form.requestSubmit();
  });

  // Keep shareable URLs short: leave out empty fields, and dates unless the range is custom.
  form.addEventListener("htmx:config:request", (event) => {
    const body = event.detail.ctx.request.body;
    if (!body) return;
    const custom = body.get("period") === "custom";
    for (const [key, value] of [...body.entries()]) {
      if (value === "" || (!custom && (key === "from" || key === "to"))) body.delete(key);
    }
  });
});
