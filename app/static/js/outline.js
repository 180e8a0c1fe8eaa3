/* Course outline editor (templates/courses/outline.html).
 *
 * Without this script every button is a plain form POST and the page reloads. With it, the same
 * forms are sent with fetch (Accept: application/json) and the tree the server renders again
 * replaces the old one; dragging a handle (SortableJS) sends the new order of that list. Focus goes
 * back to the control that was used, and the result is announced in the live region.
 */
(function () {
  "use strict";
  var root = document.querySelector("[data-outline]");
  if (!root) return;
  var tree = document.getElementById("outline-tree");
  var status = document.getElementById("outline-status");
  var errorBox = document.getElementById("outline-error");
  var sortables = [];

  function announce(message, isError) {
    if (isError) {
      errorBox.textContent = message;
      errorBox.hidden = false;
      status.textContent = "";
    } else {
      errorBox.hidden = true;
      status.textContent = message;
    }
  }

  function send(body, focusKey, keepTreeOnError) {
    status.textContent = "";
    body.set("csrf_token", root.dataset.csrf);
    return fetch(body.get("__action"), {
      method: "POST",
      body: (function () { body.delete("__action"); return body; })(),
      headers: { "Accept": "application/json", "X-CSRFToken": root.dataset.csrf },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (result.ok || !keepTreeOnError) {
        tree.innerHTML = result.data.tree;
        setUp();
        restoreFocus(focusKey);
      }
      announce(result.data.message, !result.ok);
      return result.ok;
    }).catch(function () {
      announce(root.dataset.failed, true);
      return false;
    });
  }

  function restoreFocus(key) {
    if (!key) return;
    var target = tree.querySelector('[data-focus-key="' + key + '"]');
    if (target && target.disabled) {
      var other = key.indexOf("up-") === 0 ? key.replace("up-", "down-") : key.replace("down-", "up-");
      target = tree.querySelector('[data-focus-key="' + other + '"]');
    }
    if (target) target.focus();
  }

  function onSubmit(event) {
    var form = event.target.closest("form[data-outline-form]");
    if (!form) return;
    event.preventDefault();
    if (form.hasAttribute("data-confirm") && !window.confirm(root.dataset.confirmRemove)) return;
    var body = new FormData(form);
    body.set("__action", form.action);
    var button = form.querySelector("[data-focus-key]") ||
      (form.closest("details") && form.closest("details").querySelector("summary"));
    var key = button ? button.getAttribute("data-focus-key") : null;
    // A refused add or rename keeps its form and what was typed in it.
    send(body, key, form.classList.contains("outline-form"));
  }

  function onDrop(event) {
    var list = event.to;
    var order = Array.prototype.map.call(list.children, function (li) { return li.dataset.id; })
      .filter(Boolean);
    var body = new FormData();
    body.set("__action", root.dataset.moveUrl);
    body.set("kind", list.dataset.list);
    body.set("item_id", event.item.dataset.id);
    body.set("parent_id", list.dataset.parent);
    order.forEach(function (id) { body.append("order", id); });
    send(body, null, false);
  }

  function setUp() {
    sortables.forEach(function (s) { s.destroy(); });
    sortables = [];
    if (typeof Sortable === "undefined") return;
    tree.querySelectorAll("ol.outline-list").forEach(function (list) {
      var kind = list.dataset.list;
      sortables.push(Sortable.create(list, {
        // Lessons may move to another section; sections and contents stay in their own list.
        group: kind === "lesson" ? "lessons" : kind + "-" + (list.dataset.parent || "course"),
        handle: ".outline-handle",
        draggable: "> li",
        animation: 150,
        onEnd: function (event) {
          if (event.from === event.to && event.oldIndex === event.newIndex) return;
          onDrop(event);
        }
      }));
    });
  }

  root.addEventListener("submit", onSubmit);
  setUp();
})();
