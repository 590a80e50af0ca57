// Phone layout: the header's 菜单 button opens and closes the menu (app.css hides the menu on narrow
// screens only when scripts run, so without this file the menu simply stays in view), and the search
// page's 筛选 drawer starts closed on a phone and always open on a wider screen, and a table that
// scrolls sideways can be reached from the keyboard.
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 767px)");

  var button = document.querySelector(".menu-toggle");
  var header = button && button.closest(".site-header");
  function setMenu(open) {
    button.setAttribute("aria-expanded", String(open));
    header.classList.toggle("menu-open", open);
  }
  if (button && header) {
    button.addEventListener("click", function () {
      setMenu(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        setMenu(false);
        button.focus();
      }
    });
  }

  // A table wider than the screen scrolls sideways (app.css); keyboard users reach it with Tab and
  // scroll it with the arrow keys.
  var scrollers = document.querySelectorAll("table.table, .table-scroll");
  function reachable() {
    for (var i = 0; i < scrollers.length; i++) {
      var el = scrollers[i];
      if (el.scrollWidth > el.clientWidth + 1) el.setAttribute("tabindex", "0");
      else if (el.getAttribute("tabindex") === "0") el.removeAttribute("tabindex");
    }
  }
  if (scrollers.length) {
    reachable();
    window.addEventListener("resize", reachable);
  }

  var drawers = document.querySelectorAll("details.facet-drawer");
  function fit() {
    for (var i = 0; i < drawers.length; i++) drawers[i].open = !narrow.matches;
  }
  if (drawers.length) {
    fit();
    narrow.addEventListener("change", fit);
  }
})();
