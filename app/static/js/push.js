/* "Turn on browser notifications" on the notification preferences page: says whether this browser
   gets web push and turns it on (asks permission, registers /service-worker.js, subscribes with the
   site's VAPID public key, posts the subscription) or off (tells the site, then unsubscribes).
   Texts come from the section's data-* attributes, in the page's language. */
(function () {
  "use strict";
  var root = document.getElementById("push-settings");
  if (!root) { return; }
  var state = document.getElementById("push-state");
  var button = document.getElementById("push-toggle");
  var data = root.dataset;

  function say(text) { state.textContent = text; }

  function showButton(on) {
    button.hidden = false;
    button.setAttribute("data-on", on ? "1" : "0");
    button.textContent = on ? data.labelOff : data.labelOn;
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say(data.msgUnsupported);
    return;
  }

  function keyBytes(base64url) {
    var base64 = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function sameKey(subscription, key) {
    var own = subscription.options && subscription.options.applicationServerKey;
    if (!own) { return true; }  // browsers that do not say: assume it is ours
    var a = new Uint8Array(own);
    if (a.length !== key.length) { return false; }
    for (var i = 0; i < a.length; i += 1) { if (a[i] !== key[i]) { return false; } }
    return true;
  }

  function post(url, body) {
    return window.fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": data.csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    });
  }

  function registration() {
    return navigator.serviceWorker.register(data.worker, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    });
  }

  function denied() {
    say(data.msgDenied);
    button.hidden = true;
  }

  function turnOn() {
    var key = keyBytes(data.key);
    return window.Notification.requestPermission().then(function (permission) {
      if (permission === "denied") { denied(); return null; }
      if (permission !== "granted") { say(data.msgOff); return null; }
      return registration().then(function (reg) {
        return reg.pushManager.getSubscription().then(function (existing) {
          if (existing && sameKey(existing, key)) { return existing; }
          var gone = existing ? existing.unsubscribe() : Promise.resolve(true);
          return gone.then(function () {
            return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
          });
        });
      }).then(function (subscription) {
        return post(data.subscribe, subscription.toJSON());
      }).then(function () {
        say(data.msgOn);
        showButton(true);
      });
    });
  }

  function turnOff() {
    return registration().then(function (reg) {
      return reg.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) { return null; }
      // The site forgets it even if the browser's own unsubscribe fails, and the other way round.
      return post(data.unsubscribe, { endpoint: subscription.endpoint })
        .catch(function () { return null; })
        .then(function () { return subscription.unsubscribe(); });
    }).then(function () {
      say(data.msgOff);
      showButton(false);
    });
  }

  function refresh() {
    if (window.Notification.permission === "denied") { denied(); return; }
    registration().then(function (reg) {
      return reg.pushManager.getSubscription();
    }).then(function (subscription) {
      if (subscription && window.Notification.permission === "granted") {
        // Posting it again keeps the site's copy current (browsers renew subscriptions now and then).
        return post(data.subscribe, subscription.toJSON()).then(function () {
          say(data.msgOn);
          showButton(true);
        });
      }
      say(data.msgOff);
      showButton(false);
      return null;
    }).catch(function () {
      say(data.msgError);
      showButton(false);
    });
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    var action = button.getAttribute("data-on") === "1" ? turnOff : turnOn;
    action().catch(function () {
      say(data.msgError);
    }).then(function () {
      button.disabled = false;
    });
  });
  refresh();
})();
