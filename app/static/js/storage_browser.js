/* Storage browser (Flask-Admin's file list): what its inline onclick handlers did, as listeners.
 *
 * The CSP allows scripts from 'self' only, so inline `onclick` attributes never run: the bulk action
 * did nothing and a file's delete button skipped its confirmation. The page marks the bulk actions
 * with `data-action` (run through Flask-Admin's own actions.js: confirm, then submit the hidden
 * form) and the delete forms with `data-confirm`. Flask-Admin's "select all" checkbox has no name:
 * the toolbar carries one in the page's language.
 */
(function () {
  "use strict";
  var toolbar = document.querySelector("[data-select-all]");
  document.querySelectorAll(".action-rowtoggle").forEach(function (toggle) {
    toggle.setAttribute("aria-label", toolbar ? toolbar.getAttribute("data-select-all") : "");
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-action]");
    if (!link) {
      return;
    }
    event.preventDefault();
    if (window.modelActions) {
      window.modelActions.execute(link.getAttribute("data-action"));
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();
