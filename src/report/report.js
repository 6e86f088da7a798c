// cutover report: sortable and filterable tables, nothing else. The rows are rendered by the
// server side (already escaped); this script only reorders and hides them. When it has run it
// marks <html data-ready="N"> with the number of data rows, which the browser test checks.
(function () {
  "use strict";

  function cellKey(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var key = cell.getAttribute("data-sort");
    return key !== null ? key : cell.textContent.trim();
  }

  function sortBy(table, th, index) {
    var numeric = th.classList.contains("num");
    var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute("aria-sort");
    th.setAttribute("aria-sort", dir);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).filter(function (r) {
      return !r.classList.contains("empty");
    });
    // Ties keep their previous (server) order: Array.prototype.sort is stable.
    rows.sort(function (a, b) {
      var x = cellKey(a, index), y = cellKey(b, index), c;
      if (numeric) c = (parseFloat(x) || 0) - (parseFloat(y) || 0);
      else c = x.localeCompare(y, undefined, { numeric: true, sensitivity: "base" });
      return dir === "ascending" ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  function applyFilter(box, text) {
    var table = box.querySelector("table");
    var shown = box.querySelector(".shown");
    var needle = text.trim().toLowerCase();
    var rows = table.tBodies[0].rows, total = 0, visible = 0;
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].classList.contains("empty")) continue;
      total++;
      var hit = !needle || rows[i].textContent.toLowerCase().indexOf(needle) !== -1;
      rows[i].hidden = !hit;
      if (hit) visible++;
    }
    if (shown) shown.textContent = needle ? visible + " of " + total + " shown" : total + (total === 1 ? " row" : " rows");
    box.setAttribute("data-visible", String(visible));
    return total;
  }

  function initBox(box, query) {
    var table = box.querySelector("table");
    if (!table || !table.tHead) return 0;
    if (table.classList.contains("sortable")) {
      var heads = table.tHead.rows[0].cells;
      Array.prototype.forEach.call(heads, function (th, index) {
        th.tabIndex = 0;
        th.addEventListener("click", function () { sortBy(table, th, index); });
        th.addEventListener("keydown", function (e) {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, th, index); }
        });
      });
    }
    var input = box.querySelector("input.filter");
    if (input) {
      input.addEventListener("input", function () { applyFilter(box, input.value); });
      if (query) input.value = query;
    }
    return applyFilter(box, input ? input.value : "");
  }

  // A link like report.html#q=billing opens with every table filtered to "billing".
  function hashQuery() {
    var m = /(?:^#|&)q=([^&]*)/.exec(window.location.hash || "");
    if (!m) return "";
    try { return decodeURIComponent(m[1].replace(/\+/g, " ")); } catch (e) { return ""; }
  }

  function init() {
    var data = JSON.parse(document.getElementById("report-data").textContent);
    var query = hashQuery();
    var boxes = document.querySelectorAll(".datatable");
    var rows = 0;
    for (var i = 0; i < boxes.length; i++) rows += initBox(boxes[i], query);
    if (rows !== data.rows) {
      throw new Error("rendered " + rows + " table rows, expected " + data.rows);
    }
    document.documentElement.setAttribute("data-ready", String(rows));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
