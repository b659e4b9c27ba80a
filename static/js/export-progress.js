// A background download's status page: asks every second for the status part of the page
// (credits/_export_status.html) and puts it in place, until the file is ready or the job has
// failed. Polling pauses while the tab is hidden.
(function () {
  "use strict";

  var box = document.querySelector("[data-progress-url]");
  if (!box) {
    return;
  }
  var url = box.dataset.progressUrl;
  var timer = null;

  function finished() {
    var status = box.querySelector("[data-state]");
    var state = status ? status.dataset.state : "";
    return state === "ready" || state === "failed" || state === "expired";
  }

  function poll() {
    timer = null;
    if (document.hidden) {
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("stopped: " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        box.innerHTML = html;
        if (!finished()) {
          timer = setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        // Signed out, or the download is no longer there: the page stays as it is.
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && !timer && !finished()) {
      poll();
    }
  });
  timer = setTimeout(poll, 1000);
})();
