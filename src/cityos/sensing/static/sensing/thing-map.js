/* Sensor map: colours the things that web/map.html's "places" layer draws by their state and
   redraws them from the API every data-refresh seconds, keeping the map where the user left it. */
(function () {
  "use strict";
  var STYLES = {
    ok: { radius: 7, color: "#ffffff", weight: 2, fillColor: "#1d6b2f", fillOpacity: 0.95 },
    alert: { radius: 10, color: "#1b1f24", weight: 3, fillColor: "#a1141b", fillOpacity: 0.95 },
    silent: { radius: 7, color: "#1b1f24", weight: 2, fillColor: "#ffffff", fillOpacity: 0.95, dashArray: "3 3" },
    low_battery: { radius: 8, color: "#1b1f24", weight: 2, fillColor: "#8a5300", fillOpacity: 0.95 }
  };
  function text(tag, value) { var el = document.createElement(tag); el.textContent = value; return el; }
  function popup(p, labels) {
    var box = document.createElement("div");
    box.appendChild(text("strong", p.name || ""));
    box.appendChild(text("div", [p.kind, p.state_label].filter(Boolean).join(" · ")));
    if (p.battery !== null && p.battery !== undefined) { box.appendChild(text("div", labels.battery + ": " + Math.round(p.battery) + "%")); }
    if (p.last_seen_at) { box.appendChild(text("div", labels.lastSeen + ": " + new Date(p.last_seen_at).toLocaleString())); }
    if (p.open_alerts) { box.appendChild(text("div", labels.alerts + ": " + p.open_alerts)); }
    if (p.url) { var a = text("a", labels.details); a.href = p.url; var line = document.createElement("div"); line.appendChild(a); box.appendChild(line); }
    return box;
  }
  function setup(wrapper) {
    var element = wrapper.querySelector(".map");
    if (!element) { return; }
    var labels = { battery: wrapper.dataset.labelBattery, lastSeen: wrapper.dataset.labelLastSeen,
      details: wrapper.dataset.labelDetails, alerts: wrapper.dataset.labelAlerts };
    var current = null;
    function draw(map, data) {
      var layer = L.geoJSON(data, {
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, STYLES[(feature.properties || {}).state] || STYLES.ok);
        },
        onEachFeature: function (feature, lyr) { lyr.bindPopup(popup(feature.properties || {}, labels)); }
      });
      if (current) { map.removeLayer(current); }
      current = layer.addTo(map);
    }
    element.addEventListener("cityos:layer", function (event) {
      if (event.detail.name !== "places") { return; }
      var map = event.detail.map;
      // Replace map.js's generic markers with state-coloured ones from the same data.
      var data = event.detail.layer.toGeoJSON();
      map.removeLayer(event.detail.layer);
      draw(map, data);
      var seconds = parseInt(wrapper.dataset.refresh || "30", 10);
      window.setInterval(function () {
        if (document.hidden) { return; }
        fetch(wrapper.dataset.thingsUrl, { headers: { Accept: "application/geo+json" }, credentials: "same-origin" })
          .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
          .then(function (fresh) { draw(map, fresh); })
          .catch(function () { /* keep the last picture; the next round tries again */ });
      }, seconds * 1000);
    });
  }
  document.querySelectorAll(".thing-map").forEach(setup);
})();
