// The 分享 box of a public resource page: copy its address (the field stays selectable without this script).
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = button.closest(".share-body") && button.closest(".share-body").querySelector(".copy-status");
    if (!field) return;
    function done() {
      if (status) status.textContent = button.getAttribute("data-copied") || "";
    }
    button.addEventListener("click", function () {
      field.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          if (document.execCommand("copy")) done();
        });
      } else if (document.execCommand("copy")) {
        done();
      }
    });
  });
})();
