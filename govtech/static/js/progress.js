// Progress for long operations (progressive enhancement: without it the forms and links work).
(function () {
  "use strict";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return key in values ? String(values[key]) : match;
    });
  }

  // Forms whose request takes a while (issuing a notice, submitting a proposal): say so, show
  // an indeterminate progress bar and refuse a second click while the first is under way.
  document.querySelectorAll("form[data-busy-text]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-busy") === "true") {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-busy", "true");
      form.setAttribute("aria-busy", "true");
      var status = document.createElement("p");
      status.className = "gt-busy";
      status.setAttribute("role", "status");
      var bar = document.createElement("progress");
      bar.setAttribute("aria-label", form.getAttribute("data-busy-text"));
      status.appendChild(bar);
      status.appendChild(document.createTextNode(" " + form.getAttribute("data-busy-text")));
      form.appendChild(status);
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.setAttribute("aria-disabled", "true");
      });
    });
  });

  // Bulk OCDS download: fetch every page by following links.next, show how far it got, and
  // hand over one package. The server stays stateless: each page is an ordinary request.
  document.querySelectorAll("[data-bulk-download]").forEach(function (box) {
    var kind = box.getAttribute("data-kind");
    var button = box.querySelector("[data-bulk-start]");
    var bar = box.querySelector("progress");
    var status = box.querySelector("[role=status]");
    box.querySelector(".gt-js-only").hidden = false;

    function report(done, total) {
      bar.max = Math.max(total, done);
      bar.value = done;
      status.textContent = fill(box.getAttribute("data-progress-text"), { done: done, total: bar.max });
    }

    button.addEventListener("click", function () {
      var total = parseInt(box.getAttribute("data-pages"), 10) || 1;
      var joined = null;
      var done = 0;
      button.disabled = true;
      bar.hidden = false;
      report(0, total);

      function step(url) {
        return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) {
            if (!response.ok) { throw new Error(response.status); }
            return response.json();
          })
          .then(function (page) {
            if (joined === null) {
              joined = page;
            } else {
              joined[kind] = joined[kind].concat(page[kind]);
            }
            done += 1;
            report(done, total);
            var next = page.links && page.links.next;
            if (next) { return step(next); }
            return null;
          });
      }

      step(box.getAttribute("data-first-page"))
        .then(function () {
          delete joined.links;
          var blob = new Blob([JSON.stringify(joined)], { type: "application/json" });
          var link = document.createElement("a");
          link.href = URL.createObjectURL(blob);
          link.download = box.getAttribute("data-filename");
          document.body.appendChild(link);
          link.click();
          link.remove();
          status.textContent = fill(box.getAttribute("data-done-text"), { total: done });
        })
        .catch(function () {
          status.textContent = box.getAttribute("data-failed-text");
        })
        .finally(function () {
          button.disabled = false;
        });
    });
  });
})();
