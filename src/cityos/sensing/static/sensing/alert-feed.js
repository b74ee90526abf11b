/* Alert feed: server-sent events from the stream URL; each event replaces or adds one row.
   The browser's EventSource reconnects by itself (the server ends each response after about a
   minute) and sends Last-Event-ID, so nothing is missed. New alerts are announced politely. */
(function () {
  "use strict";
  var body = document.getElementById("alert-rows");
  var status = document.getElementById("feed-status");
  if (!body || !body.dataset.stream || !window.EventSource) { return; }
  var source = new EventSource(body.dataset.stream);
  // Each response ends after about a minute and the browser reconnects at once: only a
  // reconnection that takes longer than a few seconds is news worth announcing.
  var offlineTimer = null;
  var shown = "";
  var applied = {};
  function say(text) { if (text !== shown) { shown = text; status.textContent = text; } }
  source.addEventListener("open", function () {
    window.clearTimeout(offlineTimer);
    offlineTimer = null;
    if (shown === "" || shown === status.dataset.offlineLabel) { say(status.dataset.liveLabel); }
  });
  source.addEventListener("error", function () {
    if (offlineTimer === null) {
      offlineTimer = window.setTimeout(function () {
        offlineTimer = null;
        if (source.readyState !== EventSource.OPEN) { say(status.dataset.offlineLabel); }
      }, 5000);
    }
  });
  source.addEventListener("alert", function (event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    // The server looks a few seconds back after a reconnection: skip what this page already shows.
    var key = data.id + "@" + data.changed;
    if (applied[key]) { return; }
    applied[key] = true;
    var existing = document.getElementById("alert-" + data.id);
    // What the page already showed when it was made (the stream looks a few seconds back).
    var renderedAt = Date.parse(body.dataset.since || "");
    if (Date.parse(data.changed) <= renderedAt && (!existing || existing.dataset.state === data.state)) { return; }
    // A row the filters leave out is not added; one on the page is always brought up to date.
    var wanted = body.dataset.stateFilter || "";
    var fits = !wanted || wanted === data.state || (wanted === "active" && data.state !== "resolved");
    if (!existing && !fits) { return; }
    var template = document.createElement("tbody");
    template.innerHTML = data.html;
    var row = template.querySelector("tr");
    if (!row) { return; }
    if (existing) {
      existing.replaceWith(row);
      say(status.dataset.changedLabel + " " + data.text + " (" + data.state_label + ")");
    } else {
      body.insertBefore(row, body.firstChild);
      var empty = document.getElementById("no-alerts");
      if (empty) { empty.remove(); }
      say(status.dataset.newLabel + " " + data.text);
    }
    row.classList.add("flash");
    window.setTimeout(function () { row.classList.remove("flash"); }, 4000);
  });
})();
