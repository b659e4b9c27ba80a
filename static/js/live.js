// Live pages. An open newest page of Recent Activity (its [data-live-url] bar) asks every few
// seconds how many events matching its filters were recorded after its newest one, offers
// them as a button ("3 new events") and loads them in place on click. Every account page (its
// [data-presence-url] line) says who else has the account open; the same polls are the
// viewer's heartbeat. Polling stops while the tab is hidden and resumes when it is shown.
(function () {
  "use strict";

  var bar = document.querySelector("[data-live-url]");
  var line = document.querySelector("[data-presence-url]");
  if (!bar && !line) {
    return;
  }
  var source = bar || line;
  var seconds = parseFloat(source.dataset.pollSeconds) || 15;
  var button = bar ? bar.querySelector("button.live-load") : null;
  var after = bar ? bar.dataset.after : null;
  var timer = null;
  var busy = false;

  function address(extra) {
    var url = bar ? bar.dataset.liveUrl : line.dataset.presenceUrl;
    if (!bar) {
      return url;
    }
    url += (url.indexOf("?") < 0 ? "?" : "&") + "after=" + encodeURIComponent(after);
    return extra ? url + "&" + extra : url;
  }

  function ask(extra) {
    return fetch(address(extra), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      // A refusal (signed out, filters no longer valid) ends the polling of this page.
      if (!response.ok || response.headers.get("Content-Type") !== "application/json") {
        throw new Error("stopped: " + response.status);
      }
      return response.json();
    });
  }

  function showViewers(viewers) {
    if (line && viewers) {
      var text = viewers.length ? "Also viewing: " + viewers.join(", ") : "";
      if (line.textContent !== text) {
        line.textContent = text;
      }
    }
  }

  function showCount(answer) {
    if (!button) {
      return;
    }
    button.hidden = !answer.count;
    if (button.textContent !== answer.label) {
      button.textContent = answer.label;
    }
  }

  function poll() {
    if (busy || document.hidden) {
      return;
    }
    busy = true;
    ask(null)
      .then(function (answer) {
        showViewers(answer.viewers);
        showCount(answer);
      })
      .catch(stop)
      .then(function () {
        busy = false;
      });
  }

  // The new events' days, newest first: the oldest of them may be the day the page starts
  // with, whose list they then join at its top.
  function insert(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var days = Array.prototype.slice.call(template.content.querySelectorAll("section.day"));
    var first = document.querySelector("main section.day");
    if (first && days.length) {
      var oldest = days[days.length - 1];
      var head = oldest.querySelector(".day-head").textContent;
      if (first.querySelector(".day-head").textContent === head) {
        var list = first.querySelector("ol.timeline");
        var items = oldest.querySelectorAll("li.event");
        for (var i = items.length - 1; i >= 0; i--) {
          list.insertBefore(items[i], list.firstChild);
        }
        days.pop();
      }
    }
    var empty = first ? null : document.querySelector("main p.empty");
    days.forEach(function (day) {
      if (first) {
        first.before(day);
      } else if (empty) {
        empty.before(day);
      } else {
        bar.after(day);
      }
    });
    if (empty && days.length) {
      empty.remove();
    }
  }

  function load() {
    button.disabled = true;
    ask("load=1")
      .then(function (answer) {
        var newest = document.querySelector("main li.event");
        if (answer.loaded) {
          insert(answer.html);
        }
        after = answer.after;
        button.hidden = true;
        button.textContent = "";
        // Keyboard users land on the newest of what was loaded (not on the hidden button).
        var top = document.querySelector("main li.event");
        if (top && top !== newest) {
          top.tabIndex = -1;
          top.focus();
        }
        if (answer.more) {
          poll();
        }
      })
      .catch(stop)
      .then(function () {
        button.disabled = false;
      });
  }

  function start() {
    if (timer === null) {
      timer = window.setInterval(poll, seconds * 1000);
    }
  }

  function stop() {
    if (timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
  }

  if (button) {
    button.addEventListener("click", load);
  }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      stop();
    } else {
      poll();
      start();
    }
  });
  start();
})();
