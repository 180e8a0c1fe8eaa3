/* The service worker (served at /service-worker.js, scope "/"): shows each pushed notification
   (the site's name, the text in the reader's language and direction) and opens its page when it is
   clicked. Only pages of this site are opened, whatever the payload says. */
"use strict";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function ownPage(url) {
  var home = self.location.origin + "/notifications/";
  if (!url) { return home; }
  try {
    var target = new URL(url, self.location.origin);
    if (target.protocol !== "https:" && target.protocol !== "http:") { return home; }
    // Another origin (a stale public address): the same path on this site, never a foreign page.
    return self.location.origin + target.pathname + target.search + target.hash;
  } catch (error) {
    return home;
  }
}

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (error) { data = {}; }
  var options = {
    body: String(data.body || ""),
    lang: String(data.lang || ""),
    dir: data.dir === "rtl" || data.dir === "ltr" ? data.dir : "auto",
    data: { url: ownPage(data.url) }
  };
  if (data.tag) { options.tag = String(data.tag); }
  event.waitUntil(self.registration.showNotification(String(data.title || self.location.host), options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = ownPage(event.notification.data && event.notification.data.url);
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    for (var i = 0; i < windows.length; i += 1) {
      if (windows[i].url === url && "focus" in windows[i]) { return windows[i].focus(); }
    }
    return self.clients.openWindow(url);
  }));
});
