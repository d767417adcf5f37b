// ticketledger console: times in the viewer's zone. The server renders
// every <time> in the zone of the tl_tz cookie (UTC without it); this
// script sets that cookie from the browser and rewrites the times of the
// page already shown. The pages work without it.
(function () {
  "use strict";
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) { return; }
  if (document.cookie.indexOf("tl_tz=" + encodeURIComponent(zone)) < 0) {
    document.cookie = "tl_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Strict";
  }
  var fmt = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  function local() {
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (!isNaN(d)) { el.textContent = fmt.format(d); }
    });
    document.querySelectorAll("[data-zone]").forEach(function (el) { el.textContent = zone; });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", local); } else { local(); }
})();
