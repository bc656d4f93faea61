// The classifier UI: model status, drop zone, file picker, one result card per file,
// heatmap controls, CSV export. Everything is built inside `root` (an element or a
// ShadowRoot) and found through references or root-scoped queries, never by document id,
// so several instances can live on one page. The automation hooks (data-model-state,
// data-dropzone, data-result, …) are part of notes/contract.md: keep them stable, and
// the same in every language (only the visible texts follow the language).
import { loadClassifier } from "./client.js";
import { initialLanguage, languageOptions, rememberLanguage, supportedLanguage, translator } from "./i18n.js";
import { drawEvidence } from "./heatmap.js";
import { droppedFiles, readFailure, relativePath } from "./folders.js";
import { mountReadingRoom } from "./reading-room.js";
import { createModelStatus } from "./model-status.js";
import { filePicker, h } from "./dom.js";
import { thumbnailBlob } from "./grey.js";
import { createResultsList } from "./results-list.js";

// A hint for the picker only (dropping takes any file; files are recognised by content,
// src/sniff.rs): the formats the core reads, PNG, JPEG, JPEG 2000 (JP2 and the bare
// codestream, HTJ2K too), DICOM, TIFF, PNM (PGM, PPM, PBM, PAM), BMP, GIF and WebP,
// by type and by extension, as the drop zone's hint lists them (ui.dropzone.hint). DICOM
// files often have no extension, hence application/dicom as well as .dcm.
const ACCEPT = [
  "image/*",
  ".png,.jpg,.jpeg",
  ".jp2,.j2k,.j2c,.jpc,.jph,image/jp2",
  ".dcm,.dicom,application/dicom",
  ".tif,.tiff",
  ".pgm,.ppm,.pbm,.pnm,.pam,image/x-portable-anymap,image/x-portable-graymap,image/x-portable-pixmap",
  ".bmp,.gif,.webp",
].join(",");

// The codes of a file's error that mean "no classifier yet", not "this file": "Try
// again" takes such files back into the queue.
const UNAVAILABLE = new Set(["download_failed", "classifier_unavailable"]);

// DICOM codes for X-ray modalities and views that have plain words in the catalogues
// (ui.dicom.modality.CODE, ui.dicom.view.CODE); others are shown as codes.
const MODALITIES = ["CR", "DX", "RG"];
const VIEWS = ["PA", "AP", "LL", "RL", "LAT"];

/** "DICOM: CR (computed radiography), PA (posteroanterior) view"; null for other files. */
function describeDicom(tr, dicom) {
  if (!dicom) return null;
  const named = (code, kind, known) => (known.includes(code) ? `${code} (${tr.t(`ui.dicom.${kind}.${code}`)})` : code);
  const parts = [];
  if (dicom.modality) parts.push(named(dicom.modality, "modality", MODALITIES));
  if (dicom.view_position) parts.push(tr.t("ui.dicom.view", { view: named(dicom.view_position, "view", VIEWS) }));
  return parts.length ? tr.t("ui.dicom.facts", { facts: parts.join(", ") }) : tr.t("ui.dicom.file");
}

/**
 * "Reason: …", the refusal or error in the page's language from its code and params; the
 * core's English message where the catalogue has no text for it. Outside English, an
 * error also offers the core's own message, which names the decoder's details, folded.
 */
function reason(tr, problem, { technical = false } = {}) {
  const { text, translated } = tr.problem(problem);
  const words = translated || tr.lang === "en" ? text : h("span", { lang: "en", text });
  const nodes = [h("p", { class: "ps-message" }, h("span", { class: "ps-muted", text: `${tr.t("ui.reason")} ` }), words)];
  if (technical && translated && tr.lang !== "en" && problem.message && problem.message !== text) {
    nodes.push(
      h(
        "details",
        { class: "ps-technical" },
        h("summary", { text: tr.t("ui.technical") }),
        h("p", { lang: "en", text: problem.message }),
      ),
    );
  }
  return nodes;
}

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

/**
 * Builds the classifier UI inside `root`; returns {language, setLanguage(lang)}.
 * options.base: where the server's ./predict lives, for the fallback (default: the app's folder).
 * options.privacy: an existing privacy-line element to keep honest; without it the UI shows its own.
 * options.notice: false when the page already shows the "Not for clinical use" notice.
 * options.language: "en", "es" or "fr" (default: the one chosen before, else the browser's).
 * options.languageSwitcher: false when the page has its own language <select>.
 * options.workers: how many files are classified at once, one model per worker (default min(cores, 4)).
 */
export function mountClassifier(root, options = {}) {
  let tr = translator(supportedLanguage(options.language) ?? initialLanguage());

  // ---- static structure --------------------------------------------------------------
  const app = h("div", { class: "ps-app", "data-model-state": "loading" });
  // The viewer, the report, folders, the batch's progress bar and the evaluation.
  const room = mountReadingRoom({
    app,
    items: () => items,
    addFiles,
    resume: () => pump(),
    cancel: cancelWaiting,
    tr,
  });

  const privacy = options.privacy ?? h("p", { class: "ps-privacy", "data-privacy": true });
  const noticeStrong = h("strong");
  const noticeRest = document.createTextNode("");
  const notice = h("p", { class: "ps-notice", role: "note" }, noticeStrong, noticeRest);

  const languageSelect = h("select", { class: "ps-language-select" });
  const languageLabel = h("span");
  const switcher = h("label", { class: "ps-language" }, languageLabel, languageSelect);

  const modelStatus = createModelStatus({ tr, onTryAgain: tryAgain });

  const fileInput = h("input", { type: "file", multiple: true, accept: ACCEPT, class: "ps-file-input" });
  const { element: picker, text: pickerText, browse: pickerBrowse } = filePicker(fileInput);

  const dropTitle = h("span", { class: "ps-dropzone-title" });
  const dropHint = h("span", { class: "ps-dropzone-hint" });
  const dropzone = h(
    "div",
    { class: "ps-dropzone", "data-dropzone": true, role: "button", tabindex: "0" },
    dropTitle,
    dropHint,
  );

  const showHeatmap = h("input", { type: "checkbox", checked: true });
  const showHeatmapText = document.createTextNode("");
  const opacity = h("input", { type: "range", min: "0", max: "100", value: "60" });
  const opacityText = document.createTextNode("");
  const exportButton = h("button", { type: "button", class: "ps-button", disabled: true });
  const clearButton = h("button", { type: "button", class: "ps-button", disabled: true });
  const controls = h(
    "div",
    { class: "ps-controls" },
    h("label", { class: "ps-check" }, showHeatmap, showHeatmapText),
    h("label", { class: "ps-range" }, opacityText, opacity),
    room.legend,
    h("span", { class: "ps-spacer" }),
    exportButton,
    clearButton,
  );

  const live = h("p", { class: "ps-live", role: "status", "aria-live": "polite" });
  const results = createResultsList((item, near) => {
    // Whether a card is near the screen (see "cards" below).
    item.far = !near;
    if (!near || item.near) return;
    item.near = true;
    showThumbnail(item);
  });

  if (options.languageSwitcher !== false) app.append(h("div", { class: "ps-toolbar" }, switcher));
  if (options.notice !== false) app.append(notice);
  if (!options.privacy) app.append(privacy);
  app.append(modelStatus.element, dropzone, picker, room.folderPicker, controls, live, room.progressBar, room.evaluation, results.element);
  root.append(app);

  // ---- state -----------------------------------------------------------------------
  let classifier = null; // set once loadClassifier resolves
  let loadError = null; // set if it rejects: {code, params, message} for the files waiting
  let liveText = () => ""; // the last announcement, in whatever language is current
  const items = []; // every card shown, in order: {file, name, url, card, result, problem, …}
  const queue = []; // items still to classify, in order
  let running = false;
  let batch = { total: 0, done: 0 };

  /** Every text of the UI in the current language; cards and announcements too. */
  function applyLanguage() {
    const { t } = tr;
    app.lang = tr.lang;
    languageLabel.textContent = `${t("ui.language")} `;
    languageOptions(languageSelect, tr.lang);
    noticeStrong.textContent = t("ui.notice.strong");
    noticeRest.textContent = ` ${t("ui.notice.rest")}`;
    privacy.textContent = t(classifier?.path === "server" ? "ui.privacy.server" : "ui.privacy.local");
    modelStatus.relabel(tr);
    pickerText.textContent = t("ui.picker");
    pickerBrowse.textContent = t("ui.browse");
    dropTitle.textContent = t("ui.dropzone.title");
    dropHint.textContent = t("ui.dropzone.hint");
    showHeatmapText.textContent = ` ${t("ui.heatmap.show")}`;
    opacityText.textContent = `${t("ui.heatmap.opacity")} `;
    room.relabel(tr);
    exportButton.textContent = t("ui.export");
    clearButton.textContent = t("ui.clear");
    results.element.setAttribute("aria-label", t("ui.results"));
    for (const item of items) renderItem(item);
    live.textContent = liveText();
  }

  /** Switches every text to `language` ("en", "es" or "fr") at once, results included. */
  function setLanguage(language) {
    const next = supportedLanguage(language);
    if (!next || next === tr.lang) return;
    tr = translator(next);
    applyLanguage();
  }

  languageSelect.addEventListener("change", () => {
    rememberLanguage(languageSelect.value);
    setLanguage(languageSelect.value);
  });

  // ---- model loading: files dropped meanwhile wait for it ---------------------------
  function loadModel() {
    app.dataset.modelState = "loading";
    modelStatus.loading();
    loadClassifier({
      base: options.base,
      workers: options.workers,
      onProgress: (counts) => modelStatus.progress(counts),
      onRetry: (retry) => modelStatus.retrying(retry),
    }).then(
      (loaded) => {
        classifier = loaded;
        const card = loaded.card ?? {};
        const name = [card.name, card.version].filter(Boolean).join(" ");
        app.dataset.path = loaded.path;
        if (loaded.simd) app.dataset.wasmSimd = loaded.simd;
        if (loaded.path === "server") {
          privacy.textContent = tr.t("ui.privacy.server");
          privacy.classList.add("ps-privacy-server");
          modelStatus.done("ui.model.server", { name: name || tr.t("ui.model.unknown") });
        } else {
          modelStatus.done("ui.model.ready", { name: name || tr.t("ui.model.unknown"), ms: loaded.initMs });
        }
        room.ready(loaded);
        app.dataset.modelState = "ready";
        for (const item of queue) renderItem(item); // "waiting for the model" → "waiting"
        pump();
      },
      (e) => {
        const detail = e?.message ?? String(e);
        const download = e?.code === "download_failed";
        loadError = download
          ? { code: e.code, params: e.params ?? { detail }, message: detail }
          : { code: "classifier_unavailable", params: { detail }, message: `the classifier could not start: ${detail}` };
        modelStatus.failed({ download, detail });
        app.dataset.modelState = "error";
        pump();
      },
    );
  }

  /** "Try again": the files that failed for want of a classifier wait again, in order. */
  function tryAgain() {
    if (!loadError) return;
    loadError = null;
    const again = items.filter((item) => item.status === "error" && UNAVAILABLE.has(item.problem?.code));
    if (!queue.length && !running) batch = { total: 0, done: 0 };
    for (const item of again) {
      Object.assign(item, { status: "pending", phase: "waiting", problem: null, path: null });
      delete item.card.dataset.code;
      delete item.card.dataset.path;
      item.card.dataset.status = "pending";
      item.verdict.className = "ps-verdict";
      item.details.replaceChildren();
      renderItem(item);
      room.resulted(item);
      queue.push(item);
      batch.total++;
    }
    queue.sort((a, b) => items.indexOf(a) - items.indexOf(b));
    if (again.length) announce();
    loadModel();
  }

  loadModel();

  // ---- cards -------------------------------------------------------------------------
  // A card's thumbnail is the small PNG the worker made from the model's input (the
  // result's `thumbnail`, src/thumbnail.rs), so the browser does not decode the
  // full-resolution file a second time (bench/RESULTS.md (f)). It is asked for only while
  // the card is not known to be far from the screen when its file is sent: in a folder of
  // thousands most cards are never seen, and a card that comes near later, or has no
  // thumbnail (an error, the server's path), shows the file itself. Either gets its blob:
  // URL only once the card comes near the screen: URL.createObjectURL is a synchronous
  // call to the browser process (about 0.75 ms in Chromium here), which for a folder of
  // thousands of files was most of the main thread's time while their cards were added
  // (RESULTS.md (g)).
  // While the model downloads, a card near the screen shows the file itself at once.
  const setThumbnail = (item, blob) => {
    if (item.url) URL.revokeObjectURL(item.url);
    item.url = URL.createObjectURL(blob);
    item.img.src = item.url;
  };
  const showThumbnail = (item) => {
    if (!item.near || item.cleared) return;
    if (item.status === "pending") {
      if (!classifier && !item.url) setThumbnail(item, item.file);
      return;
    }
    const thumbnail = item.result?.thumbnail;
    if (item.fileUnreadable) {
      // The browser could not show the file while it waited for the model: the
      // worker's thumbnail, else the core's decoding (or "No preview").
      item.fileUnreadable = false;
      if (thumbnail) setThumbnail(item, thumbnail);
      else item.coreThumbnail?.();
      return;
    }
    if (!item.url) setThumbnail(item, thumbnail ?? item.file);
  };
  const forgetThumbnail = (item) => {
    if (item.url) URL.revokeObjectURL(item.url);
  };

  function createItem(file) {
    const img = h("img", { decoding: "async" });
    const heat = h("canvas", { class: "ps-heat", width: "14", height: "14", "aria-hidden": "true", hidden: true });
    const thumb = h("div", { class: "ps-thumb" }, img, heat);
    const title = h("h3", { class: "ps-name" });
    const verdict = h("p", { class: "ps-verdict" });
    const details = h("div", { class: "ps-details" });
    const card = h(
      "div",
      { class: "ps-card", role: "listitem", "data-result": true, "data-filename": relativePath(file) || "unnamed file", "data-status": "pending" },
      thumb,
      h("div", { class: "ps-body" }, title, verdict, details),
    );
    const item = {
      file,
      name: relativePath(file) || null, // with its folders; null: "unnamed file" in the page's language
      url: null, // the thumbnail's blob: URL, made once the card is near the screen
      near: false, // it has come near the screen
      far: false, // the last we heard, it was far from the screen
      fileUnreadable: false, // the browser could not show the file while it waited
      card,
      img,
      thumb,
      title,
      heat,
      verdict,
      details,
      status: "pending",
      phase: "waiting",
      result: null, // the classifier's result (ok or refused)
      problem: null, // {code, params, message} of an error
      path: null,
    };
    const noPreview = () => {
      img.remove();
      heat.remove();
      thumb.classList.add("ps-thumb-none");
      item.noPreview = h("span", { class: "ps-nopreview", text: tr.t("ui.no_preview") });
      thumb.append(item.noPreview);
    };
    item.coreThumbnail = () => {
      item.coreThumbnail = null; // once
      if (!classifier?.view || item.status === "error") {
        noPreview();
        return;
      }
      classifier
        .view(item.file)
        .then((view) => thumbnailBlob(view))
        .then((blob) => {
          if (item.cleared) return;
          if (item.url) URL.revokeObjectURL(item.url);
          item.url = URL.createObjectURL(blob);
          img.src = item.url;
        })
        .catch(() => {
          if (!item.cleared) noPreview();
        });
    };
    img.addEventListener("error", () => {
      // The browser cannot show the file itself (a card without the worker's thumbnail:
      // the server's path; TIFF, DICOM, JPEG 2000, …): the core's decoding, as the
      // viewer's, where the core runs in the page; else "No preview". Asked for once the
      // file has its result, so that the worker that classified it (and loaded the
      // decoders it needed) is there to draw it.
      if (item.status === "pending") item.fileUnreadable = true; // see showThumbnail
      else if (item.coreThumbnail) item.coreThumbnail();
      else noPreview();
    });
    renderItem(item);
    return item;
  }

  /** Draws one card from its state, in the current language. */
  function renderItem(item) {
    const name = item.name ?? tr.t("ui.unnamed");
    item.title.textContent = name;
    item.img.alt = tr.t("ui.preview", { name });
    if (item.noPreview) item.noPreview.textContent = tr.t("ui.no_preview");
    if (item.status === "pending") {
      const waiting = classifier ? "ui.waiting" : "ui.waiting.model";
      item.verdict.textContent = tr.t(item.phase === "classifying" ? "ui.classifying" : waiting);
    } else if (item.status === "error") {
      renderError(item);
    } else {
      renderResult(item);
    }
  }

  function showResult(item, result) {
    item.result = result;
    item.path = result.path;
    item.status = result.status;
    const { card } = item;
    card.dataset.status = result.status;
    card.dataset.path = result.path;
    if (result.status === "ok") {
      card.dataset.prediction = result.prediction;
      card.dataset.probability = String(result.probability);
      card.dataset.borderline = String(Boolean(result.borderline));
      if (result.heatmap?.logits) {
        drawEvidence(item.heat, result.heatmap, result.threshold);
        item.heat.hidden = false;
      }
    } else if (result.code) {
      card.dataset.code = result.code;
    }
    renderResult(item);
    room.resulted(item);
    showThumbnail(item);
  }

  function renderResult(item) {
    const { verdict, details, result } = item;
    const { t, percent } = tr;
    const where = t(result.path === "server" ? "ui.where.server" : "ui.where.browser");
    details.replaceChildren();

    if (result.status === "ok") {
      const pneumonia = result.prediction === "PNEUMONIA";
      const { probability, threshold } = result;
      const label = t(`ui.label.${result.prediction}`);
      if (result.borderline) {
        // Inside the card's borderline band: the label is given, but not as a finding.
        verdict.className = "ps-verdict ps-verdict-borderline";
        verdict.replaceChildren(
          t("ui.verdict.borderline"),
          " ",
          h("span", { class: "ps-label", text: t("ui.verdict.leans", { label }) }),
        );
      } else {
        verdict.className = `ps-verdict ${pneumonia ? "ps-verdict-pneumonia" : "ps-verdict-normal"}`;
        verdict.replaceChildren(
          t(pneumonia ? "ui.verdict.pneumonia" : "ui.verdict.normal"),
          " ",
          h("span", { class: "ps-label", text: label }),
        );
      }

      const fill = h("span", { class: "ps-meter-fill" });
      fill.style.width = `${probability * 100}%`;
      const mark = h("span", { class: "ps-meter-threshold" });
      mark.style.left = `${threshold * 100}%`;
      details.append(
        h(
          "p",
          { class: "ps-probability" },
          `${t("ui.probability")} `,
          h("strong", { text: percent(probability) }),
          h("span", { class: "ps-muted", text: ` ${t("ui.probability.threshold", { threshold: percent(threshold) })}` }),
        ),
        h(
          "span",
          {
            class: pneumonia ? "ps-meter ps-meter-pneumonia" : "ps-meter",
            role: "img",
            "aria-label": t("ui.meter", { probability: percent(probability), threshold: percent(threshold) }),
          },
          fill,
          mark,
        ),
      );
    } else if (result.status === "refused") {
      verdict.className = "ps-verdict ps-verdict-refused";
      verdict.textContent = t("ui.refused");
      details.append(
        ...reason(tr, { ...result, message: result.message ?? "not a chest X-ray" }),
        h("p", { class: "ps-muted", text: t("ui.refused.hint") }),
      );
    }

    const dicom = describeDicom(tr, result.dicom);
    if (dicom) details.append(h("p", { class: "ps-dicom", "data-dicom": true, text: dicom }));
    if (result.warnings?.length) {
      // The core's warnings have no codes yet: their words are English in every language.
      const note = (w) => (tr.lang === "en" ? w : h("span", { lang: "en", text: w }));
      details.append(
        h("ul", { class: "ps-warnings" }, ...result.warnings.map((w) => h("li", {}, `${t("ui.note")} `, note(w)))),
      );
    }
    const timings = result.timings;
    if (timings) {
      const ms = (value) => t("ui.timings.ms", { ms: value });
      const parts = [
        t("ui.timings.decode", { ms: ms(timings.decode_ms) }),
        t("ui.timings.preprocess", { ms: ms(timings.preprocess_ms) }),
        t("ui.timings.inference", { ms: ms(timings.inference_ms) }),
      ];
      details.append(
        h("p", {
          class: "ps-timings",
          text: t("ui.timings.total", { total: ms(timings.total_ms), where, parts: parts.join(", ") }),
        }),
      );
    } else {
      details.append(h("p", { class: "ps-timings", text: t("ui.timings.checked", { where }) }));
    }
  }

  /** An error: `problem` is {code, params, message} (an Error from the classifier). */
  function showError(item, problem, path) {
    item.problem = { code: problem.code ?? null, params: problem.params ?? null, message: problem.message ?? "" };
    item.path = path ?? null;
    item.status = "error";
    item.card.dataset.status = "error";
    if (path) item.card.dataset.path = path;
    if (item.problem.code) item.card.dataset.code = item.problem.code;
    renderError(item);
    room.resulted(item);
    showThumbnail(item);
  }

  function renderError(item) {
    item.verdict.className = "ps-verdict ps-verdict-error";
    item.verdict.textContent = tr.t("ui.error");
    item.details.replaceChildren(...reason(tr, item.problem, { technical: true }));
  }

  /** The item's CSV row: machine-readable columns, the message in the page's language. */
  function rowOf(item) {
    const result = item.result;
    const base = { filename: item.name ?? "unnamed file", status: item.status };
    if (item.status === "error") {
      return { ...base, code: item.problem.code ?? "", message: tr.problem(item.problem).text, path: item.path ?? "" };
    }
    if (!result) return base;
    const ok = result.status === "ok";
    return {
      ...base,
      prediction: ok ? result.prediction : "",
      borderline: ok ? String(Boolean(result.borderline)) : "",
      probability: ok ? String(result.probability) : "",
      threshold: result.threshold ?? classifier?.card?.threshold?.probability ?? "",
      code: result.code ?? "",
      message: ok ? "" : tr.problem({ ...result, message: result.message ?? "" }).text,
      path: result.path,
      total_ms: result.timings?.total_ms ?? "",
    };
  }

  // ---- the queue: in order, a few files per worker at a time; an error never stops the batch --
  async function pump() {
    if (running || (!classifier && !loadError)) return;
    running = true;
    // Enough lanes to keep every worker busy (pool.js DEPTH each): results show as they
    // come, cards and the CSV keep input order.
    const lanes = classifier?.inFlight ?? classifier?.workers ?? 1;
    await Promise.all(Array.from({ length: Math.max(1, lanes) }, lane));
    running = false;
    if (queue.length && !room.paused) pump(); // resumed while the last lanes were finishing
  }

  async function lane() {
    while (queue.length && !room.paused && (classifier || loadError)) {
      const item = queue.shift();
      const failure = loadError ?? readFailure(item.file);
      if (failure) {
        showError(item, failure);
      } else {
        item.card.dataset.path = classifier.path;
        item.phase = "classifying";
        renderItem(item);
        try {
          const result = await classifier.classify(item.file, item.name ?? "unnamed file", {
            thumbnail: !item.far && (!item.url || item.fileUnreadable),
          });
          if (!item.cleared) showResult(item, result);
        } catch (e) {
          const problem = e instanceof Error ? e : { message: String(e) };
          if (!item.cleared) showError(item, problem, classifier.path);
        }
      }
      if (!item.cleared) {
        batch.done++;
        announce();
      }
    }
  }

  function announce() {
    const { done, total } = batch;
    room.progress(done, total);
    const count = (status) => items.filter((item) => item.status === status).length;
    const refused = count("refused");
    const errors = count("error");
    liveText = () => {
      const progress = tr.plural("ui.live.progress", total, { done, total });
      if (done < total) return progress;
      const extra = [];
      if (refused > 0) extra.push(tr.t("ui.live.refused", { count: refused }));
      if (errors > 0) extra.push(tr.t("ui.live.errors", { count: errors }));
      return progress + (extra.length ? ` (${extra.join(", ")})` : "");
    };
    live.textContent = liveText();
  }

  function addFiles(dropped) {
    const files = room.intake(dropped); // a labels CSV goes to the evaluation instead
    if (!files.length) return;
    if (!queue.length && !running) batch = { total: 0, done: 0 };
    for (const file of files) {
      const item = createItem(file);
      items.push(item);
      queue.push(item);
      results.append(item);
      room.added(item);
      batch.total++;
    }
    exportButton.disabled = clearButton.disabled = false;
    announce();
    pump();
  }

  /** Cancel: the files still waiting are dropped with their cards; those in work finish. */
  function cancelWaiting() {
    const dropped = new Set(queue.splice(0));
    for (const item of dropped) {
      item.cleared = true;
      forgetThumbnail(item);
      results.remove(item);
    }
    const kept = items.filter((item) => !dropped.has(item));
    items.splice(0, items.length, ...kept);
    batch.total -= dropped.size;
    exportButton.disabled = clearButton.disabled = items.length === 0;
    announce();
  }

  function clearAll() {
    for (const item of items) {
      item.cleared = true;
      forgetThumbnail(item);
    }
    items.length = 0;
    queue.length = 0;
    batch = { total: 0, done: 0 };
    results.clear();
    room.cleared();
    liveText = () => tr.t("ui.live.cleared");
    live.textContent = liveText();
    exportButton.disabled = clearButton.disabled = true;
  }

  function exportCsv() {
    // Column names and values stay machine-readable (English); `message` follows the page.
    const header = [
      "filename", "status", "prediction", "borderline", "probability", "threshold", "message", "path", "total_ms", "code",
    ];
    const lines = [header.join(",")];
    for (const item of items) {
      const row = rowOf(item);
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
    droppedFiles(event.dataTransfer).then(addFiles); // folders are walked, paths kept
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

  applyLanguage();
  return {
    get language() {
      return tr.lang;
    },
    setLanguage,
  };
}
