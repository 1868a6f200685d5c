// The page waterfall (?timings=1, admins): once every partial has loaded, list each one's start,
// end, server time and cache outcome as the browser saw them (PerformanceResourceTiming.serverTiming),
// so anyone can see which partial held the page back.
"use strict";

(() => {
  const panel = document.getElementById("waterfall");
  if (!panel) return;

  const pending = () => document.querySelectorAll("[aria-busy=true]").length;
  const metric = (entry, name) => entry.serverTiming.find((m) => m.name === name);

  function render() {
    const entries = performance.getEntriesByType("resource").filter((e) => new URL(e.name).pathname.startsWith("/partials/"));
    const end = Math.max(1, ...entries.map((e) => e.responseEnd));
    const table = document.createElement("table");
    table.className = "ops-table";
    table.innerHTML = "<caption>Partials as this browser loaded them (ms since navigation start)</caption>" +
      "<thead><tr><th scope='col'>Partial</th><th scope='col' class='num'>Start</th><th scope='col' class='num'>End</th>" +
      "<th scope='col' class='num'>Server</th><th scope='col' class='num'>DB</th><th scope='col'>Cache</th>" +
      "<th scope='col'>Timeline</th></tr></thead>";
    const body = document.createElement("tbody");
    for (const entry of entries.sort((a, b) => a.startTime - b.startTime)) {
      const url = new URL(entry.name);
      const row = body.insertRow();
      const cells = [
        url.pathname.replace("/partials/", "") + (url.searchParams.get("client") ? " #" + url.searchParams.get("client") : ""),
        entry.startTime.toFixed(0), entry.responseEnd.toFixed(0),
        metric(entry, "total") ? metric(entry, "total").duration.toFixed(2) : "–",
        metric(entry, "db") ? metric(entry, "db").duration.toFixed(2) : "–",
        metric(entry, "cache") ? metric(entry, "cache").description : "–",
      ];
      cells.forEach((text, i) => {
        const cell = i === 0 ? document.createElement("th") : row.insertCell();
        if (i === 0) { cell.scope = "row"; row.appendChild(cell); }
        if (i >= 1 && i <= 4) cell.className = "num";
        cell.textContent = text;
      });
      const bar = document.createElement("span");
      bar.className = "waterfall__bar";
      // CSSOM, not a style attribute: allowed by the Content-Security-Policy.
      bar.style.marginLeft = (100 * entry.startTime / end).toFixed(1) + "%";
      bar.style.width = Math.max(0.5, 100 * (entry.responseEnd - entry.startTime) / end).toFixed(1) + "%";
      row.insertCell().appendChild(bar);
    }
    table.appendChild(body);
    panel.replaceChildren(table);
    panel.hidden = false;
  }

  function whenLoaded() {
    if (pending() === 0) render();
    else setTimeout(whenLoaded, 100);
  }
  window.addEventListener("load", whenLoaded);
})();
