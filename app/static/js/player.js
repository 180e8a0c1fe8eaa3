/* Lesson player: heartbeats for bounded time tracking, video position, completion on video end,
 * and completion of a text lesson when the learner reaches the end of it.
 *
 * The server credits only real time between beats while the learner is active, so this script only
 * reports facts: is the tab visible and was there activity in the last two minutes (or is a video
 * playing), where the video is, and whether it ended. A text lesson has a mark after its content
 * (#read-end): once it has stayed in view for a moment, the lesson is completed through the same
 * endpoint as the "Mark as complete" button, and the completion box says so (an aria-live region).
 */
(function () {
  "use strict";
  var root = document.getElementById("player");
  if (!root || !root.dataset.heartbeatUrl) {
    return;
  }
  var url = root.dataset.heartbeatUrl;
  var csrf = root.dataset.csrf || "";
  var interval = Math.max(5, parseInt(root.dataset.interval, 10) || 30) * 1000;
  var IDLE_AFTER = 2 * 60 * 1000;
  var lastActivity = Date.now();
  var video = root.querySelector("video");
  var timer = null;

  function touch() {
    lastActivity = Date.now();
  }
  ["mousemove", "mousedown", "keydown", "scroll", "touchstart", "wheel"].forEach(function (name) {
    window.addEventListener(name, touch, { passive: true });
  });

  function videoPlaying() {
    return !!video && !video.paused && !video.ended && video.readyState > 2;
  }

  function isActive() {
    var visible = document.visibilityState === "visible";
    return visible && (videoPlaying() || Date.now() - lastActivity < IDLE_AFTER);
  }

  function markCompleted() {
    var item = document.querySelector('.player-outline li.current');
    if (item && !item.classList.contains("done")) {
      item.classList.add("done");
      var mark = item.querySelector(".mark");
      if (mark) {
        mark.textContent = "\u2713";
      }
    }
    var status = document.getElementById("lesson-status");
    if (status && !status.textContent.trim()) {
      status.textContent = status.dataset.doneText || "\u2713";
      status.classList.add("flash", "flash-success");
    }
    var form = document.getElementById("complete-form");
    if (form) {
      form.remove();  // nothing left to press: the box says it is done
    }
  }

  function beat(extra, keepalive) {
    var payload = { active: isActive(), ended: false };
    if (video && isFinite(video.duration)) {
      payload.position = Math.floor(video.currentTime);
      payload.duration = Math.floor(video.duration);
    }
    if (extra) {
      Object.keys(extra).forEach(function (key) {
        payload[key] = extra[key];
      });
    }
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": csrf
      },
      body: JSON.stringify(payload)
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) {
        stop();  // signed out or access ended: no point in beating on
        return null;
      }
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data && data.completed) {
        markCompleted();
      }
      root.dispatchEvent(new CustomEvent("lms:heartbeat", { detail: data }));
      return data;
    }).catch(function () {
      return null;  // offline for a moment: the next beat tries again
    });
  }

  function start() {
    if (timer === null) {
      timer = window.setInterval(function () { beat(); }, interval);
    }
  }

  function stop() {
    if (timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
  }

  if (video) {
    video.addEventListener("ended", function () {
      beat({ ended: true, active: true });
    });
    video.addEventListener("play", touch);
    video.addEventListener("seeked", touch);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      beat({ active: Date.now() - lastActivity < IDLE_AFTER }, true);  // close the running period
    } else {
      touch();
    }
  });

  // ---- reading to the end --------------------------------------------------------------------
  var readEnd = document.getElementById("read-end");
  var completeUrl = root.dataset.completeUrl;
  var READ_DWELL = 1500;  // ms the end stays in view: scrolling past it on the way down is not reading
  var dwellTimer = null;
  var reading = null;

  function completeByReading() {
    if (reading) {
      return;
    }
    reading = fetch(completeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": csrf
      },
      body: "{}"
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data && data.completed) {
        if (observer) {
          observer.disconnect();
        }
        markCompleted();
      } else {
        reading = null;  // refused or failed: the button is still there
      }
    }).catch(function () {
      reading = null;  // offline for a moment: reaching the end again tries again
    });
  }

  var observer = null;
  if (readEnd && completeUrl && "IntersectionObserver" in window) {
    observer = new IntersectionObserver(function (entries) {
      var inView = entries.some(function (entry) { return entry.isIntersecting; });
      if (inView && dwellTimer === null) {
        dwellTimer = window.setTimeout(function () {
          dwellTimer = null;
          if (document.visibilityState === "visible") {
            completeByReading();
          }
        }, READ_DWELL);
      } else if (!inView && dwellTimer !== null) {
        window.clearTimeout(dwellTimer);
        dwellTimer = null;
      }
    });
    observer.observe(readEnd);
  }

  window.lmsPlayer = { beat: beat, stop: stop };  // for tests and other scripts
  beat();  // starts the clock for this lesson
  start();
})();
