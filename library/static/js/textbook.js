// The textbook fields follow the chosen subject and stage: editions published for another subject
// or stage, and grades of another stage, are hidden (a chosen one that no longer fits is cleared).
(function () {
  "use strict";
  function follow(form) {
    var subject = form.querySelector("[name=subject]");
    var stage = form.querySelector("[name=stage]");
    function fits(option, name, value) {
      var list = option.getAttribute("data-" + name);
      return !value || !list || list.split(" ").indexOf(value) !== -1;
    }
    function update() {
      var s = subject ? subject.value : "", st = stage ? stage.value : "";
      form.querySelectorAll("[name=edition] option[value], [name=grade] option[value]").forEach(function (option) {
        if (!option.value) return;
        var ok = fits(option, "subjects", s) && fits(option, "stages", st);
        option.hidden = !ok;
        option.disabled = !ok;
        if (!ok && option.selected) option.parentNode.value = "";
      });
    }
    [subject, stage].forEach(function (el) { if (el) el.addEventListener("change", update); });
    update();
  }
  document.querySelectorAll("[data-textbook-fields]").forEach(function (fieldset) {
    follow(fieldset.closest("form"));
  });
})();
