// Resource page: open an image in a larger view (the link still works without this script).
(function () {
  "use strict";
  var dialog = document.getElementById("zoom-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var img = dialog.querySelector("img");
  document.querySelectorAll("a[data-zoom]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      img.src = link.href;
      img.alt = link.getAttribute("aria-label") || "";
      dialog.showModal();
    });
  });
  dialog.addEventListener("click", function (event) {
    if (event.target === dialog || event.target.closest(".close-zoom")) dialog.close();
  });
})();
