// ticketledger console: the at-risk board, live. The page lists the board
// as of its load; this script follows the board's event stream (the
// table's data-live URL, same session) and redraws the rows on each
// "atrisk" event. Built with DOM calls only (no HTML strings).
(function () {
  "use strict";
  var table = document.getElementById("board");
  if (!table || !window.EventSource) { return; }
  var body = table.tBodies[0], status = document.getElementById("board-status");
  var fmt = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (cls) { td.className = cls; }
    if (text !== null) { td.textContent = text; }
    tr.appendChild(td);
    return td;
  }
  function row(t) {
    var tr = document.createElement("tr");
    var a = document.createElement("a"), code = document.createElement("code");
    a.href = "/tickets/" + encodeURIComponent(t.id);
    code.textContent = t.short;
    a.appendChild(code);
    cell(tr, null).appendChild(a);
    cell(tr, t.severity, "sev");
    var badge = document.createElement("span");
    badge.className = "badge sla-" + t.state;
    badge.textContent = t.stateLabel;
    cell(tr, null).appendChild(badge);
    cell(tr, t.left);
    var time = document.createElement("time"), d = new Date(t.deadline);
    time.setAttribute("datetime", t.deadline);
    time.title = "UTC " + t.deadline;
    time.textContent = isNaN(d) ? t.deadlineText : fmt.format(d);
    cell(tr, null).appendChild(time);
    cell(tr, t.product);
    cell(tr, t.partnerId);
    cell(tr, t.customerId || "");
    return tr;
  }
  var es = new EventSource(table.getAttribute("data-live"));
  es.addEventListener("atrisk", function (ev) {
    var b = JSON.parse(ev.data);
    while (body.firstChild) { body.removeChild(body.firstChild); }
    if (b.tickets.length === 0) {
      var tr = document.createElement("tr");
      cell(tr, "No ticket at risk.").colSpan = 8;
      body.appendChild(tr);
    }
    b.tickets.forEach(function (t) { body.appendChild(row(t)); });
    status.textContent = "Live: " + b.tickets.length + " tickets with a first-response deadline within " + b.horizon +
      ", soonest first; updated " + fmt.format(new Date(b.now)) + ".";
  });
  es.addEventListener("end", function (ev) {
    es.close();
    status.textContent = "No longer live (" + ev.data + "): reload the page.";
  });
})();
