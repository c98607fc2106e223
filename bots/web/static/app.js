// Live updates for the control center: Server-Sent Events from /events. Each event is
// added to the live feed; when it concerns the page on screen, the page's content is
// fetched again and swapped in (unless you are typing in it: then a banner offers it).
(function () {
  "use strict";
  var page = document.body.dataset.page;
  if (!page || page === "login" || !window.EventSource) { return; }
  var live = document.getElementById("live");
  var feed = document.getElementById("feed-items");
  var waiting = false;

  function busy() {
    var main = document.getElementById("main");
    var el = document.activeElement;
    if (el && main.contains(el) && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)) { return true; }
    return main.querySelector("details.edit[open]") !== null;
  }

  function refresh() {
    if (busy()) { banner(); return; }
    var open = Array.prototype.map.call(document.querySelectorAll("main details[open][id]"),
                                        function (d) { return d.id; });
    fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("main");
        if (!fresh) { return; }
        document.getElementById("main").innerHTML = fresh.innerHTML;
        open.forEach(function (id) { var d = document.getElementById(id); if (d) { d.open = true; } });
        document.body.dataset.refreshed = String(Date.now());
      });
  }

  function banner() {
    if (waiting) { return; }
    waiting = true;
    var b = document.createElement("button");
    b.id = "stale";
    b.className = "flash ok";
    b.textContent = "New updates: show them";
    b.addEventListener("click", function () { waiting = false; b.remove(); refresh(); });
    document.getElementById("main").prepend(b);
  }

  function add(data) {
    var first = feed.querySelector(".muted");
    if (first) { first.remove(); }
    var li = document.createElement("li");
    li.className = "event " + data.topic;
    li.textContent = (data.at || new Date().toLocaleTimeString()) + " — " + data.text;
    feed.prepend(li);
    while (feed.children.length > 30) { feed.lastElementChild.remove(); }
  }

  var source = new EventSource("/events");
  source.onopen = function () { live.classList.remove("off"); live.classList.add("on"); };
  source.onerror = function () { live.classList.remove("on"); live.classList.add("off"); };
  ["alert_fired", "decision_raised", "decision_resolved", "incident_opened", "notice"]
    .forEach(function (topic) {
      source.addEventListener(topic, function (e) {
        var data = JSON.parse(e.data);
        add(data);
        if (data.pages.indexOf(page.split("_")[0]) >= 0) { refresh(); }
      });
    });
})();
