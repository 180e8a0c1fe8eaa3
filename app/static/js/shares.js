/* Share dialogs (portal/_share.html): open and close the native dialog (focus goes back to the Share
   button), copy the link, the phone's share sheet, and record each use as a share (a background
   POST with the page's CSRF token) when the box has a record URL (signed-in users), once per channel
   and page (the server counts a repeat within SHARE_DEDUPE_HOURS once anyway). */
(function () {
  "use strict";
  function record(box, channel) {
    var url = box.dataset.recordUrl;
    if (!url) { return; }
    var sent = (box.dataset.shareSent || "").split(" ");
    if (sent.indexOf(channel) !== -1) { return; }
    box.dataset.shareSent = sent.concat([channel]).join(" ").trim();
    var body = new FormData();
    body.append("csrf_token", box.dataset.csrf || "");
    body.append("channel", channel);
    body.append("quiet", "1");  // answered with data, no message for the next page
    if (navigator.sendBeacon && navigator.sendBeacon(url, body)) { return; }
    if (window.fetch) {
      fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "application/json" }, keepalive: true })
        .catch(function () { /* a share that was not counted does not stop the sharing */ });
    }
  }
  function say(box, text) {
    var status = box.querySelector("[data-share-status]");
    if (status) { status.textContent = text; }
  }
  function copy(box) {
    var input = box.querySelector(".share-link");
    if (!input) { return; }
    var done = function () { say(box, box.querySelector("[data-share-status]").dataset.copied || ""); record(box, "copy"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    } else {
      input.focus();
      input.select();
      try { if (document.execCommand("copy")) { done(); } } catch (e) { /* the selected text can be copied by hand */ }
    }
  }
  document.querySelectorAll("[data-share]").forEach(function (box) {
    var opener = box.querySelector("[data-share-open]");
    var dialog = box.querySelector("dialog");
    if (!opener || !dialog || typeof dialog.showModal !== "function") { return; }
    opener.hidden = false;
    opener.addEventListener("click", function () {
      dialog.showModal();
      opener.setAttribute("aria-expanded", "true");
      var input = dialog.querySelector(".share-link");
      if (input) { input.focus(); input.select(); }
    });
    dialog.addEventListener("close", function () {
      opener.setAttribute("aria-expanded", "false");
      opener.focus();
    });
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) { dialog.close(); }  // a click on the backdrop
    });
    var copyButton = dialog.querySelector("[data-share-copy]");
    if (copyButton) { copyButton.addEventListener("click", function () { copy(box); }); }
    dialog.querySelectorAll("[data-share-channel]").forEach(function (link) {
      link.addEventListener("click", function () { record(box, link.dataset.shareChannel); });
    });
    var native = dialog.querySelector("[data-share-native]");
    if (native && navigator.share) {
      native.hidden = false;
      native.addEventListener("click", function () {
        var input = dialog.querySelector(".share-link");
        navigator.share({ title: native.dataset.title || document.title, url: input ? input.value : location.href })
          .then(function () { record(box, "native"); })
          .catch(function () { /* cancelled */ });
      });
    }
  });
})();
