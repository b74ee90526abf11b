// Staff navigation menus (details/summary): one open at a time, closed by Escape or a click elsewhere.
(function () {
  "use strict";
  var groups = document.querySelectorAll(".nav-group details");
  if (!groups.length) return;
  function closeAll(except) {
    groups.forEach(function (group) { if (group !== except) group.open = false; });
  }
  groups.forEach(function (group) {
    group.addEventListener("toggle", function () { if (group.open) closeAll(group); });
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest(".nav-group")) closeAll(null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector(".nav-group details[open]");
    if (open) { open.open = false; open.querySelector("summary").focus(); }
  });
})();
