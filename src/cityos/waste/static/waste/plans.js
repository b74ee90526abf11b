/* The planner's page: a plan is built within the request, for up to the solver's time limit.
   Once the form is sent, a progress bar advances with the time spent against that limit (the
   seconds asked for in the form, else the configured limit) and the button is disabled so the
   day is not planned twice. The form still posts normally; without script nothing changes. */
(function () {
  "use strict";
  var form = document.getElementById("plan-form");
  var box = document.getElementById("plan-building");
  if (!form || !box) { return; }
  var bar = document.getElementById("plan-progress-bar");
  var text = document.getElementById("plan-progress-text");
  var button = form.querySelector("button[type=submit]");
  var timer = null;

  function limit() {
    var field = form.elements.seconds;
    var asked = field ? parseFloat(field.value) : NaN;
    var seconds = isFinite(asked) && asked > 0 ? asked : parseFloat(box.dataset.limit);
    return Math.max(1, Math.ceil(seconds || 30));
  }

  function say(elapsed, total) {
    // The live region is told every 5 s (and at the start and the end), not every second.
    var message = elapsed < total
      ? box.dataset.text.replace("{elapsed}", String(elapsed)).replace("{limit}", String(total))
      : box.dataset.finishing;
    if (text.textContent !== message) { text.textContent = message; }
  }

  function reset() {
    if (timer !== null) { window.clearInterval(timer); }
    timer = null;
    box.hidden = true;
    button.disabled = false;
    form.removeAttribute("aria-busy");
  }

  form.addEventListener("submit", function (event) {
    if (timer !== null) { event.preventDefault(); return; }  // already sent: no second plan
    var total = limit();
    var started = Date.now();
    bar.max = total;
    bar.value = 0;
    box.hidden = false;
    // Shown first, then told: a live region that was hidden when it changed is often not read.
    window.setTimeout(function () { say(0, total); }, 50);
    form.setAttribute("aria-busy", "true");
    // The post goes on: a submitter disabled during its submit event still sends (it carries no value).
    button.disabled = true;
    timer = window.setInterval(function () {
      var elapsed = Math.min(Math.floor((Date.now() - started) / 1000), total);
      bar.value = elapsed;
      if (elapsed % 5 === 0 || elapsed >= total) { say(elapsed, total); }
    }, 1000);
  });

  // Back to this page from the browser's cache: the form is ready again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { reset(); }
  });
})();
