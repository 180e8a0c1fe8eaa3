/* The bell: keeps the unread count live over the /notifications Socket.IO namespace (the server
   puts each signed-in connection in its user's room), announces new notifications to screen
   readers, and adds them on top of the notifications list when it is open. */
(function () {
  "use strict";
  var bell = document.getElementById("lms-bell");
  if (!bell || typeof window.io !== "function") { return; }
  var badge = document.getElementById("lms-bell-count");
  var live = document.getElementById("lms-bell-live");

  function setCount(count) {
    badge.textContent = String(count);
    badge.hidden = !count;
    bell.setAttribute("aria-label", count
      ? bell.getAttribute("data-label-some").replace("__N__", String(count))
      : bell.getAttribute("data-label-none"));
    bell.setAttribute("data-count", String(count));
  }

  function addToList(item) {
    var list = document.getElementById("notification-list");
    if (!list || !item) { return; }
    var li = document.createElement("li");
    li.className = "notification is-unread";
    li.setAttribute("data-id", String(item.id));
    var link = document.createElement("a");
    link.className = "notification-link";
    link.href = item.url;
    link.textContent = item.text;
    li.appendChild(link);
    list.insertBefore(li, list.firstChild);
  }

  var socket = window.io("/notifications");
  socket.on("notification", function (data) {
    if (!data) { return; }
    setCount(data.unread || 0);
    if (data.item) {
      live.textContent = data.item.text;
      addToList(data.item);
    }
  });
  bell.setAttribute("data-live", "connecting");
  socket.on("connect", function () { bell.setAttribute("data-live", "on"); });
})();
