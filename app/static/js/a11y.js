/* Names for the widgets that FAB's filters and select2 build in the browser without one
 * (WCAG 1.3.1 and 4.1.2). Idempotent: it runs again whenever the page changes, because select2
 * re-renders its selection and the filter form adds rows on demand. */
(function () {
  "use strict";

  function labelFilterRows(form) {
    form.querySelectorAll(".filters tr").forEach(function (row) {
      var remove = row.querySelector(".remove-filter");
      if (!remove) {
        return;
      }
      var column = remove.textContent.replace("\u00d7", "").trim();
      remove.setAttribute("aria-label", form.dataset.removeLabel + ": " + column);
      row.querySelectorAll("select.filter-op").forEach(function (op) {
        op.setAttribute("aria-label", column + ": " + form.dataset.conditionLabel);
      });
      row.querySelectorAll(".filter_val").forEach(function (field) {
        field.setAttribute("aria-label", column);
      });
    });
  }

  function labelSelect2(select) {
    var container = select.nextElementSibling;
    var combobox = container && container.querySelector(".select2-selection");
    if (!combobox) {
      return;
    }
    var label = select.labels && select.labels[0];
    var rendered = combobox.querySelector(".select2-selection__rendered");
    if (label) {
      label.id = label.id || "label-" + select.id;
      combobox.setAttribute("aria-labelledby", rendered && rendered.id ? label.id + " " + rendered.id : label.id);
    } else if (select.getAttribute("aria-label")) {
      combobox.removeAttribute("aria-labelledby");
      combobox.setAttribute("aria-label", select.getAttribute("aria-label"));
    }
    // The selected text is shown inside the combobox, not a read-only text box of its own.
    if (rendered) {
      rendered.removeAttribute("role");
      rendered.removeAttribute("aria-readonly");
    }
    // The mouse-only "clear" cross sits inside the list of chosen values, where only items belong.
    combobox.querySelectorAll(".select2-selection__clear").forEach(function (cross) {
      cross.setAttribute("aria-hidden", "true");
    });
    combobox.querySelectorAll(".select2-search__field").forEach(function (search) {
      search.setAttribute("aria-label", label ? label.textContent.trim() : select.getAttribute("aria-label") || "");
    });
  }

  function run() {
    document.querySelectorAll("#filter_form").forEach(labelFilterRows);
    document.querySelectorAll("select.select2-hidden-accessible").forEach(labelSelect2);
  }

  // Bootstrap 3 also marks the collapsed panel itself with aria-expanded, which only its toggle
  // may carry (the toggle gets it too).
  $(document).on("shown.bs.collapse hidden.bs.collapse", function (event) {
    event.target.removeAttribute("aria-expanded");
  });

  $(function () {
    run();
    new MutationObserver(run).observe(document.body, { childList: true, subtree: true });
  });
})();
