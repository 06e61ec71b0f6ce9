/* Keyboard help for the worksheet; the rest is htmx attributes in the templates.
   - Enter saves the row being edited from any of its cells (selects included);
   - Escape cancels the edit;
   - after a row is saved or cancelled, focus returns to its Edit button. */
(function () {
  "use strict";

  function rowOf(element) {
    return element && element.closest ? element.closest("tr.editing") : null;
  }

  document.addEventListener("keydown", function (event) {
    var row = rowOf(event.target);
    if (!row) return;
    if (event.key === "Enter" && event.target.tagName === "SELECT") {
      var form = document.getElementById(event.target.getAttribute("form"));
      if (form) {
        event.preventDefault();
        form.requestSubmit();
      }
    } else if (event.key === "Escape") {
      var cancel = row.querySelector("[data-cancel]");
      if (cancel) {
        event.preventDefault();
        cancel.click();
      }
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-remove-row]") : null;
    if (!button) return;
    var row = button.closest("tr");
    if (row) row.remove();
    var add = document.getElementById("add-row");
    if (add) add.focus();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.elt;
    if (!target || !target.matches || !target.matches("tr.fm-row:not(.editing)")) return;
    if (!document.activeElement || document.activeElement === document.body) {
      var edit = target.querySelector(".row-edit");
      if (edit) edit.focus();
    }
  });

  // Requests that fail say so where the worksheet reports, instead of doing nothing.
  function report(text) {
    var status = document.getElementById("worksheet-status");
    if (!status) return;
    status.innerHTML = "";
    var alert = document.createElement("div");
    alert.className = "alert alert-error";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    status.appendChild(alert);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var code = event.detail.xhr.status;
    if (code === 404) {
      report("This row no longer exists or is not in your current team. Reload the page.");
    } else if (code === 403) {
      report("Your role in this team is read-only: nothing was saved.");
    } else {
      report("The server could not do this (error " + code + "). Nothing was saved; try again.");
    }
  });

  document.addEventListener("htmx:sendError", function () {
    report("The server cannot be reached. Nothing was saved; check the connection and try again.");
  });

  // A new blank row: bring it into view (the table may be long).
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "worksheet-rows") {
      var rows = target.querySelectorAll("tr.editing");
      var last = rows[rows.length - 1];
      if (last) last.scrollIntoView({ block: "nearest" });
    }
  });
})();
