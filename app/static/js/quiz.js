/* Quiz attempt: a countdown kept in step with the server's deadline, autosave of each answer.
 *
 * The server owns the deadline: the page gives the seconds left when it was rendered, the clock
 * counts down locally and re-syncs from the state endpoint every `data-sync` seconds (and when the
 * tab comes back). At zero the form is handed in; answers sent after the deadline are refused by the
 * server whatever this script does.
 */
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form) {
    return;
  }
  var data = form.dataset;
  var csrf = data.csrf || "";
  var countdown = document.getElementById("countdown");
  var status = document.getElementById("save-status");
  var timed = data.secondsLeft !== "" && data.secondsLeft !== undefined;
  var endAt = timed ? Date.now() + Math.max(0, parseInt(data.secondsLeft, 10) || 0) * 1000 : null;
  var syncEvery = Math.max(5, parseInt(data.sync, 10) || 30) * 1000;
  var handingIn = false;
  var warned = false;
  var chains = {};
  var typingTimers = {};
  var tick = null;
  var sync = null;

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function format(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    return h > 0 ? h + ":" + pad(m) + ":" + pad(s) : pad(m) + ":" + pad(s);
  }

  function secondsLeft() {
    return Math.max(0, Math.ceil((endAt - Date.now()) / 1000));
  }

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function handIn() {
    if (handingIn) {
      return;
    }
    handingIn = true;
    stopClocks();
    say(data.textTimeup);
    form.submit();  // no submit event: no "unanswered questions" question at the deadline
  }

  function render() {
    if (endAt === null || !countdown) {
      return;
    }
    var left = secondsLeft();
    countdown.textContent = format(left);
    countdown.classList.toggle("low", left <= 60);
    if (left <= 60 && left > 0 && !warned) {
      warned = true;
      say(data.textLastMinute);
    }
    if (left <= 3) {
      flushTyping();  // answers typed in the last seconds leave before the deadline
    }
    if (left <= 0) {
      handIn();
    }
  }

  function json(url, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, body: body };
      });
    });
  }

  function resync() {
    if (handingIn) {
      return;
    }
    json(data.stateUrl).then(function (result) {
      if (result.status !== 200) {
        return;
      }
      if (result.body.state !== "in_progress") {
        stopClocks();
        window.location.reload();  // finished elsewhere (another tab, the overdue task)
        return;
      }
      if (endAt !== null && typeof result.body.seconds_left === "number") {
        endAt = Date.now() + result.body.seconds_left * 1000;
        render();
      }
    }).catch(function () { /* offline for a moment: the local clock keeps going */ });
  }

  function stopClocks() {
    if (tick !== null) {
      window.clearInterval(tick);
      tick = null;
    }
    if (sync !== null) {
      window.clearInterval(sync);
      sync = null;
    }
  }

  function flushTyping() {
    Object.keys(typingTimers).forEach(function (id) {
      if (typingTimers[id] !== null) {
        window.clearTimeout(typingTimers[id]);
        typingTimers[id] = null;
        var fieldset = form.querySelector('fieldset.question[data-question-id="' + id + '"]');
        if (fieldset) {
          save(fieldset);
        }
      }
    });
  }

  function answerOf(fieldset) {
    var type = fieldset.dataset.type;
    if (type === "multiple_choice" || type === "true_false") {
      return Array.prototype.map.call(
        fieldset.querySelectorAll("input:checked"),
        function (input) { return parseInt(input.value, 10); }
      );
    }
    var field = fieldset.querySelector("input.answer-text, textarea");
    return field ? field.value : "";
  }

  function answered(fieldset) {
    var answer = answerOf(fieldset);
    return Array.isArray(answer) ? answer.length > 0 : answer.trim() !== "";
  }

  function note(fieldset, text, failed) {
    var place = fieldset.querySelector(".save-note");
    if (place) {
      place.textContent = text;
      place.classList.toggle("error", !!failed);
    }
  }

  function save(fieldset) {
    var id = fieldset.dataset.questionId;
    note(fieldset, data.textSaving, false);
    // One request at a time per question, each sending the value current when it leaves.
    chains[id] = (chains[id] || Promise.resolve()).then(function () {
      if (handingIn) {
        return null;
      }
      return json(data.answerUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ question_id: parseInt(id, 10), answer: answerOf(fieldset) })
      }).then(function (result) {
        if (result.status === 200 && result.body.saved) {
          note(fieldset, data.textSaved, false);
          if (endAt !== null && typeof result.body.seconds_left === "number") {
            endAt = Date.now() + result.body.seconds_left * 1000;
          }
        } else if (result.status === 403 || result.status === 409) {
          note(fieldset, result.body.message || data.textTimeup, true);
          stopClocks();
          window.setTimeout(function () { window.location.reload(); }, 1500);
        } else {
          note(fieldset, result.body.message || data.textError, true);
        }
      }).catch(function () {
        note(fieldset, data.textError, true);
      });
    });
    return chains[id];
  }

  function fieldsetOf(element) {
    return element && element.closest ? element.closest("fieldset.question") : null;
  }

  form.addEventListener("change", function (event) {
    var fieldset = fieldsetOf(event.target);
    if (fieldset) {
      window.clearTimeout(typingTimers[fieldset.dataset.questionId]);
      typingTimers[fieldset.dataset.questionId] = null;
      save(fieldset);
    }
  });

  form.addEventListener("input", function (event) {
    var fieldset = fieldsetOf(event.target);
    if (!fieldset || event.target.type === "radio" || event.target.type === "checkbox") {
      return;
    }
    var id = fieldset.dataset.questionId;
    window.clearTimeout(typingTimers[id]);
    typingTimers[id] = window.setTimeout(function () {
      typingTimers[id] = null;
      save(fieldset);
    }, 1500);
  });

  form.addEventListener("submit", function (event) {
    var questions = form.querySelectorAll("fieldset.question");
    var missing = Array.prototype.some.call(questions, function (fieldset) { return !answered(fieldset); });
    if (missing && !window.confirm(data.textUnanswered)) {
      event.preventDefault();
      return;
    }
    handingIn = true;
    stopClocks();
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      resync();
    }
  });

  if (endAt !== null) {
    render();
    tick = window.setInterval(render, 500);
  }
  sync = window.setInterval(resync, syncEvery);
  window.lmsQuiz = { save: save, resync: resync, secondsLeft: function () { return endAt === null ? null : secondsLeft(); } };
})();
