// Quarantine check-in: ask the browser for the position, put it in the form, send it.
(function () {
  "use strict";
  var form = document.getElementById("check-in-form");
  if (!form) return;
  var status = document.getElementById("check-in-status");
  form.addEventListener("submit", function (event) {
    if (form.elements.lat.value && form.elements.lon.value) return;
    event.preventDefault();
    if (!navigator.geolocation) {
      status.textContent = form.dataset.denied;
      return;
    }
    status.textContent = form.dataset.locating;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        form.elements.lat.value = position.coords.latitude;
        form.elements.lon.value = position.coords.longitude;
        form.submit();
      },
      function () {
        status.textContent = form.dataset.denied;
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
    );
  });
})();
