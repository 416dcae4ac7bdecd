// The console's only script of its own (no inline script is allowed by the page's policy).
"use strict";

// An error shown in the message area takes the keyboard focus, so a screen reader reads it
// and a keyboard user is where the problem is described.
document.addEventListener("htmx:afterSwap", function (event) {
  var target = event.detail && event.detail.target;
  if (target && target.id === "messages" && target.querySelector("[role=alert]")) {
    target.setAttribute("tabindex", "-1");
    target.focus();
  }
});

// A button marked data-confirm asks before its form is sent (state changes that cannot be
// undone: an override, a retirement, revoking a key).
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = (button && button.getAttribute("data-confirm")) ||
    event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
