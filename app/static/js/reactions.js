/* Reaction bars (portal/_reactions.html): the forms post in the background and the bar follows;
   without this script, or when the background post fails, they post as plain forms. */
(function () {
  "use strict";
  function update(bar, data) {
    bar.querySelectorAll("button[data-reaction]").forEach(function (button) {
      var code = button.dataset.reaction;
      var pressed = data.mine === code;
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      button.classList.toggle("pressed", pressed);
      var count = button.querySelector(".reaction-count");
      if (count) { count.textContent = String((data.counts && data.counts[code]) || 0); }
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("reaction-form") || form.dataset.plain) {
      return;
    }
    var bar = form.closest("[data-reaction-bar]");
    if (!bar || !window.fetch) { return; }
    event.preventDefault();
    bar.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      update(bar, data);
    }).catch(function () {
      form.dataset.plain = "1";  // the plain post shows the reason (or the sign-in page)
      form.submit();
    }).finally(function () {
      bar.removeAttribute("aria-busy");
    });
  });
})();
