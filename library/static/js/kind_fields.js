// Fields that follow the kind (the upload and the edit form): a group of fields only some kinds
// have (fieldset.kind-fields, data-kinds) shows for those kinds; hidden, it is disabled, so it is
// not sent, and what was typed stays there if the kind changes back.
(function () {
  "use strict";
  document.querySelectorAll("form").forEach(function (form) {
    var kindSelect = form.querySelector('select[name="kind"]');
    var groups = form.querySelectorAll(".kind-fields");
    if (!kindSelect || !groups.length) return;
    function showKindFields() {
      var kind = kindSelect.value;
      groups.forEach(function (set) {
        var on = set.dataset.kinds.split(" ").indexOf(kind) >= 0;
        set.hidden = !on;
        set.disabled = !on;
      });
    }
    kindSelect.addEventListener("change", showKindFields);
    showKindFields();
  });
})();
