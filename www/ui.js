// The classifier UI: model status, drop zone, file picker, one result card per file,
// heatmap controls, CSV export. Everything is built inside `root` (an element or a
// ShadowRoot) and found through references or root-scoped queries, never by document id,
// so several instances can live on one page. The automation hooks (data-model-state,
// data-dropzone, data-result, …) are part of notes/contract.md: keep them stable.
import { loadClassifier } from "./client.js";

// A hint for the picker only (dropping takes any file; files are recognised by content):
// DICOM files often have no extension, hence application/dicom as well as .dcm.
const ACCEPT = "image/*,.tif,.tiff,.dcm,.dicom,application/dicom";
const SERVER_PRIVACY =
  "WebAssembly is unavailable in this browser, so images are sent to this site's server to be classified.";

/** Creates an element: `attrs` are attributes (`text` sets the text content). */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false && value != null) node.setAttribute(name, String(value));
  }
  node.append(...children);
  return node;
}

/** "87.3%"; a value near but not at 0 or 1 never shows as 0.0% or 100.0%. */
function percent(p) {
  if (p > 0 && p < 0.001) return "<0.1%";
  if (p < 1 && p > 0.999) return ">99.9%";
  return `${(p * 100).toFixed(1)}%`;
}

const ms = (value) => `${Math.round(value)} ms`;

// DICOM codes for X-ray modalities and views, in plain words (others are shown as codes).
const MODALITIES = { CR: "computed radiography", DX: "digital radiography", RG: "radiography" };
const VIEWS = { PA: "posteroanterior", AP: "anteroposterior", LL: "left lateral", RL: "right lateral", LAT: "lateral" };

/** "DICOM: CR (computed radiography), PA view (posteroanterior)"; null for other files. */
function describeDicom(dicom) {
  if (!dicom) return null;
  const named = (code, names) => (names[code] ? `${code} (${names[code]})` : code);
  const parts = [];
  if (dicom.modality) parts.push(named(dicom.modality, MODALITIES));
  if (dicom.view_position) parts.push(`${named(dicom.view_position, VIEWS)} view`);
  return parts.length ? `DICOM: ${parts.join(", ")}` : "DICOM file";
}

// The core's messages are written for the person who dropped the file: shown as they are.
const reason = (message) =>
  h("p", { class: "ps-message" }, h("span", { class: "ps-muted", text: "Reason: " }), message);

/**
 * One CSV field, quoted when it holds a comma, quote or line break (RFC 4180). Text that a
 * spreadsheet would run as a formula (a file name beginning with =, +, -, @, a tab or a
 * carriage return) gets a leading apostrophe, as OWASP advises against CSV injection;
 * numbers are written as they are.
 */
function csvField(value) {
  let text = value == null ? "" : String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

// Colour map for the heatmap: blue (no pneumonia evidence) through pale yellow to red,
// with opacity growing with the evidence, so that normal areas stay see-through.
const STOPS = [
  [0.0, [49, 54, 149]],
  [0.35, [69, 117, 180]],
  [0.5, [254, 224, 144]],
  [0.75, [244, 109, 67]],
  [1.0, [165, 0, 38]],
];

function heatColour(t) {
  const x = Math.min(1, Math.max(0, Number(t) || 0));
  let i = 1;
  while (i < STOPS.length - 1 && x > STOPS[i][0]) i++;
  const [x0, c0] = STOPS[i - 1];
  const [x1, c1] = STOPS[i];
  const f = (x - x0) / (x1 - x0);
  const rgb = c0.map((c, k) => Math.round(c + (c1[k] - c) * f));
  return [...rgb, Math.round(255 * x * x)];
}

/** Paints the result's heatmap into a canvas of its grid size (CSS stretches it). */
function drawHeatmap(canvas, heatmap) {
  const { width, height, intensity } = heatmap;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  const pixels = context.createImageData(width, height);
  for (let i = 0; i < width * height; i++) pixels.data.set(heatColour(intensity[i]), i * 4);
  context.putImageData(pixels, 0, 0);
}

/**
 * Builds the classifier UI inside `root`.
 * options.base: where the server's ./predict lives, for the fallback (default: the app's folder).
 * options.privacy: an existing privacy-line element to keep honest; without it the UI shows its own.
 * options.notice: false when the page already shows the "Not for clinical use" notice.
 */
export function mountClassifier(root, options = {}) {
  // ---- static structure --------------------------------------------------------------
  const app = h("div", { class: "ps-app", "data-model-state": "loading" });

  const privacy =
    options.privacy ??
    h("p", {
      class: "ps-privacy",
      "data-privacy": true,
      text: "Images never leave this device: they are classified here, in your browser.",
    });

  const notice = h(
    "p",
    { class: "ps-notice", role: "note" },
    h("strong", { text: "Not for clinical use." }),
    " For education and research only; not validated for diagnosis.",
  );

  const modelText = h("p", { class: "ps-model-text", text: "Loading the model…" });
  const modelProgress = h("progress", { class: "ps-model-progress", "aria-label": "Model download" });
  const modelStatus = h("section", { class: "ps-model", "aria-label": "Model status" }, modelText, modelProgress);

  const fileInput = h("input", { type: "file", multiple: true, accept: ACCEPT, class: "ps-file-input" });
  const picker = h("label", { class: "ps-picker" }, h("span", { text: "Choose X-ray images:" }), fileInput);

  const dropzone = h(
    "div",
    { class: "ps-dropzone", "data-dropzone": true, role: "button", tabindex: "0" },
    h("span", { class: "ps-dropzone-title", text: "Drop chest X-ray images here" }),
    h("span", {
      class: "ps-dropzone-hint",
      text: "or click, or press Enter, to choose files. JPEG, PNG, WebP, TIFF, BMP, GIF or DICOM; several at once.",
    }),
  );

  const showHeatmap = h("input", { type: "checkbox", checked: true });
  const opacity = h("input", { type: "range", min: "0", max: "100", value: "60" });
  const exportButton = h("button", { type: "button", class: "ps-button", text: "Export CSV", disabled: true });
  const clearButton = h("button", { type: "button", class: "ps-button", text: "Clear all", disabled: true });
  const controls = h(
    "div",
    { class: "ps-controls" },
    h("label", { class: "ps-check" }, showHeatmap, " Show heatmap"),
    h("label", { class: "ps-range" }, "Heatmap opacity ", opacity),
    h("span", { class: "ps-legend", text: "Red: where the model saw signs of pneumonia" }),
    h("span", { class: "ps-spacer" }),
    exportButton,
    clearButton,
  );

  const live = h("p", { class: "ps-live", role: "status", "aria-live": "polite" });
  const results = h("ol", { class: "ps-results", "aria-label": "Results" });

  if (options.notice !== false) app.append(notice);
  if (!options.privacy) app.append(privacy);
  app.append(modelStatus, dropzone, picker, controls, live, results);
  root.append(app);

  // ---- state -----------------------------------------------------------------------
  let classifier = null; // set once loadClassifier resolves
  let loadError = null; // set if it rejects
  const items = []; // every card shown, in order: {file, name, url, card, row, …}
  const queue = []; // items still to classify, in order
  let running = false;
  let batch = { total: 0, done: 0 };

  // ---- model loading ---------------------------------------------------------------
  loadClassifier({
    base: options.base,
    onProgress: ({ loaded, total }) => {
      if (total > 0) {
        modelProgress.max = total;
        modelProgress.value = loaded;
        modelText.textContent = `Loading the model… ${(loaded / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB`;
      }
    },
  }).then(
    (loaded) => {
      classifier = loaded;
      const card = loaded.card ?? {};
      const name = [card.name, card.version].filter(Boolean).join(" ") || "unknown model";
      app.dataset.path = loaded.path;
      if (loaded.simd) app.dataset.wasmSimd = loaded.simd;
      if (loaded.path === "server") {
        privacy.textContent = SERVER_PRIVACY;
        privacy.classList.add("ps-privacy-server");
        modelText.textContent = `Classifying on this site's server (${name})`;
      } else {
        modelText.textContent = `Model ready (${name}, loaded in ${Math.round(loaded.initMs)} ms)`;
      }
      modelProgress.hidden = true;
      app.dataset.modelState = "ready";
      pump();
    },
    (e) => {
      loadError = e?.message ?? String(e);
      modelText.textContent = `The classifier could not start: ${loadError}`;
      modelProgress.hidden = true;
      app.dataset.modelState = "error";
      pump();
    },
  );

  // ---- cards -------------------------------------------------------------------------
  function createItem(file) {
    const name = file.name || "unnamed file";
    const url = URL.createObjectURL(file);
    const img = h("img", { alt: `Preview of ${name}`, decoding: "async", loading: "lazy" });
    const heat = h("canvas", { class: "ps-heat", width: "14", height: "14", "aria-hidden": "true", hidden: true });
    const thumb = h("div", { class: "ps-thumb" }, img, heat);
    img.addEventListener("error", () => {
      // The browser cannot show it (e.g. TIFF); the classifier may still read it.
      img.remove();
      heat.remove();
      thumb.classList.add("ps-thumb-none");
      thumb.append(h("span", { class: "ps-nopreview", text: "No preview" }));
    });
    img.src = url;

    const verdict = h("p", { class: "ps-verdict", text: "Waiting…" });
    const details = h("div", { class: "ps-details" });
    const card = h(
      "li",
      { class: "ps-card", "data-result": true, "data-filename": name, "data-status": "pending" },
      thumb,
      h("div", { class: "ps-body" }, h("h3", { class: "ps-name", text: name }), verdict, details),
    );
    return { file, name, url, card, heat, verdict, details, status: "pending", row: null };
  }

  function showResult(item, result) {
    const { card, verdict, details } = item;
    const path = result.path;
    const where = path === "server" ? "on the server" : "in this browser";
    card.dataset.status = result.status;
    card.dataset.path = path;
    item.status = result.status;
    details.replaceChildren();
    const total = result.timings?.total_ms;

    if (result.status === "ok") {
      const pneumonia = result.prediction === "PNEUMONIA";
      const { probability, threshold } = result;
      card.dataset.prediction = result.prediction;
      card.dataset.probability = String(probability);
      verdict.className = `ps-verdict ${pneumonia ? "ps-verdict-pneumonia" : "ps-verdict-normal"}`;
      verdict.replaceChildren(
        pneumonia ? "Pneumonia likely" : "No pneumonia found",
        " ",
        h("span", { class: "ps-label", text: result.prediction }),
      );

      const fill = h("span", { class: "ps-meter-fill" });
      fill.style.width = `${probability * 100}%`;
      const mark = h("span", { class: "ps-meter-threshold" });
      mark.style.left = `${threshold * 100}%`;
      details.append(
        h(
          "p",
          { class: "ps-probability" },
          "Pneumonia probability ",
          h("strong", { text: percent(probability) }),
          h("span", { class: "ps-muted", text: ` (threshold ${percent(threshold)})` }),
        ),
        h(
          "span",
          {
            class: pneumonia ? "ps-meter ps-meter-pneumonia" : "ps-meter",
            role: "img",
            "aria-label": `${percent(probability)}, threshold ${percent(threshold)}`,
          },
          fill,
          mark,
        ),
      );
      if (result.heatmap?.intensity) {
        drawHeatmap(item.heat, result.heatmap);
        item.heat.hidden = false;
      }
    } else if (result.status === "refused") {
      verdict.className = "ps-verdict ps-verdict-refused";
      verdict.textContent = "Not classified";
      details.append(
        reason(result.message ?? "not a chest X-ray"),
        h("p", { class: "ps-muted", text: "Only frontal chest X-rays are classified." }),
      );
    }

    const dicom = describeDicom(result.dicom);
    if (dicom) details.append(h("p", { class: "ps-dicom", "data-dicom": true, text: dicom }));
    if (result.warnings?.length) {
      details.append(
        h("ul", { class: "ps-warnings" }, ...result.warnings.map((w) => h("li", { text: `Note: ${w}` }))),
      );
    }
    const t = result.timings;
    if (t) {
      const parts = [`decode ${ms(t.decode_ms)}`, `preprocess ${ms(t.preprocess_ms)}`, `inference ${ms(t.inference_ms)}`];
      details.append(h("p", { class: "ps-timings", text: `Total ${ms(t.total_ms)} ${where} (${parts.join(", ")})` }));
    } else {
      details.append(h("p", { class: "ps-timings", text: `Checked ${where}` }));
    }

    item.row = {
      status: result.status,
      prediction: result.status === "ok" ? result.prediction : "",
      probability: result.status === "ok" ? String(result.probability) : "",
      threshold: result.threshold ?? classifier?.card?.threshold?.probability ?? "",
      message: result.message ?? "",
      path,
      total_ms: total ?? "",
    };
  }

  function showError(item, message, path) {
    const { card, verdict, details } = item;
    card.dataset.status = "error";
    if (path) card.dataset.path = path;
    item.status = "error";
    verdict.className = "ps-verdict ps-verdict-error";
    verdict.textContent = "Could not classify this file";
    details.replaceChildren(reason(message));
    item.row = { status: "error", message, path: path ?? "" };
  }

  // ---- the queue: one file at a time, in order; an error never stops the batch ----------
  async function pump() {
    if (running || (!classifier && !loadError)) return;
    running = true;
    while (queue.length) {
      const item = queue.shift();
      if (loadError) {
        showError(item, `the classifier could not start: ${loadError}`);
      } else {
        item.card.dataset.path = classifier.path;
        item.verdict.textContent = "Classifying…";
        try {
          const result = await classifier.classify(item.file, item.name);
          if (!item.cleared) showResult(item, result);
        } catch (e) {
          if (!item.cleared) showError(item, e?.message ?? String(e), classifier.path);
        }
      }
      if (!item.cleared) {
        batch.done++;
        announce();
      }
    }
    running = false;
  }

  function announce() {
    const { done, total } = batch;
    if (done < total) {
      live.textContent = `Classified ${done} of ${total} ${total === 1 ? "file" : "files"}`;
      return;
    }
    const count = (status) => items.filter((item) => item.status === status).length;
    const extra = [
      [count("refused"), "not classified"],
      [count("error"), "could not be read"],
    ]
      .filter(([n]) => n > 0)
      .map(([n, what]) => `${n} ${what}`);
    live.textContent =
      `Classified ${done} of ${total} ${total === 1 ? "file" : "files"}` + (extra.length ? ` (${extra.join(", ")})` : "");
  }

  function addFiles(files) {
    if (!files.length) return;
    if (!queue.length && !running) batch = { total: 0, done: 0 };
    for (const file of files) {
      const item = createItem(file);
      items.push(item);
      queue.push(item);
      results.append(item.card);
      batch.total++;
    }
    exportButton.disabled = clearButton.disabled = false;
    announce();
    pump();
  }

  function clearAll() {
    for (const item of items) {
      item.cleared = true;
      URL.revokeObjectURL(item.url);
    }
    items.length = 0;
    queue.length = 0;
    batch = { total: 0, done: 0 };
    results.replaceChildren();
    live.textContent = "Cleared all results";
    exportButton.disabled = clearButton.disabled = true;
  }

  function exportCsv() {
    const header = ["filename", "status", "prediction", "probability", "threshold", "message", "path", "total_ms"];
    const lines = [header.join(",")];
    for (const item of items) {
      const row = { filename: item.name, status: item.status, ...item.row };
      lines.push(header.map((column) => csvField(row[column])).join(","));
    }
    const blob = new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
    const link = h("a", { href: URL.createObjectURL(blob), download: "pneumoscan-results.csv", hidden: true });
    app.append(link); // some browsers only follow attached links
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  }

  // ---- events ----------------------------------------------------------------------
  dropzone.addEventListener("click", () => fileInput.click());
  dropzone.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault(); // no page scroll on Space
      fileInput.click();
    }
  });
  for (const type of ["dragenter", "dragover"]) {
    dropzone.addEventListener(type, (event) => {
      event.preventDefault();
      dropzone.classList.add("ps-dragover");
    });
  }
  dropzone.addEventListener("dragleave", (event) => {
    if (!dropzone.contains(event.relatedTarget)) dropzone.classList.remove("ps-dragover");
  });
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropzone.classList.remove("ps-dragover");
    addFiles([...(event.dataTransfer?.files ?? [])]);
  });
  fileInput.addEventListener("change", () => {
    addFiles([...fileInput.files]);
    fileInput.value = ""; // so that choosing the same file again fires `change`
  });

  const applyHeatmapSettings = () => {
    app.classList.toggle("ps-heat-off", !showHeatmap.checked);
    app.style.setProperty("--ps-heat-opacity", String(opacity.value / 100));
  };
  showHeatmap.addEventListener("change", applyHeatmapSettings);
  opacity.addEventListener("input", applyHeatmapSettings);
  applyHeatmapSettings();

  exportButton.addEventListener("click", exportCsv);
  clearButton.addEventListener("click", clearAll);
}
