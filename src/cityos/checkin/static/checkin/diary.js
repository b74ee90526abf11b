// The "my visits" diary kept on this device (localStorage), for visitors without an account.
(function () {
  "use strict";
  var KEY = "cityos-checkin-diary";
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(items) {
    try { localStorage.setItem(KEY, JSON.stringify(items.slice(0, 200))); } catch (e) { /* private mode */ }
  }
  var visit = document.getElementById("visit");
  if (visit) {
    var items = load().filter(function (item) { return item.token !== visit.dataset.token; });
    items.unshift({ token: visit.dataset.token, venue: visit.dataset.venue, checkedIn: visit.dataset.in, checkedOut: visit.dataset.out });
    save(items);
  }
  var list = document.getElementById("diary");
  if (list) {
    var diary = load();
    var cutoff = Date.now() - Number(list.dataset.retentionDays || 21) * 24 * 3600 * 1000;
    diary = diary.filter(function (item) { return Date.parse(item.checkedIn) > cutoff; });
    save(diary);
    diary.forEach(function (item) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = list.dataset.doneUrl.replace("TOKEN", encodeURIComponent(item.token));
      link.textContent = item.venue;
      var when = document.createElement("time");
      when.dateTime = item.checkedIn;
      when.textContent = " " + new Date(item.checkedIn).toLocaleString(document.documentElement.lang);
      li.appendChild(link);
      li.appendChild(when);
      list.appendChild(li);
    });
    if (diary.length) {
      list.hidden = false;
      document.getElementById("diary-empty").hidden = true;
      var clear = document.getElementById("diary-clear");
      clear.hidden = false;
      clear.addEventListener("click", function () {
        save([]);
        list.replaceChildren();
        list.hidden = true;
        clear.hidden = true;
        document.getElementById("diary-empty").hidden = false;
      });
    }
  }
})();
