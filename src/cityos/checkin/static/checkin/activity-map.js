/* Colours the staff activity map's districts by check-ins (fill) and marks exposures with a thick
   red dashed outline, so an exposure is told by line shape as well as colour. */
(function () {
  "use strict";
  document.addEventListener("cityos:layer", function (event) {
    if (!event.target || event.target.id !== "checkin-activity-map") { return; }
    event.detail.layer.setStyle(function (feature) {
      var p = feature.properties || {};
      return p.exposures > 0
        ? { fillColor: p.fill, fillOpacity: 0.8, color: "#a1141b", weight: 4, dashArray: "6 4" }
        : { fillColor: p.fill, fillOpacity: 0.8, color: "#1b1f24", weight: 1 };
    });
  }, true);
})();
