// Work Diary behaviours htmx does not cover: selecting cells of the week grid (click,
// shift-click, ctrl-click, drag, keyboard), the snapshot viewer's keys, dismiss buttons and
// printing. No inline script anywhere (the Content-Security-Policy forbids it); the server
// renders everything else. Both programs serve this one file (ui/static): the Team app and
// the diary server, whose pages carry a CSRF token in <meta name="csrf-token"> that every
// htmx request sends back. A week-grid edit is answered with only the changed cells and
// the totals (out-of-band swaps); the selection is re-applied to the new cells.
(function () {
  "use strict";

  var selected = new Set(); // segment ids, kept across htmx swaps of the grid
  var anchor = null; // id where a shift-range starts
  var dragging = null; // {from: id, base: Set} while the mouse button is down

  function grid() { return document.getElementById("week-grid"); }

  // Every grid cell (including empty ones) as rows x columns, for keyboard moves.
  function matrix(table) {
    return Array.prototype.map.call(table.tBodies[0].rows, function (tr) {
      return Array.prototype.slice.call(tr.cells, 1);
    });
  }

  // Selectable cells in time order: day by day, then slot by slot.
  function timeOrdered(table) {
    var m = matrix(table), out = [];
    if (!m.length) return out;
    for (var d = 0; d < m[0].length; d++) {
      for (var r = 0; r < m.length; r++) {
        var td = m[r][d];
        if (td && td.dataset.id && td.getAttribute("aria-disabled") !== "true") out.push(td);
      }
    }
    return out;
  }

  function byId(table, id) { return table.querySelector('td[data-id="' + id + '"]'); }

  function range(table, fromId, toId) {
    var cells = timeOrdered(table), ids = cells.map(function (c) { return c.dataset.id; });
    var a = ids.indexOf(String(fromId)), b = ids.indexOf(String(toId));
    if (a < 0 || b < 0) return [];
    if (a > b) { var t = a; a = b; b = t; }
    return ids.slice(a, b + 1);
  }

  function minutesText(m) { return Math.floor(m / 60) + ":" + String(m % 60).padStart(2, "0"); }

  function render(table) {
    var minutes = 0, n = 0, deletable = true;
    table.querySelectorAll("td[data-id]").forEach(function (td) {
      var on = selected.has(td.dataset.id) && td.getAttribute("aria-disabled") !== "true";
      td.setAttribute("aria-selected", on ? "true" : "false");
      td.classList.toggle("sel", on);
      if (on) { n++; minutes += parseInt(td.dataset.m || "0", 10); if (!td.dataset.del) deletable = false; }
    });
    // Drop ids that are gone (deleted, another week).
    selected.forEach(function (id) {
      var td = byId(table, id);
      if (!td || td.getAttribute("aria-disabled") === "true") selected.delete(id);
    });
    var form = document.getElementById("diary-selection");
    if (!form) return;
    document.getElementById("selected-ids").value = Array.from(selected).join(",");
    var count = document.getElementById("sel-count");
    count.textContent = n
      ? n + " segment" + (n === 1 ? "" : "s") + " selected (" + minutesText(minutes) + ")"
      : "Select segments in the grid: click, shift-click, drag, or arrow keys and space.";
    form.querySelectorAll("input[name=memo], select, #sel-apply, #sel-clear").forEach(function (el) {
      el.disabled = n === 0;
    });
    var del = document.getElementById("sel-delete");
    if (del) {
      del.disabled = n === 0 || !deletable;
      del.title = n && !deletable ? "Some selected segments can no longer be deleted" : "";
    }
  }

  function focusCell(table, td) {
    if (!td) return;
    table.querySelectorAll('td[tabindex="0"]').forEach(function (c) { c.setAttribute("tabindex", "-1"); });
    td.setAttribute("tabindex", "0");
    td.focus({ preventScroll: false });
    showDetail(td);
  }

  function showDetail(td) {
    var detail = document.getElementById("cell-detail");
    if (detail) detail.textContent = td && td.getAttribute("aria-label") ? td.getAttribute("aria-label") : "\u00a0";
  }

  function choose(table, td, event) {
    var id = td.dataset.id;
    if (!id || td.getAttribute("aria-disabled") === "true") return;
    if (event.shiftKey && anchor) {
      if (!(event.ctrlKey || event.metaKey)) selected.clear();
      range(table, anchor, id).forEach(function (x) { selected.add(x); });
    } else if (event.ctrlKey || event.metaKey) {
      if (selected.has(id)) selected.delete(id); else selected.add(id);
      anchor = id;
    } else {
      var only = selected.size === 1 && selected.has(id);
      selected.clear();
      if (!only) selected.add(id);
      anchor = id;
    }
    render(table);
  }

  function init() {
    var table = grid();
    if (!table || table.dataset.ready) return;
    table.dataset.ready = "1";
    var editable = table.classList.contains("editable");
    var first = table.querySelector("td.sel") || table.querySelector("td[data-id]") || table.querySelector("td.e");
    if (first) first.setAttribute("tabindex", "0");
    render(table);

    table.addEventListener("mousedown", function (event) {
      var td = event.target.closest("td[data-id]");
      if (!td || !editable || event.button !== 0) return;
      event.preventDefault(); // no text selection while dragging
      focusCell(table, td);
      if (event.shiftKey || event.ctrlKey || event.metaKey) { choose(table, td, event); return; }
      dragging = { from: td.dataset.id, moved: false };
    });
    table.addEventListener("mouseover", function (event) {
      var td = event.target.closest("td");
      if (td && td.dataset.id) showDetail(td); // (an empty slot keeps the last cell's words)
      if (!dragging || !td || !td.dataset.id) return;
      if (td.dataset.id !== dragging.from) dragging.moved = true;
      if (!dragging.moved) return;
      selected.clear();
      range(table, dragging.from, td.dataset.id).forEach(function (x) { selected.add(x); });
      anchor = dragging.from;
      render(table);
    });
    table.addEventListener("focusin", function (event) {
      var td = event.target.closest("td");
      if (td) showDetail(td);
    });

    table.addEventListener("keydown", function (event) {
      var td = event.target.closest("td");
      if (!td) return;
      var m = matrix(table);
      var r = td.parentNode.sectionRowIndex, c = td.cellIndex - 1;
      var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      if (moves[event.key]) {
        event.preventDefault();
        var nr = Math.max(0, Math.min(m.length - 1, r + moves[event.key][0]));
        var nc = Math.max(0, Math.min(m[0].length - 1, c + moves[event.key][1]));
        var next = m[nr][nc];
        focusCell(table, next);
        if (event.shiftKey && editable && next.dataset.id) {
          if (!anchor) anchor = td.dataset.id || next.dataset.id;
          selected.clear();
          range(table, anchor, next.dataset.id).forEach(function (x) { selected.add(x); });
          render(table);
        }
      } else if ((event.key === " " || event.key === "Spacebar") && editable) {
        event.preventDefault();
        if (td.dataset.id) choose(table, td, { shiftKey: event.shiftKey, ctrlKey: true });
      } else if (event.key === "Enter" && selected.size) {
        event.preventDefault();
        var memo = document.getElementById("sel-memo") || document.getElementById("sel-label");
        if (memo) memo.focus();
      } else if (event.key === "Escape") {
        selected.clear();
        render(table);
      } else if ((event.key === "a" || event.key === "A") && (event.ctrlKey || event.metaKey) && editable) {
        event.preventDefault();
        timeOrdered(table).forEach(function (x) { selected.add(x.dataset.id); });
        render(table);
      }
    });
  }

  // The Hourly Protection fix list: "#segs-first~last" selects those segments in the week
  // grid and focuses the first; "#seg-id" focuses that segment of the day view.
  function jump(hash) {
    var m = /^#segs-(.+)~(.+)$/.exec(hash || ""), table = grid();
    if (m && table) {
      var from = decodeURIComponent(m[1]), to = decodeURIComponent(m[2]);
      var ids = range(table, from, to);
      if (!ids.length) return false;
      if (table.classList.contains("editable")) {
        selected.clear();
        ids.forEach(function (x) { selected.add(x); });
        anchor = from;
        render(table);
      }
      var td = byId(table, from);
      focusCell(table, td);
      td.scrollIntoView({ block: "center" });
      return true;
    }
    var d = /^#seg-(.+)$/.exec(hash || "");
    var cell = d && document.getElementById("seg-" + decodeURIComponent(d[1]));
    if (cell) { cell.focus({ preventScroll: true }); cell.scrollIntoView({ block: "center" }); return true; }
    return false;
  }

  document.addEventListener("click", function (event) {
    var a = event.target.closest("#fix-list a[href^='#']");
    if (!a) return;
    var href = a.getAttribute("href");
    if (href.indexOf("#segs-") === 0) { // no element has that id: select here, keep the address
      if (!jump(href)) return;
      event.preventDefault();
      history.replaceState(null, "", href);
    } else {
      setTimeout(function () { jump(href); }, 0); // after the browser moved to the :target
    }
  });

  document.addEventListener("mouseup", function (event) {
    if (!dragging) return;
    var d = dragging, table = grid();
    dragging = null;
    if (!d.moved && table) {
      var td = byId(table, d.from);
      if (td) choose(table, td, event);
    }
  });

  document.addEventListener("click", function (event) {
    var t = event.target;
    if (t.closest("#sel-clear")) {
      selected.clear();
      var table = grid();
      if (table) render(table);
      return;
    }
    var dismiss = t.closest("[data-dismiss]");
    if (dismiss) {
      var target = document.querySelector(dismiss.dataset.dismiss);
      if (target) target.remove();
      return;
    }
    if (t.closest("[data-print]")) window.print();
  });

  // The snapshot viewer: arrows step through the day, Escape closes.
  document.addEventListener("keydown", function (event) {
    var viewer = document.getElementById("viewer");
    if (!viewer) return;
    if (event.key === "Escape") { viewer.remove(); return; }
    var nav = viewer.querySelector('[data-key="' + event.key + '"]');
    if (nav && !/^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName)) { event.preventDefault(); nav.click(); }
  });

  // The diary server's pages: send their CSRF token with every htmx request.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
  });

  // A refused edit (409) or bad input (422) comes back with its message in the view: show it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 409 || status === 422) && event.detail.requestConfig && /\/diary/.test(event.detail.requestConfig.path)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var swapped = event.detail.target && event.detail.target.id;
    if (swapped === "diary-day") {
      var open = document.getElementById("viewer");
      if (open) open.remove();
    }
    if (swapped === "diary-viewer") {
      var close = document.querySelector("#viewer .viewer-close");
      if (close) close.focus();
    }
    init();
    var table = grid();
    if (table && table.dataset.ready) render(table); // cells swapped out of band: re-mark the selection
  });
  function start() {
    init();
    if (/^#segs?-/.test(location.hash)) jump(location.hash);
    else if (location.hash === "#fix-list") {
      var list = document.getElementById("fix-list") || document.getElementById("protection");
      if (list) { list.focus({ preventScroll: true }); list.scrollIntoView({ block: "nearest" }); }
    }
  }
  if (document.readyState !== "loading") start(); else document.addEventListener("DOMContentLoaded", start);
})();
