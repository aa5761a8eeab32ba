// Run by .ci/run in headless Chromium on a copy of a `verify --format html` report: writes what
// the browser made of the page into <pre id="probe">, which `--dump-dom` prints. Counts the
// cards, their status badges and the evidence images the browser decoded, and tries the status
// filter (each status shows exactly its cards).
window.addEventListener("load", function () {
  var cards = Array.prototype.slice.call(document.querySelectorAll("article.card"));
  var images = Array.prototype.slice.call(document.querySelectorAll("article.card img"));
  var decoded = images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  var badges = document.querySelectorAll("article.card > h2 > .status").length;
  var filter = "ok";
  ["ready", "review", "not_ready", "error"].forEach(function (status) {
    document.getElementById("show-" + status).checked = true;
    var shown = cards.filter(function (c) { return c.offsetParent !== null; });
    var wanted = cards.filter(function (c) { return c.dataset.status === status; });
    if (shown.length !== wanted.length || shown.some(function (c) { return c.dataset.status !== status; })) {
      filter = "broken-for-" + status;
    }
  });
  document.getElementById("show-all").checked = true;
  var probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = "cards=" + cards.length + " badges=" + badges + " images=" + images.length +
    " decoded=" + decoded + " filter=" + filter;
  document.body.appendChild(probe);
});
