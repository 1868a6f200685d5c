// The page waterfall (?timings=1, admins): once every partial has loaded, list each one's start,
// end, server time and cache outcome as the browser saw them (PerformanceResourceTiming.serverTiming,
// or the server timing a streamed part carried), so anyone can see which partial held the page back.
"use strict";

(() => {
  const panel = document.getElementById("waterfall");
  if (!panel) return;

  const pending = () => document.querySelectorAll("[aria-busy=true]").length;

  // '1.2' from 'total;dur=1.2, db;dur=0.5;desc="2 queries", cache;desc="hit"', as the browser
  // reads a Server-Timing header for its resource entries.
  function parseServerTiming(header) {
    return (header || "").split(",").map((part) => {
      const [name, ...params] = part.trim().split(";");
      const metric = { name, duration: 0, description: "" };
      for (const param of params) {
        const [key, value = ""] = param.split("=");
        if (key === "dur") metric.duration = parseFloat(value);
        if (key === "desc") metric.description = value.replace(/^"|"$/g, "");
      }
      return metric;
    });
  }

  // Every partial this page loaded: requested one by one (their resource entries), or streamed in
  // the page's own response (a mark static/stream.js made as each landed, or, for the parts in
  // place in the shell, the template carrying their timing).
  function partials() {
    const requested = performance.getEntriesByType("resource")
      .filter((e) => new URL(e.name).pathname.startsWith("/partials/"))
      .map((e) => {
        const url = new URL(e.name);
        const client = url.searchParams.get("client");
        return { label: url.pathname.replace("/partials/", "") + (client ? " #" + client : ""),
          start: e.startTime, end: e.responseEnd, serverTiming: e.serverTiming };
      });
    const navigation = performance.getEntriesByType("navigation")[0];
    const arrived = navigation ? navigation.responseStart : 0;
    const streamed = performance.getEntriesByName("billable:part", "mark").map((m) => ({
      label: m.detail.label, start: arrived, end: m.startTime,
      serverTiming: parseServerTiming(m.detail.serverTiming),
    }));
    // Parts the server put in place in the shell arrived with its first bytes.
    const inPlace = [...document.querySelectorAll("template[data-in-place]")].map((t) => ({
      label: t.dataset.label, start: arrived, end: arrived, serverTiming: parseServerTiming(t.dataset.serverTiming),
    }));
    return [...requested, ...streamed, ...inPlace];
  }

  const metric = (entry, name) => entry.serverTiming.find((m) => m.name === name);

  function render() {
    const entries = partials();
    const end = Math.max(1, ...entries.map((e) => e.end));
    const table = document.createElement("table");
    table.className = "ops-table";
    table.innerHTML = "<caption>Partials as this browser loaded them (ms since navigation start)</caption>" +
      "<thead><tr><th scope='col'>Partial</th><th scope='col' class='num'>Start</th><th scope='col' class='num'>End</th>" +
      "<th scope='col' class='num'>Server</th><th scope='col' class='num'>DB</th><th scope='col'>Cache</th>" +
      "<th scope='col'>Timeline</th></tr></thead>";
    const body = document.createElement("tbody");
    for (const entry of entries.sort((a, b) => a.start - b.start || a.end - b.end)) {
      const row = body.insertRow();
      const cells = [
        entry.label,
        entry.start.toFixed(0), entry.end.toFixed(0),
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
      bar.style.marginLeft = (100 * entry.start / end).toFixed(1) + "%";
      bar.style.width = Math.max(0.5, 100 * (entry.end - entry.start) / end).toFixed(1) + "%";
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
