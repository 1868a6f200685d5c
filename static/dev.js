// Development mode only: reload the page when a template, partial or static file changes.
"use strict";
new EventSource("/dev/events").addEventListener("message", (event) => {
  if (event.data === "reload") window.location.reload();
});
