/*
 * The media library's picker: a dialog listing the files the signed-in user may use (their own
 * uploads; admins every file), with search, paging, and an upload that goes through the library's
 * own checks (content sniffing, size limits). A page needs templates/lms/widgets/editor_assets.html
 * (this script, its styles, the words in the page's language and the addresses it calls).
 *
 * Reusable pieces (the course outline and question editors use them too):
 *   LmsMediaPicker.open({images: true, kind: "attachment", onChoose: function (file) {...}})
 *       opens the dialog; `file` is {id, name, thumbnail, is_image, mime_type, size}. `images` lists
 *       images only; `kind` is the media kind an upload from the dialog is stored as.
 *   LmsMediaPicker.publish(id)            -> Promise of the image's stable address for rich text
 *   LmsMediaPicker.upload(file, kind)     -> Promise of the stored file (same shape as above)
 *   LmsMediaPicker.wire(element)          wires a [data-media-picker] form field added later.
 * Every [data-media-picker] field on the page is wired when the page loads: its number input becomes
 * hidden, "Choose..." opens the dialog and "Remove" empties it. Without scripts the input stays.
 */
(function () {
  "use strict";

  var configNode = document.getElementById("lms-editor-config");
  var config = configNode ? JSON.parse(configNode.textContent) : {};
  var labels = config.labels || {};
  var urls = config.mediaPicker || {};
  var dialog = null;
  var state = { page: 1, q: "", images: false, kind: "attachment", onChoose: null, opener: null };

  function text(key, values) {
    var value = labels[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      value = value.replace("{" + name + "}", values[name]);
    });
    return value;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") {
        node.textContent = attrs[name];
      } else {
        node.setAttribute(name, attrs[name]);
      }
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function request(url, options) {
    var settings = options || {};
    settings.credentials = "same-origin";
    settings.headers = Object.assign({ Accept: "application/json", "X-CSRFToken": config.csrf || "" },
      settings.headers || {});
    return fetch(url, settings).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) {
          var error = new Error(body.message || text("error"));
          error.body = body;
          throw error;
        }
        return body;
      });
    });
  }

  function upload(file, kind) {
    var body = new FormData();
    body.append("file", file);
    body.append("kind", kind || "attachment");
    return request(urls.upload, { method: "POST", body: body }).then(function (answer) { return answer.file; });
  }

  function publish(id) {
    return request(urls.publish.replace("__id__", String(id)), { method: "POST" })
      .then(function (answer) { return answer.url; });
  }

  function status(message) {
    dialog.querySelector("[data-status]").textContent = message || "";
  }

  function build() {
    var title = el("h2", { id: "lms-media-dialog-title", class: "lms-media-title" });
    var close = el("button", { type: "button", class: "btn btn-default btn-sm", "data-close": "", text: text("close") });
    var search = el("form", { class: "lms-media-search", role: "search" }, [
      el("label", { for: "lms-media-q", text: text("searchLabel") }),
      el("input", { type: "search", id: "lms-media-q", class: "form-control", name: "q" }),
      el("button", { type: "submit", class: "btn btn-default btn-sm", text: text("search") })
    ]);
    var pager = el("div", { class: "lms-media-pager" }, [
      el("button", { type: "button", class: "btn btn-default btn-sm", "data-previous": "", text: text("previous") }),
      el("span", { "data-page": "" }),
      el("button", { type: "button", class: "btn btn-default btn-sm", "data-next": "", text: text("next") })
    ]);
    var uploader = el("div", { class: "lms-media-upload" }, [
      el("label", { for: "lms-media-file", text: text("upload") }),
      el("input", { type: "file", id: "lms-media-file" }),
      el("button", { type: "button", class: "btn btn-primary btn-sm", "data-upload": "", text: text("uploadButton") })
    ]);
    dialog = el("dialog", { class: "lms-media-dialog", "aria-labelledby": "lms-media-dialog-title" }, [
      el("div", { class: "lms-media-head" }, [title, close]),
      search,
      el("p", { class: "lms-media-status", role: "status", "data-status": "" }),
      el("ul", { class: "lms-media-list", "data-list": "" }),
      pager,
      uploader
    ]);
    document.body.appendChild(dialog);
    close.addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () {
      // Back to the button that opened it, unless the chosen file's callback moved focus itself.
      var active = document.activeElement;
      var lost = !active || active === document.body || dialog.contains(active);
      if (lost && state.opener && document.contains(state.opener)) state.opener.focus();
    });
    search.addEventListener("submit", function (event) {
      event.preventDefault();
      state.q = search.querySelector("input").value;
      load(1);
    });
    pager.querySelector("[data-previous]").addEventListener("click", function () { load(state.page - 1); });
    pager.querySelector("[data-next]").addEventListener("click", function () { load(state.page + 1); });
    uploader.querySelector("[data-upload]").addEventListener("click", function () {
      var input = uploader.querySelector("input[type=file]");
      if (!input.files.length) { input.focus(); return; }
      status(text("uploading"));
      upload(input.files[0], state.kind).then(function (file) {
        input.value = "";
        choose(file);
      }).catch(function (error) { status(error.message); });
    });
  }

  function item(file) {
    var picture = file.thumbnail
      ? el("img", { src: file.thumbnail, alt: "", width: "64", height: "64" })
      : el("i", { class: "fa fa-file fa-2x", "aria-hidden": "true" });
    var button = el("button", { type: "button", class: "lms-media-item", "data-id": String(file.id) }, [
      picture,
      el("span", { class: "lms-media-item-name", dir: "auto", text: file.name }),
      el("span", { class: "lms-media-item-meta", dir: "ltr", text: file.size_label || "" })
    ]);
    button.addEventListener("click", function () { choose(file); });
    return el("li", {}, [button]);
  }

  function load(page) {
    var list = dialog.querySelector("[data-list]");
    var params = new URLSearchParams({ page: String(Math.max(page, 1)), q: state.q, images: state.images ? "1" : "0" });
    status(text("loading"));
    return request(urls.items + "?" + params.toString()).then(function (answer) {
      state.page = answer.page;
      list.textContent = "";
      answer.items.forEach(function (file) { list.appendChild(item(file)); });
      status(answer.items.length ? "" : text("empty"));
      dialog.querySelector("[data-page]").textContent = text("page", { page: answer.page, pages: answer.pages });
      dialog.querySelector("[data-previous]").disabled = answer.page <= 1;
      dialog.querySelector("[data-next]").disabled = answer.page >= answer.pages;
    }).catch(function (error) { status(error.message); });
  }

  function choose(file) {
    var callback = state.onChoose;
    dialog.close();
    if (callback) callback(file);
  }

  function open(options) {
    var settings = options || {};
    if (!dialog) build();
    state.images = Boolean(settings.images);
    state.kind = settings.kind || "attachment";
    state.onChoose = settings.onChoose || null;
    state.opener = document.activeElement;
    state.q = "";
    dialog.querySelector("#lms-media-q").value = "";
    dialog.querySelector(".lms-media-title").textContent =
      settings.title || text(state.images ? "pickerTitleImage" : "pickerTitle");
    dialog.querySelector("#lms-media-file").setAttribute("accept", state.images ? "image/*" : "");
    dialog.showModal();
    dialog.querySelector("#lms-media-q").focus();
    return load(1);
  }

  function wire(root) {
    if (root.dataset.mediaWired) return;
    root.dataset.mediaWired = "1";
    var input = root.querySelector("[data-media-value]");
    var choice = root.querySelector("[data-media-choice]");
    var chooseButton = root.querySelector("[data-media-choose]");
    var removeButton = root.querySelector("[data-media-remove]");
    var label = input.id ? document.querySelector("label[for='" + input.id + "']") : null;
    chooseButton.id = input.id + "-choose";
    if (label) {
      label.id = label.id || input.id + "-label";
      label.setAttribute("for", chooseButton.id);
      chooseButton.setAttribute("aria-labelledby", label.id + " " + chooseButton.id);
    }
    input.type = "hidden";
    chooseButton.hidden = false;
    removeButton.hidden = !input.value;

    function show(file) {
      choice.textContent = "";
      if (file && file.thumbnail) {
        choice.appendChild(el("img", { src: file.thumbnail, alt: "", width: "48", height: "48" }));
        choice.appendChild(document.createTextNode(" "));
      }
      choice.appendChild(el("span", { class: "lms-media-name", dir: "auto", text: file ? file.name : text("noFile") }));
    }

    chooseButton.addEventListener("click", function () {
      open({
        images: root.dataset.mediaPicker === "image",
        kind: root.dataset.kind,
        onChoose: function (file) {
          input.value = String(file.id);
          show(file);
          removeButton.hidden = false;
        }
      });
    });
    removeButton.addEventListener("click", function () {
      input.value = "";
      show(null);
      removeButton.hidden = true;
      chooseButton.focus();
    });
  }

  window.LmsMediaPicker = { open: open, publish: publish, upload: upload, wire: wire };

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-media-picker]"), wire);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
