// Upload form: several files by picker or drag-and-drop (js/kind_fields.js shows the fields that
// follow the kind), and one XMLHttpRequest whose progress is shown per file with speed and time left. Without this script
// the same form posts as plain HTML and the server answers with a page.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;

  var T = JSON.parse(document.getElementById("upload-messages").textContent);
  var input = document.getElementById("f-file");
  var dropzone = document.getElementById("dropzone");
  var list = document.getElementById("file-list");
  var alertBox = document.getElementById("upload-alert");
  var submit = document.getElementById("upload-submit");
  var cancel = document.getElementById("upload-cancel");
  var totalLine = document.getElementById("upload-total");
  var result = document.getElementById("upload-result");
  var maxBytes = Number(form.dataset.maxBytes || 0);
  var accepted = (form.dataset.accept || "").split(",").filter(Boolean);
  var chosen = []; // [{file, row, bar, status}]
  var xhr = null;

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, name) {
      return values && name in values ? values[name] : "";
    });
  }

  function size(bytes) {
    var units = ["B", "KB", "MB", "GB"], i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i += 1; }
    return (i === 0 ? bytes.toFixed(0) : bytes.toFixed(1)) + " " + units[i];
  }

  function duration(seconds) {
    seconds = Math.max(1, Math.round(seconds));
    if (seconds < 60) return fill(T.seconds, { n: seconds });
    return fill(T.minutes, { m: Math.floor(seconds / 60), s: seconds % 60 });
  }

  // ------------------------------------------------ publish only where the user reviews
  var studioSelect = document.getElementById("f-studio");
  var publishRadio = form.querySelector('input[name="intent"][value="publish"]');
  function showIntent() {
    if (!publishRadio) return;
    var option = studioSelect.options[studioSelect.selectedIndex];
    var allowed = !option || option.dataset.canPublish === "1";
    publishRadio.disabled = !allowed;
    publishRadio.closest("label").classList.toggle("unavailable", !allowed);
    if (!allowed && publishRadio.checked) form.querySelector('input[name="intent"][value="submit"]').checked = true;
  }
  studioSelect.addEventListener("change", showIntent);
  showIntent();

  // ------------------------------------------------ choosing files
  input.required = false; // the script checks for files itself (dropped files never enter the input)
  dropzone.classList.add("enhanced");
  dropzone.querySelector(".pick-button").hidden = false;

  function acceptedName(name) {
    var dot = name.lastIndexOf(".");
    return dot >= 0 && accepted.indexOf(name.slice(dot).toLowerCase()) >= 0;
  }

  function addFiles(files) {
    Array.prototype.forEach.call(files, function (file) {
      var duplicate = chosen.some(function (c) {
        return c.file.name === file.name && c.file.size === file.size;
      });
      if (!duplicate) chosen.push(render(file));
    });
    showTotal();
    clearFieldError("file");
  }

  function render(file) {
    var row = document.createElement("li");
    var name = document.createElement("span");
    name.className = "file-name";
    name.textContent = file.name;
    var meta = document.createElement("small");
    meta.textContent = size(file.size);
    name.appendChild(meta);
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    var status = document.createElement("span");
    status.className = "file-status";
    status.textContent = T.waiting;
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary outline remove";
    remove.textContent = T.remove;
    var entry = { file: file, row: row, bar: bar, status: status, remove: remove };
    remove.addEventListener("click", function () {
      chosen = chosen.filter(function (c) { return c !== entry; });
      row.remove();
      showTotal();
    });
    if (!acceptedName(file.name)) {
      row.classList.add("refused");
      status.textContent = fill(T.bad_type, { name: file.name, allowed: T.allowed });
    }
    row.append(name, bar, status, remove);
    list.appendChild(row);
    return entry;
  }

  function totalBytes() {
    return chosen.reduce(function (sum, c) { return sum + c.file.size; }, 0);
  }

  function showTotal() {
    totalLine.textContent = chosen.length ? fill(T.total, { n: chosen.length, size: size(totalBytes()) }) : "";
  }

  input.addEventListener("change", function () {
    addFiles(input.files);
    input.value = ""; // the list holds them; choosing the same file again still fires change
  });
  ["dragenter", "dragover"].forEach(function (type) {
    dropzone.addEventListener(type, function (event) {
      event.preventDefault();
      dropzone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    dropzone.addEventListener(type, function (event) {
      event.preventDefault();
      dropzone.classList.remove("dragging");
    });
  });
  dropzone.addEventListener("drop", function (event) {
    if (event.dataTransfer && event.dataTransfer.files.length) addFiles(event.dataTransfer.files);
  });

  // ------------------------------------------------ messages
  function showAlert(message, details) {
    alertBox.querySelector(".alert-message").textContent = message;
    var ul = alertBox.querySelector(".alert-details");
    ul.textContent = "";
    (details || []).forEach(function (d) {
      var li = document.createElement("li");
      li.textContent = d.file ? d.file + "：" + d.reason : d.reason;
      ul.appendChild(li);
    });
    alertBox.hidden = false;
    alertBox.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  function clearFieldError(name) {
    var small = form.querySelector('[data-error-for="' + name + '"]');
    if (small) { small.hidden = true; small.textContent = ""; }
    var field = form.elements[name];
    if (field && field.removeAttribute) field.removeAttribute("aria-invalid");
  }

  function showFieldErrors(fields) {
    Object.keys(fields || {}).forEach(function (name) {
      var small = form.querySelector('[data-error-for="' + name + '"]');
      var field = form.elements[name];
      if (small) { small.textContent = fields[name]; small.hidden = false; }
      if (field && field.setAttribute) {
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-describedby", name + "-error");
      }
    });
  }

  function clearMessages() {
    alertBox.hidden = true;
    form.querySelectorAll("[data-error-for]").forEach(function (small) {
      clearFieldError(small.dataset.errorFor);
    });
    chosen.forEach(function (c) { c.row.classList.remove("refused"); });
  }

  // ------------------------------------------------ sending
  function busy(on) {
    submit.setAttribute("aria-busy", on ? "true" : "false");
    submit.disabled = on;
    cancel.hidden = !on;
    chosen.forEach(function (c) { c.remove.disabled = on; });
  }

  var samples = []; // [time, bytes sent] over the last few seconds, for a speed that follows the line
  function currentSpeed(sent) {
    var now = Date.now();
    samples.push([now, sent]);
    while (samples.length > 2 && now - samples[0][0] > 2000) samples.shift();
    var first = samples[0];
    var seconds = (now - first[0]) / 1000;
    return seconds > 0.2 ? (sent - first[1]) / seconds : 0;
  }

  function progress(loaded, total) {
    // The files follow the small text fields in the body, in order: map bytes sent onto each file.
    var bytes = totalBytes();
    var sent = total ? (loaded / total) * bytes : 0;
    var speed = currentSpeed(sent);
    var offset = 0;
    chosen.forEach(function (c) {
      var part = c.file.size ? Math.min(1, Math.max(0, (sent - offset) / c.file.size)) : 1;
      offset += c.file.size;
      c.bar.value = Math.round(part * 100);
      if (part <= 0) {
        c.status.textContent = T.waiting;
      } else if (part < 1) {
        var left = speed > 0 ? (c.file.size * (1 - part) + (bytes - offset)) / speed : 0;
        c.status.textContent = T.uploading + " " + Math.round(part * 100) + "%" +
          (speed > 0 ? " · " + fill(T.speed, { speed: size(speed) }) : "") +
          (left ? " · " + fill(T.left, { time: duration(left) }) : "");
      } else {
        c.status.textContent = T.processing;
      }
    });
    var leftAll = speed > 0 ? (bytes - sent) / speed : 0;
    totalLine.textContent = Math.round((loaded / (total || 1)) * 100) + "%" +
      (speed > 0 ? " · " + fill(T.speed, { speed: size(speed) }) : "") +
      (leftAll >= 1 ? " · " + fill(T.left, { time: duration(leftAll) }) : "");
  }

  function finished(request) {
    busy(false);
    xhr = null;
    var body = null;
    try { body = JSON.parse(request.responseText); } catch (e) { body = null; }
    if (request.status === 201 && body && body.url) {
      chosen.forEach(function (c) { c.bar.value = 100; c.status.textContent = T.done; });
      form.hidden = true;
      alertBox.hidden = true;
      result.querySelector(".result-title").textContent = fill(T.success, { title: body.title || "" });
      result.querySelector(".result-link").href = body.url;
      result.hidden = false;
      result.scrollIntoView({ block: "start" });
      return;
    }
    chosen.forEach(function (c) { c.bar.value = 0; c.status.textContent = T.waiting; });
    totalLine.textContent = "";
    showTotal();
    if (body && body.error) {
      showFieldErrors(body.error.fields);
      (body.error.details || []).forEach(function (d) {
        chosen.forEach(function (c) {
          if (c.file.name === d.file) { c.row.classList.add("refused"); c.status.textContent = T.refused + "：" + d.reason; }
        });
      });
      showAlert(body.error.message, body.error.details);
    } else if (request.status === 401 || request.responseURL.indexOf("/login") >= 0) {
      showAlert(T.expired);
    } else {
      showAlert(fill(T.failed, { status: request.status }));
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (xhr) return;
    clearMessages();
    if (!form.reportValidity()) return;
    if (!chosen.length) {
      showFieldErrors({ file: T.no_files });
      showAlert(T.no_files);
      return;
    }
    var refused = chosen.filter(function (c) { return !acceptedName(c.file.name); });
    if (refused.length) {
      refused.forEach(function (c) { c.row.classList.add("refused"); });
      showAlert(fill(T.bad_type, { name: refused.map(function (c) { return c.file.name; }).join("、"), allowed: T.allowed }));
      return;
    }
    if (maxBytes && totalBytes() > maxBytes) {
      showAlert(T.too_large);
      return;
    }
    var data = new FormData(form); // disabled (hidden) kind fields are left out
    data.delete("file");
    chosen.forEach(function (c) { data.append("file", c.file, c.file.name); });

    samples = [[Date.now(), 0]];
    xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) progress(e.loaded, e.total);
    });
    xhr.upload.addEventListener("load", function () {
      chosen.forEach(function (c) { c.bar.value = 100; c.status.textContent = T.processing; });
    });
    xhr.addEventListener("load", function () { finished(xhr); });
    xhr.addEventListener("error", function () {
      busy(false); xhr = null; showAlert(T.network);
    });
    xhr.addEventListener("abort", function () {
      busy(false); xhr = null;
      chosen.forEach(function (c) { c.bar.value = 0; c.status.textContent = T.waiting; });
      showTotal();
      showAlert(T.cancelled);
    });
    busy(true);
    chosen.forEach(function (c) { c.status.textContent = T.waiting; });
    xhr.send(data);
  });

  cancel.addEventListener("click", function () { if (xhr) xhr.abort(); });
})();
