/* CityOS map: draws districts and places from the app's GeoJSON API on a Leaflet map.
   A base-tile layer is added only when a tile server is configured, so the vectors are
   drawn with or without one. Pages pick layers with data-layers="districts,places". */
(function () {
  "use strict";
  function popupFor(properties, labels) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = properties.name || "";
    box.appendChild(title);
    ["kind_label", "address", "opening_hours_text"].forEach(function (key) {
      if (properties[key]) { var p = document.createElement("div"); p.textContent = properties[key]; box.appendChild(p); }
    });
    if (properties.open_now === true || properties.open_now === false) {
      var badge = document.createElement("div");
      badge.className = "badge " + (properties.open_now ? "ok" : "bad");
      badge.textContent = properties.open_now ? labels.open : labels.closed;
      box.appendChild(badge);
    }
    if (properties.url && properties.kind) {
      var link = document.createElement("a");
      link.href = properties.url;
      link.textContent = labels.details;
      var line = document.createElement("div");
      line.appendChild(link);
      box.appendChild(line);
    }
    return box;
  }
  // Open, closed and unknown differ in shape of outline as well as colour, not colour alone.
  function markerStyle(properties) {
    if (properties.open_now === true) { return { radius: 8, color: "#ffffff", weight: 2, fillColor: "#1d6b2f", fillOpacity: 0.95 }; }
    if (properties.open_now === false) { return { radius: 6, color: "#ffffff", weight: 2, fillColor: "#a1141b", fillOpacity: 0.95 }; }
    return { radius: 6, color: "#1b1f24", weight: 2, fillColor: "#4a5562", fillOpacity: 0.9, dashArray: "2 2" };
  }
  // Leaflet's own credit with its link titled in the page's language. setPrefix takes HTML, so the
  // link is built from DOM text and serialised: the title is escaped, never parsed as markup.
  function attributionPrefix(title) {
    var link = document.createElement("a");
    link.href = "https://leafletjs.com";
    link.title = title;
    link.textContent = "Leaflet";
    return link.outerHTML;
  }
  // GeoJSON, following a paged list's "next" links (the places API answers a page at a time,
  // OGC API - Features style) so the map shows every feature; at most 100 pages.
  function fetchGeoJSON(url, pagesLeft) {
    return fetch(url, { headers: { Accept: "application/geo+json, application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        var next = (data.links || []).filter(function (link) { return link.rel === "next"; })[0];
        if (!next || !Array.isArray(data.features) || pagesLeft <= 1) { return data; }
        return fetchGeoJSON(next.href, pagesLeft - 1).then(function (rest) {
          data.features = data.features.concat(rest.features || []);
          return data;
        });
      });
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
    map.attributionControl.setPrefix(
      attributionPrefix(element.dataset.leafletTitle || "A JavaScript library for interactive maps"));
    if (element.dataset.tileUrl) {
      L.tileLayer(element.dataset.tileUrl, { attribution: element.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    var bounds = L.latLngBounds([]);
    var labels = { open: element.dataset.labelOpen || "Open now", closed: element.dataset.labelClosed || "Closed now",
      details: element.dataset.labelDetails || "Details" };
    var layers = (element.dataset.layers || "").split(",").filter(Boolean);
    var jobs = layers.map(function (name) {
      var url = element.dataset[name + "Url"];
      if (!url) { return Promise.resolve(); }
      return fetchGeoJSON(url, 100)
        .then(function (data) {
          var layer = L.geoJSON(data, {
            // Areas only: a style here would also repaint the place markers drawn below.
            style: function (feature) {
              return feature.geometry.type === "Point" ? {} : { color: "#073f78", weight: 2, fillOpacity: 0.08 };
            },
            pointToLayer: function (feature, latlng) {
              return L.circleMarker(latlng, markerStyle(feature.properties || {}));
            },
            onEachFeature: function (feature, lyr) { lyr.bindPopup(popupFor(feature.properties || {}, labels)); }
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
