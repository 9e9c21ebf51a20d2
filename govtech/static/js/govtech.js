// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js-enabled");
  var language = document.documentElement.lang || "en";

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

  // Countdowns: the server writes "Closes in 4 weeks"; keep it to the second while the page
  // is open. The element is a role=timer (not read aloud on every tick); the live region next
  // to it announces once that the deadline has passed. The sentence comes translated from the
  // server with a {delta} placeholder; the units are the browser's (Intl) in the page language.
  var UNITS = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];

  function unitFormat(unit) {
    return new Intl.NumberFormat(language, { style: "unit", unit: unit, unitDisplay: "long" });
  }

  function joinParts(parts) {
    if (typeof Intl.ListFormat === "function") {
      return new Intl.ListFormat(language, { style: "long", type: "conjunction" }).format(parts);
    }
    return parts.join(", ");
  }

  // The two largest units from the first that is not zero: "3 days and 4 hours",
  // "12 minutes and 5 seconds".
  function describeDuration(seconds) {
    var amounts = UNITS.map(function (unit) {
      var amount = Math.floor(seconds / unit[1]);
      seconds -= amount * unit[1];
      return [unit[0], amount];
    });
    var first = 0;
    while (first < amounts.length - 1 && amounts[first][1] === 0) { first += 1; }
    var parts = amounts.slice(first, first + 2).filter(function (item, index) {
      return index === 0 || item[1] > 0;
    });
    return joinParts(parts.map(function (item) { return unitFormat(item[0]).format(item[1]); }));
  }

  function startCountdown(element) {
    var deadline = Date.parse(element.getAttribute("data-countdown"));
    var template = element.getAttribute("data-countdown-template");
    var announce = element.nextElementSibling;
    if (isNaN(deadline) || !template || template.indexOf("{delta}") < 0) { return; }
    try { unitFormat("day"); } catch (error) { return; } // an old browser keeps the server text
    var timer = null;
    var tick = function () {
      var left = Math.floor((deadline - Date.now()) / 1000);
      if (left <= 0) {
        var passed = element.getAttribute("data-countdown-passed");
        element.textContent = passed;
        if (announce && announce.hasAttribute("data-countdown-announce")) {
          announce.textContent = passed;
        }
        window.clearInterval(timer);
        return;
      }
      element.textContent = template.replace("{delta}", describeDuration(left));
    };
    tick();
    timer = window.setInterval(tick, 1000);
  }

  document.querySelectorAll("[data-countdown]").forEach(startCountdown);

  // Autosave of proposal steps. The server saves a step only when it is submitted (and
  // validates it then); until that, what the user types is kept in this browser, so a reload,
  // a crash or a closed tab loses nothing. The copy remembers the server version it started
  // from: if the server saved the step since (another member, another tab), the copy is
  // offered, never applied silently. Signing out clears every copy (shared computers).
  var PREFIX = "govtech-autosave:";
  var storage = null;
  try {
    storage = window.localStorage;
    storage.setItem(PREFIX + "probe", "1");
    storage.removeItem(PREFIX + "probe");
  } catch (error) {
    storage = null; // storage disabled: the forms work as before
  }

  function fieldsOf(target) {
    var values = {};
    Array.prototype.forEach.call(target.elements, function (el) {
      if (!el.name || el.disabled || el.name === "csrf_token") { return; }
      if (["hidden", "file", "submit", "button", "reset", "password"].indexOf(el.type) >= 0) {
        return;
      }
      if (el.type === "radio" || el.type === "checkbox") {
        if (!(el.name in values)) { values[el.name] = []; }
        if (el.checked) { values[el.name].push(el.value); }
      } else {
        values[el.name] = el.value;
      }
    });
    return values;
  }

  function applyFields(target, values) {
    Array.prototype.forEach.call(target.elements, function (el) {
      if (!el.name || !(el.name in values)) { return; }
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = values[el.name].indexOf(el.value) >= 0;
      } else if (["hidden", "file", "submit", "button", "reset", "password"].indexOf(el.type) < 0) {
        el.value = values[el.name];
      }
    });
  }

  function sameFields(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  function startAutosave(target) {
    var notice = target.querySelector("[data-autosave-key]");
    if (!storage || !notice) { return; }
    var key = PREFIX + notice.getAttribute("data-autosave-key");
    var version = notice.getAttribute("data-autosave-version");
    var hint = target.querySelector("[data-autosave-hint]");
    var restoreButton = notice.querySelector("[data-autosave-restore]");
    var fromServer = fieldsOf(target);
    var stored = null;
    try { stored = JSON.parse(storage.getItem(key) || "null"); } catch (error) { stored = null; }

    var show = function (which) {
      notice.querySelectorAll("[data-autosave-restored], [data-autosave-conflict]")
        .forEach(function (el) { el.hidden = !el.hasAttribute(which); });
      restoreButton.hidden = which !== "data-autosave-conflict";
      notice.hidden = false;
    };
    var save = function (submitted) {
      var values = fieldsOf(target);
      if (!submitted && sameFields(values, fromServer)) {
        storage.removeItem(key);
        return;
      }
      try {
        storage.setItem(key, JSON.stringify({
          version: version, savedAt: Date.now(), fields: values, submitted: !!submitted
        }));
        if (hint) { hint.hidden = false; }
      } catch (error) { /* storage full: the form still saves on submit */ }
    };

    if (stored && stored.fields) {
      if (stored.version !== version && stored.submitted) {
        storage.removeItem(key); // the server has our save
      } else if (!sameFields(stored.fields, fromServer)) {
        if (stored.version === version) {
          applyFields(target, stored.fields);
          show("data-autosave-restored");
          if (hint) { hint.hidden = false; }
        } else {
          show("data-autosave-conflict");
        }
      }
    }

    restoreButton.addEventListener("click", function () {
      applyFields(target, stored.fields);
      save(false);
      show("data-autosave-restored");
    });
    notice.querySelector("[data-autosave-discard]").addEventListener("click", function () {
      applyFields(target, fromServer);
      storage.removeItem(key);
      notice.hidden = true;
      if (hint) { hint.hidden = true; }
    });

    var pending = null;
    var later = function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () { pending = null; save(false); }, 400);
    };
    target.addEventListener("input", later);
    target.addEventListener("change", later);
    target.addEventListener("submit", function () {
      window.clearTimeout(pending);
      pending = null;
      save(true);
    });
    // Leaving the page before the debounce fires must not lose the last keystrokes.
    window.addEventListener("pagehide", function () {
      if (pending) { window.clearTimeout(pending); pending = null; save(false); }
    });
  }

  document.querySelectorAll("form[data-autosave]").forEach(startAutosave);

  document.querySelectorAll("form[data-clears-autosave]").forEach(function (logout) {
    logout.addEventListener("submit", function () {
      if (!storage) { return; }
      Object.keys(storage).forEach(function (name) {
        if (name.indexOf(PREFIX) === 0) { storage.removeItem(name); }
      });
    });
  });
})();
