// Resource page: draw each PDF preview with the vendored pdf.js (library/static/vendor/pdfjs), one
// page at a time into a canvas as wide as the column, instead of a frame (Android phones show no
// PDF in one). A viewer starts when it comes into view; the PDF is fetched from the same
// permission-checked file URL as a download (?inline=1, not counted). Without this script, or when
// pdf.js fails, the figure keeps its link to open the file and the extracted text.
import * as pdfjs from "../vendor/pdfjs/pdf.min.mjs";

pdfjs.GlobalWorkerOptions.workerSrc = new URL("../vendor/pdfjs/pdf.worker.min.mjs", import.meta.url).href;

const CMAPS = new URL("../vendor/pdfjs/cmaps/", import.meta.url).href;
const FONTS = new URL("../vendor/pdfjs/standard_fonts/", import.meta.url).href;

function start(figure) {
  const toolbar = figure.querySelector(".pdf-toolbar");
  const pages = figure.querySelector(".pdf-pages");
  const status = figure.querySelector("[data-pdf-status]");
  const number = figure.querySelector("[data-pdf-number]");
  const count = figure.querySelector("[data-pdf-count]");
  const prev = figure.querySelector("[data-pdf-prev]");
  const next = figure.querySelector("[data-pdf-next]");
  const label = (n) => figure.dataset.pageLabel.replace("{n}", String(n));
  const canvas = document.createElement("canvas");
  canvas.setAttribute("role", "img");
  let pdf = null;
  let current = 1;
  let task = null;
  let drawnWidth = 0;

  async function draw(n) {
    current = n;
    number.textContent = String(n);
    prev.disabled = n <= 1;
    next.disabled = n >= pdf.numPages;
    const page = await pdf.getPage(n);
    const width = pages.clientWidth || figure.clientWidth || 320;
    const natural = page.getViewport({ scale: 1 });
    const ratio = window.devicePixelRatio || 1;
    const viewport = page.getViewport({ scale: (width / natural.width) * ratio });
    if (task) task.cancel();
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    canvas.style.width = width + "px";
    canvas.style.height = Math.floor(viewport.height / ratio) + "px";
    canvas.setAttribute("aria-label", label(n));
    task = page.render({ canvas, viewport });
    try {
      await task.promise;
      drawnWidth = width;
      figure.dataset.pdfDrawn = String(n);
    } catch (error) {
      if (error && error.name === "RenderingCancelledException") return;
      throw error;
    } finally {
      task = null;
    }
  }

  function fail(error) {
    status.hidden = false;
    status.textContent = figure.dataset.failed;
    figure.dataset.pdfFailed = "1";
    console.error("pdf preview:", error);
  }

  const loading = pdfjs.getDocument({
    url: figure.dataset.src,
    withCredentials: true,
    cMapUrl: CMAPS,
    cMapPacked: true,
    standardFontDataUrl: FONTS,
    isEvalSupported: false, // the page's CSP allows no eval
  });
  loading.promise.then(async (doc) => {
    pdf = doc;
    count.textContent = String(doc.numPages);
    pages.appendChild(canvas);
    toolbar.hidden = false;
    status.hidden = true;
    await draw(1);
  }).catch(fail);

  prev.addEventListener("click", () => { if (pdf && current > 1) draw(current - 1).catch(fail); });
  next.addEventListener("click", () => { if (pdf && current < pdf.numPages) draw(current + 1).catch(fail); });
  let resizing = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => {
      if (pdf && Math.abs(pages.clientWidth - drawnWidth) > 8) draw(current).catch(fail);
    }, 200);
  });
}

const viewers = document.querySelectorAll("[data-pdf-viewer]");
if ("IntersectionObserver" in window) {
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      observer.unobserve(entry.target);
      start(entry.target);
    }
  }, { rootMargin: "200px" });
  viewers.forEach((figure) => observer.observe(figure));
} else {
  viewers.forEach(start);
}
