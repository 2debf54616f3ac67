// First-run guided tour (support knowledge base): a non-modal dialog that walks through the
// dashboard, highlighting one control per step. Keyboard: Tab between its buttons, Escape skips.
// Finishing or skipping is remembered on the server (POST, CSRF token from the hidden form).
(function () {
  "use strict";
  var tour = document.getElementById("kb-tour");
  if (!tour) return;
  var steps = Array.prototype.slice.call(tour.querySelectorAll(".kb-tour-steps li"));
  var title = document.getElementById("kb-tour-title");
  var text = document.getElementById("kb-tour-text");
  var count = document.getElementById("kb-tour-count");
  var back = tour.querySelector("[data-tour-action=back]");
  var next = tour.querySelector("[data-tour-action=next]");
  var skip = tour.querySelector("[data-tour-action=skip]");
  var form = tour.querySelector("form");
  var index = 0;
  var highlighted = null;
  var returnFocus = document.activeElement;

  function unhighlight() {
    if (highlighted) highlighted.classList.remove("kb-tour-target");
    highlighted = null;
  }

  function show(i) {
    index = i;
    var step = steps[i];
    title.textContent = step.getAttribute("data-title");
    text.textContent = step.getAttribute("data-text");
    count.textContent = (i + 1) + " / " + steps.length;
    back.disabled = i === 0;
    var last = i === steps.length - 1;
    next.textContent = next.getAttribute(last ? "data-last-label" : "data-next-label");
    unhighlight();
    var target = document.querySelector(step.getAttribute("data-target"));
    if (target) {
      highlighted = target;
      target.classList.add("kb-tour-target");
      target.scrollIntoView({ block: "center", behavior: "smooth" });
    }
    title.focus();
  }

  function finish() {
    unhighlight();
    tour.hidden = true;
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, "X-Requested-With": "fetch" },
    });
    if (returnFocus && returnFocus.focus) returnFocus.focus();
  }

  back.addEventListener("click", function () { if (index > 0) show(index - 1); });
  next.addEventListener("click", function () {
    if (index < steps.length - 1) show(index + 1); else finish();
  });
  skip.addEventListener("click", finish);
  tour.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); finish(); }
  });

  tour.hidden = false;
  show(0);
})();
