// Shows Django's password validators' messages while the user types a new password, before the form is sent.
// The server is asked (POST /auth/password/check): the rules live in one place, AUTH_PASSWORD_VALIDATORS.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function show(box, result) {
    box.textContent = "";
    box.className = "password-check " + (result.valid ? "ok" : "problems");
    if (result.valid) {
      box.textContent = "This password is fine.";
      return;
    }
    var list = document.createElement("ul");
    result.messages.forEach(function (message) {
      var item = document.createElement("li");
      item.textContent = message;
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function watch(box) {
    var input = document.getElementById(box.getAttribute("data-password-check-for"));
    if (!input) return;
    var form = input.form;
    var timer = null;
    var asked = 0;
    function field(name) {
      var element = form && form.querySelector("[name=" + name + "]");
      return element ? element.value : "";
    }
    function check() {
      if (!input.value) {
        box.textContent = "";
        return;
      }
      var mine = ++asked;
      fetch("/auth/password/check", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(form) },
        body: JSON.stringify({ password: input.value, email: field("email") || undefined,
                               full_name: field("full_name") || undefined }),
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (result) { if (result && mine === asked) show(box, result); })
        .catch(function () { /* the server checks again on submit */ });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(check, 300);
    });
  }

  document.querySelectorAll("[data-password-check-for]").forEach(watch);
})();
