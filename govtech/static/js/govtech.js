// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js-enabled");

  // Registration: show the organisation fields that match the chosen account type.
  var form = document.querySelector("[data-registration-form]");
  if (form) {
    var update = function () {
      var chosen = form.querySelector("input[name=account_type]:checked");
      form.querySelectorAll("[data-account-section]").forEach(function (section) {
        section.hidden = !!chosen && section.getAttribute("data-account-section") !== chosen.value;
      });
    };
    form.addEventListener("change", update);
    update();
  }

  // Focus the error summary so screen readers announce it.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
