// Progressive enhancement for the xerochat web app. Every page works
// without it; with it, buttons that destroy ask first, secrets get a copy
// button, and background jobs show live progress.
"use strict";

document.addEventListener("click", function (ev) {
  var btn = ev.target.closest("[data-confirm]");
  if (btn && !window.confirm(btn.getAttribute("data-confirm"))) {
    ev.preventDefault();
  }
});

document.addEventListener("click", function (ev) {
  var btn = ev.target.closest("[data-copy]");
  if (!btn) return;
  var field = document.getElementById(btn.getAttribute("data-copy"));
  if (!field) return;
  field.select();
  var done = function () {
    var note = btn.parentElement.querySelector(".copied");
    if (note) note.hidden = false;
  };
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(field.value).then(done, function () {
      document.execCommand("copy");
      done();
    });
  } else {
    document.execCommand("copy");
    done();
  }
});

// Live progress: an element with data-progress-url is refreshed from that
// JSON endpoint until the job is finished, then the page reloads to show
// the summary.
(function () {
  var box = document.querySelector("[data-progress-url]");
  if (!box) return;
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector("progress");
  var text = box.querySelector(".progress-text");
  var tick = function () {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (bar) { bar.max = j.total || 1; bar.value = j.done; }
        if (text) text.textContent = j.text;
        if (j.finished) { window.location.reload(); return; }
        setTimeout(tick, 500);
      })
      .catch(function () { setTimeout(tick, 2000); });
  };
  tick();
})();
