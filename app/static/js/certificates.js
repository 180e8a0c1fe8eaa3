/* My certificates: copy a certificate's public verification link to the clipboard. */
(function () {
  "use strict";
  function copied(button) {
    var label = button.textContent;
    button.textContent = button.dataset.copied || label;
    window.setTimeout(function () { button.textContent = label; }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) {
      return;
    }
    var field = document.getElementById(button.dataset.copy);
    if (!field) {
      return;
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { copied(button); }, function () {
        field.select();
      });
    } else {
      field.select();  // no clipboard API here (plain http): the link is selected for Ctrl+C
      if (document.execCommand && document.execCommand("copy")) {
        copied(button);
      }
    }
  });
})();
