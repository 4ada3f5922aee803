// Small behaviours htmx does not cover: the memo's live character counter and the review
// countdown. No inline script anywhere (the Content-Security-Policy forbids it).
(function () {
  "use strict";

  function updateCounter(textarea) {
    var box = textarea.closest("form");
    if (!box) return;
    var counter = box.querySelector(".counter");
    if (!counter) return;
    var limit = parseInt(textarea.dataset.limit, 10);
    var n = textarea.value.length;
    counter.querySelector(".count").textContent = n;
    var over = n > limit;
    counter.classList.toggle("over", over);
    textarea.setAttribute("aria-invalid", over ? "true" : "false");
    var button = box.querySelector("button[type=submit]");
    if (button) button.disabled = over;
    counter.title = over ? "Too long: " + (n - limit) + " characters over the limit" : "";
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-limit]")) updateCounter(event.target);
  });

  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (prompt) {
      var left = parseInt(prompt.dataset.countdown, 10) - 1;
      prompt.dataset.countdown = String(left);
      var text = prompt.querySelector(".countdown");
      if (text) text.textContent = Math.max(0, left);
      if (left <= 0) prompt.remove(); // no answer means keep
    });
  }
  setInterval(tick, 1000);

  function init(root) {
    root.querySelectorAll("textarea[data-limit]").forEach(updateCounter);
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target.parentNode || document); });
  document.addEventListener("htmx:oobAfterSwap", function (event) { init(document); });
})();

// "Copy to clipboard" buttons: data-copy holds the selector of the text to copy.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-copy]");
  if (!button) return;
  var source = document.querySelector(button.dataset.copy);
  if (!source) return;
  source.select();
  var done = function () { button.textContent = "Copied"; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(source.value).then(done, function () { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");
    done();
  }
});

// The app serves under a per-launch path prefix (web/security.py): the main screen says which.
function teamappUrl(path) {
  "use strict";
  var live = document.querySelector("[data-base]");
  return (live ? live.getAttribute("data-base") : "") + path;
}

// Tell the app whether this page is in front: desktop notifications appear only when not.
(function () {
  "use strict";
  var page = Math.random().toString(36).slice(2);
  function report() {
    if (!document.getElementById("status-line")) return; // only the main screen listens
    var inFront = document.visibilityState === "visible" && document.hasFocus();
    fetch(teamappUrl("/presence"), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "page=" + page + "&visible=" + (inFront ? "1" : "0"),
      credentials: "same-origin",
    }).catch(function () {});
  }
  document.addEventListener("visibilitychange", report);
  window.addEventListener("focus", report);
  window.addEventListener("blur", report);
  window.addEventListener("pagehide", function () {
    navigator.sendBeacon && navigator.sendBeacon(teamappUrl("/presence"), new URLSearchParams("page=" + page + "&visible=0"));
  });
  document.addEventListener("DOMContentLoaded", report);
})();

// After the WebSocket reconnects (server restarted, laptop woke up), fetch the whole state once:
// pushes sent while it was down are gone. The first connection needs nothing: the page is fresh.
(function () {
  "use strict";
  var opened = false;
  document.addEventListener("htmx:wsOpen", function () {
    if (opened && window.htmx) {
      window.htmx.ajax("GET", teamappUrl("/logging/state"), { target: "#ws-ping", swap: "innerHTML" });
    }
    opened = true;
  });
})();

// An htmx request the server could not carry out (web/errors.py): its message, and nothing
// on the page replaced, so a form keeps what was typed.
document.addEventListener("teamapp:error", function (event) {
  var box = document.getElementById("app-error");
  if (!box) { return; }
  box.textContent = (event.detail && event.detail.message) || "That did not work. Try again.";
  box.hidden = false;
});
document.addEventListener("htmx:afterRequest", function (event) {
  var box = document.getElementById("app-error");
  if (box && event.detail.successful && !event.detail.xhr.getResponseHeader("HX-Trigger")) { box.hidden = true; }
});
