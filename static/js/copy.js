// Copy buttons: a button with data-copy="<element id>" copies that element's text. The
// buttons are hidden in the page and shown here, so without JavaScript nothing is offered
// that does not work (the text itself can still be selected and copied).
document.addEventListener("DOMContentLoaded", function () {
  if (!navigator.clipboard) {
    return;
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.setAttribute("aria-label", "Copy the unique ID");
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copy);
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1500);
      });
    });
  });
});
