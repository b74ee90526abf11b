/* CityOS map: draws districts and places from the app's GeoJSON API on a Leaflet map.
   A base-tile layer is added only when a tile server is configured, so the vectors are
   drawn with or without one. Pages pick layers with data-layers="districts,places". */
(function () {
  "use strict";
  function popupFor(properties) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = properties.name || "";
    box.appendChild(title);
    ["kind_label", "address", "opening_hours_text"].forEach(function (key) {
      if (properties[key]) { var p = document.createElement("div"); p.textContent = properties[key]; box.appendChild(p); }
    });
    return box;
  }
  function init(element) {
    if (element.dataset.ready) { return; }
    element.dataset.ready = "1";
    var map = L.map(element, { scrollWheelZoom: false, keyboard: true, zoomControl: false });
    // Zoom buttons named in the page's language.
    L.control.zoom({
      zoomInTitle: element.dataset.zoomInLabel || "Zoom in",
      zoomOutTitle: element.dataset.zoomOutLabel || "Zoom out"
    }).addTo(map);
    if (element.dataset.tileUrl) {
      L.tileLayer(element.dataset.tileUrl, { attribution: element.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    var bounds = L.latLngBounds([]);
    var layers = (element.dataset.layers || "").split(",").filter(Boolean);
    var jobs = layers.map(function (name) {
      var url = element.dataset[name + "Url"];
      if (!url) { return Promise.resolve(); }
      return fetch(url, { headers: { Accept: "application/geo+json, application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          var layer = L.geoJSON(data, {
            style: function () { return { color: "#073f78", weight: 2, fillOpacity: 0.08 }; },
            pointToLayer: function (feature, latlng) {
              return L.circleMarker(latlng, { radius: 7, color: "#ffffff", weight: 2, fillColor: "#a1141b", fillOpacity: 0.95 });
            },
            onEachFeature: function (feature, lyr) { lyr.bindPopup(popupFor(feature.properties || {})); }
          }).addTo(map);
          if (layer.getBounds().isValid()) { bounds.extend(layer.getBounds()); }
          element.dispatchEvent(new CustomEvent("cityos:layer", { detail: { name: name, layer: layer, map: map } }));
        })
        .catch(function () { /* a missing layer leaves the rest of the map working */ });
    });
    Promise.all(jobs).then(function () {
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); } else { map.setView([0, 0], 2); }
      element.dataset.loaded = "1";
    });
    element.cityosMap = map;
  }
  function initAll() { document.querySelectorAll(".map[data-layers]").forEach(init); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", initAll); } else { initAll(); }
  document.addEventListener("htmx:afterSettle", initAll);
})();
