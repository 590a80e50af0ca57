// Forms marked data-confirm="question" ask before they are sent (the delete button). A script file,
// not an onsubmit attribute: the Content-Security-Policy allows no inline handlers.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
