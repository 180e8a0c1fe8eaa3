/*
 * The back office's rich text editor (Quill 2, vendored in static/vendor/quill).
 *
 * Every <textarea data-richtext="ltr|rtl"> on the page is upgraded when the page loads: a labelled
 * toolbar (bold, italic, headings, lists, link, quote, code, image from the media library, the
 * paragraph's direction, clear formatting) that is one Tab stop (arrow keys, Home and End move
 * between its buttons), above the editor. The textarea is hidden but stays in the form and always
 * holds the editor's HTML, so the form posts as before; without scripts it simply stays a textarea.
 * Tab leaves the editor (no keyboard trap). The server sanitizes whatever is posted.
 *
 * Reusable piece (the course outline and question editors use it; the page must include
 * templates/lms/widgets/editor_assets.html, which brings Quill, this script, the media picker, the
 * styles and the words in the page's language):
 *   LmsRichText.upgrade(textarea, {direction: "rtl", kind: "attachment"}) -> {quill, sync}
 *       upgrades one textarea (for instance one a page added later); `direction` defaults to the
 *       textarea's data-richtext or dir, `kind` is the media kind of images uploaded from it.
 *       `sync()` copies the editor's HTML into the textarea (done on every change and on submit).
 */
(function () {
  "use strict";

  var Quill = window.Quill;
  var configNode = document.getElementById("lms-editor-config");
  var config = configNode ? JSON.parse(configNode.textContent) : {};
  var labels = config.labels || {};
  var FORMATS = ["bold", "italic", "header", "list", "link", "blockquote", "code", "code-block", "image", "direction"];
  var IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"];
  var counter = 0;

  // A paragraph's direction as a dir attribute, "rtl" or "ltr" (the sanitizer keeps dir; Quill's
  // own format is a class and knows only "rtl").
  var Parchment = Quill.import("parchment");
  Quill.register({
    "formats/direction": new Parchment.Attributor("direction", "dir", {
      scope: Parchment.Scope.BLOCK,
      whitelist: ["rtl", "ltr"]
    })
  }, true);
  var Delta = Quill.import("delta");

  function text(key) {
    return labels[key] || key;
  }

  function button(format, value, icon, label) {
    var node = document.createElement("button");
    node.type = "button";
    node.className = "ql-" + format;
    if (value) node.value = value;
    node.setAttribute("aria-label", label);
    node.setAttribute("title", label);
    node.setAttribute("aria-pressed", "false");
    node.innerHTML = icon;
    return node;
  }

  function icon(name) {
    return '<i class="fa ' + name + '" aria-hidden="true"></i>';
  }

  function toolbar(direction, name) {
    var other = direction === "rtl" ? "ltr" : "rtl";
    var arrow = other === "ltr" ? "\u2192" : "\u2190";
    var bar = document.createElement("div");
    bar.className = "lms-richtext-toolbar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", name ? text("toolbar") + ": " + name : text("toolbar"));
    [
      button("bold", null, icon("fa-bold"), text("bold")),
      button("italic", null, icon("fa-italic"), text("italic")),
      // The visible "H2" is part of the name, so that speech control users can say it.
      button("header", "2", "H2", text("heading") + " H2"),
      button("header", "3", "H3", text("subheading") + " H3"),
      button("list", "bullet", icon("fa-list-ul"), text("bulletList")),
      button("list", "ordered", icon("fa-list-ol"), text("orderedList")),
      button("link", null, icon("fa-link"), text("link")),
      button("blockquote", null, icon("fa-quote-right"), text("blockquote")),
      button("code", null, icon("fa-code"), text("code")),
      button("code-block", null, icon("fa-terminal"), text("codeBlock")),
      button("image", null, icon("fa-image"), text("image")),
      button("direction", other,
        icon("fa-paragraph") + '<span dir="ltr" aria-hidden="true">' + arrow + "</span>",
        text(other === "ltr" ? "directionLtr" : "directionRtl")),
      button("clean", null, icon("fa-eraser"), text("clean"))
    ].forEach(function (node) { bar.appendChild(node); });
    roving(bar);
    return bar;
  }

  // One Tab stop for the whole toolbar; arrows (mirrored in right-to-left), Home and End move.
  function roving(bar) {
    var buttons = function () { return Array.prototype.slice.call(bar.querySelectorAll("button")); };
    buttons().forEach(function (node, index) { node.tabIndex = index === 0 ? 0 : -1; });
    bar.addEventListener("keydown", function (event) {
      var all = buttons();
      var index = all.indexOf(document.activeElement);
      if (index < 0) return;
      // The buttons are laid out in the page's direction (the toolbar is part of the page).
      var rtl = window.getComputedStyle(bar).direction === "rtl";
      var forward = rtl ? "ArrowLeft" : "ArrowRight";
      var backward = rtl ? "ArrowRight" : "ArrowLeft";
      var next = null;
      if (event.key === forward) next = (index + 1) % all.length;
      else if (event.key === backward) next = (index - 1 + all.length) % all.length;
      else if (event.key === "Home") next = 0;
      else if (event.key === "End") next = all.length - 1;
      if (next === null) return;
      event.preventDefault();
      all[index].tabIndex = -1;
      all[next].tabIndex = 0;
      all[next].focus();
    });
    bar.addEventListener("focusin", function (event) {
      if (event.target.tagName !== "BUTTON") return;
      buttons().forEach(function (node) { node.tabIndex = node === event.target ? 0 : -1; });
    });
  }

  function labelOf(textarea) {
    var label = textarea.id ? document.querySelector("label[for='" + textarea.id + "']") : null;
    if (label && !label.id) label.id = textarea.id + "-label";
    return label;
  }

  function insertImage(quill, index, url, alt) {
    quill.updateContents(new Delta().retain(index).insert({ image: url }, { alt: alt || "" }), "user");
    quill.setSelection(index + 1, 0, "user");
  }

  function baseName(name) {
    return String(name || "").replace(/\.[^.]+$/, "");
  }

  function upgrade(textarea, options) {
    var settings = options || {};
    if (textarea.dataset.richtextReady) return textarea.lmsRichText;
    var direction = settings.direction || textarea.dataset.richtext || textarea.getAttribute("dir") || document.dir || "ltr";
    if (direction !== "rtl") direction = "ltr";
    var kind = settings.kind || textarea.dataset.mediaKind || "attachment";
    var label = labelOf(textarea);
    counter += 1;

    var wrapper = document.createElement("div");
    wrapper.className = "lms-richtext";
    var bar = toolbar(direction, label ? label.textContent.trim() : "");
    var holder = document.createElement("div");
    holder.className = "lms-richtext-editor";
    wrapper.appendChild(bar);
    wrapper.appendChild(holder);
    textarea.parentNode.insertBefore(wrapper, textarea);

    var quill = new Quill(holder, {
      formats: FORMATS,
      modules: {
        toolbar: {
          container: bar,
          handlers: {
            direction: function (value) { this.quill.format("direction", value, "user"); },
            link: function (value) {
              var range = this.quill.getSelection(true);
              if (!value) { this.quill.format("link", false, "user"); return; }
              var href = window.prompt(text("linkPrompt"), "https://");
              if (!href) return;
              if (range.length) this.quill.format("link", href, "user");
              else this.quill.insertText(range.index, href, "link", href, "user");
            },
            image: function () {
              var editor = this.quill;
              var range = editor.getSelection(true);
              window.LmsMediaPicker.open({
                images: true,
                kind: kind,
                onChoose: function (file) {
                  window.LmsMediaPicker.publish(file.id).then(function (url) {
                    var alt = window.prompt(text("altPrompt"), baseName(file.name));
                    insertImage(editor, range.index, url, alt === null ? baseName(file.name) : alt);
                  });
                }
              });
            }
          }
        },
        keyboard: {
          // Tab moves to the next control instead of indenting: no keyboard trap.
          bindings: {
            tab: false, indent: false, outdent: false, "remove tab": false,
            "indent code-block": false, "outdent code-block": false
          }
        },
        uploader: {
          mimetypes: IMAGE_TYPES,
          // Pasted and dropped images go to the media library (its checks) instead of data: URLs.
          handler: function (range, files) {
            var editor = this.quill;
            files.forEach(function (file) {
              window.LmsMediaPicker.upload(file, kind).then(function (stored) {
                return window.LmsMediaPicker.publish(stored.id).then(function (url) {
                  insertImage(editor, range.index, url, baseName(stored.name));
                });
              });
            });
          }
        }
      }
    });

    // Pasted content: headings the sanitizer keeps (h2-h4), no inline data: images it would drop.
    quill.clipboard.addMatcher(Node.ELEMENT_NODE, function (node, delta) {
      delta.ops.forEach(function (op) {
        if (op.attributes && op.attributes.header) {
          op.attributes.header = Math.min(Math.max(op.attributes.header, 2), 4);
        }
      });
      return delta;
    });
    quill.clipboard.addMatcher("IMG", function (node, delta) {
      return /^(data|blob):/i.test(node.getAttribute("src") || "") ? new Delta() : delta;
    });

    var root = quill.root;
    root.setAttribute("dir", direction);
    root.setAttribute("lang", textarea.getAttribute("lang") || (direction === "rtl" ? "ar" : "en"));
    root.setAttribute("role", "textbox");
    root.setAttribute("aria-multiline", "true");
    root.id = (textarea.id || "richtext-" + counter) + "-editor";
    if (label) {
      root.setAttribute("aria-labelledby", label.id);
      label.setAttribute("for", root.id);
      label.addEventListener("click", function (event) { event.preventDefault(); quill.focus(); });
    }

    // The stored HTML (sanitized by the server) is parsed by Quill's clipboard in a detached
    // document: nothing in it runs or loads while it is read.
    if (textarea.value) {
      quill.setContents(quill.clipboard.convert({ html: textarea.value, text: "\n" }), "silent");
      quill.history.clear();
    }

    function sync() {
      var empty = quill.getLength() <= 1;
      // Quill writes every space as &nbsp;, which would stop lines from wrapping on the page.
      textarea.value = empty ? "" : quill.getSemanticHTML().replace(/&nbsp;/g, " ");
    }
    quill.on("text-change", sync);
    if (textarea.form) textarea.form.addEventListener("submit", sync);
    textarea.hidden = true;
    textarea.dataset.richtextReady = "1";
    textarea.lmsRichText = { quill: quill, sync: sync };
    return textarea.lmsRichText;
  }

  window.LmsRichText = { upgrade: upgrade };

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-richtext]"), function (textarea) {
      upgrade(textarea);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
