// The portal's navigation folds behind a "Menu" button on narrow screens. Without this script the
// links simply stay visible (the button stays hidden).
(function () {
  var header = document.querySelector(".portal-header");
  var button = header && header.querySelector(".portal-menu-button");
  if (!button) return;
  header.classList.add("has-menu-button");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    header.classList.toggle("menu-open", open);
  });
})();
