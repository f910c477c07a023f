// The door's search as the name is typed. Without this script the search is a
// plain GET form; with it, each pause in typing asks the same page for the same
// search and puts its list and its count in place, so nothing here decides who
// is found or what the buttons do.
(function () {
  "use strict";
  var form = document.querySelector("form.door-search");
  if (!form || !window.fetch || !window.DOMParser) {
    return;
  }
  var input = form.querySelector("input[name=q]");
  var timer = null;
  var asked = 0;

  function swap(fresh, id) {
    var old = document.getElementById(id);
    var found = fresh.getElementById(id);
    if (old && found) {
      old.replaceWith(found);
    }
  }

  function search() {
    var number = ++asked;
    var url = form.action + "?q=" + encodeURIComponent(input.value);
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (answer) {
        return answer.ok ? answer.text() : null;
      })
      .then(function (html) {
        // An older answer arriving after a newer one is dropped.
        if (html === null || number !== asked) {
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        swap(fresh, "door-results");
        swap(fresh, "arrivals");
        history.replaceState(null, "", url);
      })
      .catch(function () {
        // Offline for a moment: the button still searches.
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 150);
  });
})();
