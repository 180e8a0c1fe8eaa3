/* Question editor (templates/assessments/question_editor.html): add and remove choice rows and
 * accepted answers. Without this script the form still offers two empty rows of each. */
(function () {
  "use strict";
  var form = document.querySelector("[data-question-form]");
  if (!form) return;
  var rows = form.querySelector("[data-option-rows]");
  var template = form.querySelector("[data-option-template]");
  var addRow = form.querySelector("[data-add-row]");

  function renumber() {
    // Field names carry the row's index; the server reads option-0 .. option-49 in order.
    rows.querySelectorAll("[data-option-row]").forEach(function (row, index) {
      var number = String(index + 1);
      row.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) el.setAttribute(attr, value.replace(/option-\d+-/, "option-" + index + "-"));
        });
      });
      row.querySelectorAll("[data-template]").forEach(function (el) {
        el.textContent = el.dataset.template.replace("#", number);
      });
      row.querySelectorAll("[data-template-label]").forEach(function (el) {
        el.setAttribute("aria-label", el.dataset.templateLabel.replace("#", number));
      });
    });
  }

  if (rows && template && addRow) {
    addRow.hidden = false;
    rows.querySelectorAll("[data-remove-row]").forEach(function (b) { b.hidden = false; });
    addRow.addEventListener("click", function () {
      var row = template.content.firstElementChild.cloneNode(true);
      row.querySelector("[data-remove-row]").hidden = false;
      rows.appendChild(row);
      renumber();
      row.querySelector("input[lang=en]").focus();
    });
    rows.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-row]");
      if (!button) return;
      var row = button.closest("[data-option-row]");
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber();
      (next ? next.querySelector("input[lang=en]") : addRow).focus();
    });
  }

  var answers = form.querySelector("[data-answer-rows]");
  var addAnswer = form.querySelector("[data-add-answer]");
  if (answers && addAnswer) {
    addAnswer.hidden = false;
    addAnswer.addEventListener("click", function () {
      var n = answers.children.length + 1;
      var item = answers.lastElementChild.cloneNode(true);
      var input = item.querySelector("input");
      var label = item.querySelector("label");
      input.value = "";
      input.id = "answer-" + n;
      label.setAttribute("for", input.id);
      label.textContent = addAnswer.dataset.label.replace("0", String(n));
      answers.appendChild(item);
      input.focus();
    });
  }
})();
