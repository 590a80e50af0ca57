// Searchable pickers (templates/partials/picker.html): as one types, the look-up's answers fill the
// box's <datalist>; choosing one adds a hidden id under the box (several) or leaves the value in it
// (one). Without this script the typed titles or names are looked up by the server.
(function () {
  "use strict";
  function setUp(root) {
    var input = root.querySelector("input[list]");
    var list = root.querySelector("datalist");
    var picked = root.querySelector("ul.picked");
    var idsName = root.getAttribute("data-ids");
    var studioFrom = root.getAttribute("data-studio-from");
    var known = {};
    var timer = null;

    function search() {
      var q = input.value.trim();
      if (!q || known[q] !== undefined) return;
      var base = root.getAttribute("data-lookup");
      var url = base + (base.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(q);
      var studio = studioFrom && document.getElementById(studioFrom);
      if (studio && studio.value) url += "&studio=" + encodeURIComponent(studio.value);
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : {items: []}; })
        .then(function (data) {
          list.textContent = "";
          (data.items || []).forEach(function (item) {
            known[item.value] = item.id;
            var option = document.createElement("option");
            option.value = item.value;
            option.label = item.label;
            option.textContent = item.label;
            list.appendChild(option);
          });
        })
        .catch(function () { /* the server still looks typed text up */ });
    }

    function pick() {
      var id = known[input.value];
      if (!idsName || !picked || id === undefined) return;
      if (!picked.querySelector('input[value="' + id + '"]')) {
        var li = document.createElement("li");
        var hidden = document.createElement("input");
        hidden.type = "hidden"; hidden.name = idsName; hidden.value = id;
        var remove = document.createElement("button");
        remove.type = "button"; remove.className = "link"; remove.setAttribute("data-unpick", "");
        remove.textContent = root.getAttribute("data-remove");
        li.appendChild(hidden);
        li.appendChild(document.createTextNode(input.value + " "));
        li.appendChild(remove);
        picked.appendChild(li);
      }
      input.value = "";
    }

    input.addEventListener("input", function () {
      if (known[input.value] !== undefined) { pick(); return; }
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener("change", pick);
    root.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("[data-unpick]");
      if (button) button.parentNode.remove();
    });
  }
  document.querySelectorAll("[data-picker]").forEach(setUp);
})();
