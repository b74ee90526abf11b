/* Colours each vehicle's route on the plan map; collected stops are drawn hollow. */
(function () {
  "use strict";
  var colours = ["#073f78", "#8a3b00", "#1d6b2f", "#6b2c91", "#a1141b", "#005f66", "#4a5562"];
  document.addEventListener("cityos:layer", function (event) {
    var layer = event.detail.layer;
    layer.eachLayer(function (feature) {
      var props = (feature.feature && feature.feature.properties) || {};
      if (props.route === undefined) { return; }
      var colour = colours[props.route % colours.length];
      if (feature.setStyle && feature.feature.geometry.type === "LineString") {
        feature.setStyle({ color: colour, weight: 3, opacity: 0.85 });
      } else if (feature.setStyle) {
        feature.setStyle({ radius: props.required ? 7 : 5, color: colour, weight: 2, fillColor: colour,
          fillOpacity: props.collected ? 0 : 0.9 });
      }
    });
  });
})();
