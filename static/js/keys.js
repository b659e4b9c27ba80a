// The timeline's keys: "/" goes to the search (or the first filter), "j" and "k" move the focus
// to the next (older) and previous (newer) event (on Legacy mode: the table's entries), Enter
// opens or closes the focused event's details, "?" opens the list of keys (a modal dialog: Escape closes it and the focus goes
// back where it was). No key acts while the user types in a field or holds a modifier.
(function () {
  "use strict";

  var dialog = document.getElementById("keys-help");
  if (!dialog) {
    return;
  }
  var opener = null;

  document.querySelectorAll(".keys-hint").forEach(function (hint) {
    hint.hidden = false;
  });

  function typing(target) {
    return (
      target instanceof Element &&
      (target.closest("input, textarea, select, [contenteditable]") !== null ||
        target.isContentEditable)
    );
  }

  var ITEMS = "main li.event, main table.legacy-entries tbody tr";

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll(ITEMS));
  }

  function move(step) {
    var list = items();
    if (!list.length) {
      return;
    }
    var current = document.activeElement ? document.activeElement.closest(ITEMS) : null;
    var at = list.indexOf(current);
    var next = at < 0 ? 0 : Math.min(Math.max(at + step, 0), list.length - 1);
    list.forEach(function (item) {
      item.tabIndex = -1;
    });
    list[next].tabIndex = 0; // the one event in the tab order: Tab leaves it, Shift+Tab returns
    list[next].focus();
    list[next].scrollIntoView({ block: "nearest" });
  }

  function toggleDetails(item) {
    var details = item.querySelector("details");
    if (details) {
      details.open = !details.open;
    }
  }

  function focusSearch() {
    var field = document.querySelector(
      "main input[type=search], main form.filters input:not([type=hidden]), " +
        "main form.filters select, main form.filters summary"
    );
    if (field) {
      field.focus();
    }
  }

  function openHelp() {
    opener = document.activeElement;
    dialog.showModal();
    dialog.querySelector("[data-keys-close]").focus();
  }

  // The focus goes back where it was, unless it has moved on since the dialog closed (the
  // close event comes a moment after Escape, and a key pressed meanwhile has acted).
  dialog.addEventListener("close", function () {
    var now = document.activeElement;
    var lost = !now || now === document.body || dialog.contains(now);
    if (lost && opener && typeof opener.focus === "function") {
      opener.focus();
    }
    opener = null;
  });
  dialog.querySelector("[data-keys-close]").addEventListener("click", function () {
    dialog.close();
  });
  document.querySelectorAll("[data-keys-help]").forEach(function (button) {
    button.addEventListener("click", openHelp);
  });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    if (dialog.open || typing(event.target)) {
      return; // the dialog closes on Escape by itself
    }
    var focused = document.activeElement;
    if (event.key === "/") {
      focusSearch();
    } else if (event.key === "j") {
      move(1);
    } else if (event.key === "k") {
      move(-1);
    } else if (event.key === "?") {
      openHelp();
    } else if (event.key === "Enter" && focused && focused.matches(ITEMS)) {
      // Only on the event itself: Enter on a link or button inside it keeps its own meaning.
      toggleDetails(focused);
    } else {
      return;
    }
    event.preventDefault();
  });
})();
