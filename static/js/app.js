/* DBooster's few behaviours, no framework: the phone menu, copy buttons, busy forms with live steps,
   and status blocks that refresh themselves from a JSON endpoint. */
(function () {
  "use strict";

  function menu() {
    var toggle = document.querySelector("[data-menu-toggle]");
    var bar = document.querySelector(".topbar");
    if (!toggle || !bar) return;
    toggle.addEventListener("click", function () {
      var open = bar.classList.toggle("menu-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.querySelector(button.getAttribute("data-copy"));
        var status = button.parentElement.querySelector("[data-copy-status]");
        if (!source) return;
        var text = source.textContent;
        var done = function () { if (status) status.textContent = "Copied."; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done, function () { selectText(source); });
        } else {
          selectText(source);
          try { document.execCommand("copy"); done(); } catch (e) { if (status) status.textContent = "Press Ctrl+C to copy."; }
        }
      });
    });
  }

  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  /* A form marked data-busy: its button says it is working, and when the form carries a progress token
     the step the server reports is shown while the request runs. */
  function busyForms() {
    document.querySelectorAll("form[data-busy]").forEach(function (form) {
      form.addEventListener("submit", function () {
        var button = form.querySelector("button[type=submit], button:not([type])");
        var status = form.querySelector("[data-busy-status]");
        if (!status) {
          status = document.createElement("p");
          status.setAttribute("data-busy-status", "");
          status.setAttribute("role", "status");
          status.className = "busy-status";
          (button ? button.parentElement : form).appendChild(status);
        }
        if (button) {
          button.disabled = true;
          button.setAttribute("aria-busy", "true");
          button.dataset.label = button.textContent;
          button.textContent = "Working…";
        }
        var started = Date.now();
        var step = form.getAttribute("data-busy");
        var show = function () {
          var seconds = Math.round((Date.now() - started) / 1000);
          status.textContent = step + " (" + seconds + " s)";
        };
        show();
        var token = form.querySelector("input[name=progress_token]");
        setInterval(show, 1000);
        if (token) {
          var poll = function () {
            fetch("/app/progress/" + token.value + "/", { credentials: "same-origin" })
              .then(function (r) { return r.ok ? r.json() : null; })
              .then(function (data) { if (data && data.step) { step = data.step; show(); } })
              .catch(function () {});
          };
          setInterval(poll, 700);
        }
      });
    });
  }

  /* A block marked data-poll="<json url>" re-reads its status until it is final, then reloads the page
     once so everything that depends on the result (tables, buttons) is drawn by the server. */
  function pollers() {
    document.querySelectorAll("[data-poll]").forEach(function (block) {
      var url = block.getAttribute("data-poll");
      var delay = 1000;  /* slower and slower while nothing changes: a stopped worker costs little */
      var later = function () { setTimeout(tick, delay); delay = Math.min(delay * 1.3, 10000); };
      var tick = function () {
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) {
            if (!data) return later();
            var text = block.querySelector("[data-poll-text]");
            var bar = block.querySelector("[data-poll-bar]");
            if (text && data.text) text.textContent = data.text;
            if (bar && typeof data.progress === "number") bar.style.width = data.progress + "%";
            if (data.final) {
              window.location.reload();
            } else {
              later();
            }
          })
          .catch(later);
      };
      setTimeout(tick, 700);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    menu();
    copyButtons();
    busyForms();
    pollers();
  });
})();
