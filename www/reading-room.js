// The reading room: what ui.js adds to its list of result cards — the heatmap legend,
// the folder picker, the batch's progress bar with pause and cancel, the full-size viewer,
// the per-file report and the evaluation of labelled files. ui.js owns the queue and the
// cards; it calls the hooks returned here at the few points where they matter.
import { createEvaluation, labelFromCsv, labelFromPath, parseLabels } from "./evaluation.js";
import { createEvidenceLegend } from "./heatmap.js";
import { createFolderPicker, readFailure } from "./folders.js";
import { createBatchProgress } from "./progress.js";
import { createReport } from "./report.js";
import { createViewer } from "./viewer.js";
import { h } from "./dom.js";

const isLabelsCsv = (file) => /\.csv$/i.test(file.name) || file.type === "text/csv";

/** Cards added per frame: thousands of files at once would freeze the page for a second. */
const CHUNK = 100;

/**
 * `app`: the UI's root element; `items()`: ui.js's array of cards in input order (each
 * {file, name, card, thumb, status, result}); `addFiles(files)`, `resume()` (start the
 * queue again) and `cancel()` (drop the files still waiting) are ui.js's; `tr` the
 * translator. Returns the hooks: {legend, folderPicker, progressBar, evaluation (elements
 * to place), intake, added, resulted, progress, ready, cleared, relabel, paused}.
 */
export function mountReadingRoom({ app, items, addFiles, resume, cancel, tr }) {
  let card = null; // the model card, once loaded
  let classifier = null; // once loaded: its `view` decodes the viewer's image (wasm only)
  let generation = 0; // bumped by clear and cancel: chunks still to add are then dropped
  let toAdd = 0; // files of a large drop not yet added (their chunks come frame by frame)
  const csvLabels = new Map(); // file path → label, from dropped labels CSVs
  const cards = new WeakMap(); // card element → item

  const legend = createEvidenceLegend(tr);
  const folders = createFolderPicker(tr, (files) => addFiles(files));
  const batch = createBatchProgress({
    tr,
    onResume: resume,
    onCancel: () => {
      generation++;
      toAdd = 0;
      cancel();
    },
  });
  const evaluation = createEvaluation(tr);
  // The viewer's and the report's image: the core's decoding (DICOM, TIFF, JPEG 2000 and
  // 16-bit images too) where it runs in the browser.
  const viewOf = (item) => classifier?.view?.(item.file) ?? null;
  const report = createReport({ host: app, tr, card: () => card, viewOf });
  const viewer = createViewer({ host: app, tr, onReport: (item) => report.open(item), viewOf });

  const labelOf = (item) => labelFromCsv(csvLabels, item.name ?? "") ?? labelFromPath(item.name ?? "");
  const nameOf = (item) => item.name ?? tr.t("ui.unnamed");

  let evaluationTimer = 0;
  const updateEvaluation = () => {
    clearTimeout(evaluationTimer);
    evaluationTimer = 0;
    const labelled = [];
    for (const item of items()) {
      const label = labelOf(item);
      if (label) labelled.push({ label, status: item.status, result: item.result });
    }
    evaluation.update(labelled, card?.threshold?.probability);
  };
  // Thousands of results arrive fast: redraw at most every 250 ms, and at the end.
  const scheduleEvaluation = () => {
    if (!evaluationTimer) evaluationTimer = setTimeout(updateEvaluation, 250);
  };

  const openViewer = (item) => {
    const at = items().indexOf(item);
    if (at >= 0) viewer.open(items, at);
  };

  app.addEventListener("click", (event) => {
    const cardElement = event.target.closest?.("[data-result]");
    const item = cardElement && cards.get(cardElement);
    if (!item) return;
    // Links, summaries and other controls inside a card keep their own click.
    const control = event.target.closest("a, summary, input, select, textarea, button");
    if (control && !control.matches("[data-open-viewer]")) return;
    // Selecting a card's text (to copy a number) is not a click to open it.
    const root = app.getRootNode();
    const selection = root.getSelection?.() ?? document.getSelection();
    if (selection && !selection.isCollapsed && !control) return;
    openViewer(item);
  });

  return {
    /** The heatmap's legend, for the controls bar. */
    legend: legend.element,
    /** "Choose a folder:", beside the file picker. */
    folderPicker: folders.element,
    /** The batch's progress bar, above the results. */
    progressBar: batch.element,
    /** The evaluation section, above the results. */
    evaluation: evaluation.element,

    /** Whether the batch is paused: ui.js's queue takes no new file while it is. */
    get paused() {
      return batch.paused;
    },

    /**
     * The files to classify among `files`: labels CSVs are read for the evaluation
     * instead (rows `file,label`), everything else is classified.
     */
    intake(files) {
      let images = [];
      for (const file of files) {
        if (!isLabelsCsv(file) || readFailure(file)) {
          images.push(file);
          continue;
        }
        file.text().then(
          (text) => {
            for (const [path, label] of parseLabels(text).labels) csvLabels.set(path, label);
            scheduleEvaluation();
          },
          (e) => console.warn(`Pneumoscan: could not read ${file.name}:`, e),
        );
      }
      if (images.length > CHUNK) {
        // The rest after the browser has painted this chunk, unless cleared or cancelled.
        const rest = images.slice(CHUNK);
        const mine = generation;
        toAdd += rest.length;
        images = images.slice(0, CHUNK);
        requestAnimationFrame(() =>
          setTimeout(() => {
            if (mine !== generation) return;
            toAdd -= rest.length;
            addFiles(rest);
          }),
        );
      }
      return images;
    },

    /** A new card: its thumbnail becomes the button that opens the viewer. */
    added(item) {
      cards.set(item.card, item);
      if (labelOf(item)) scheduleEvaluation();
      if (!item.thumb) return;
      const open = h("button", {
        type: "button",
        class: "ps-open",
        "data-open-viewer": true,
        "aria-haspopup": "dialog",
        "aria-label": tr.t("viewer.open", { name: nameOf(item) }),
      });
      item.thumb.replaceWith(open);
      open.append(item.thumb);
      item.openButton = open;
    },

    /** A card got its result or its error (item.status, item.result). */
    resulted(item) {
      viewer.refresh(item);
      if (labelOf(item)) scheduleEvaluation();
    },

    /** The batch's counts changed. */
    progress(done, total) {
      batch.update(done, total + toAdd);
      if (done >= total && !toAdd) updateEvaluation();
    },

    /** The classifier is loaded. */
    ready(loaded) {
      classifier = loaded;
      card = loaded.card ?? null;
      legend.set({ threshold: card?.threshold?.probability });
      if (loaded.workers != null) app.dataset.workers = String(loaded.workers);
      updateEvaluation();
    },

    /** Every card was removed. */
    cleared() {
      generation++;
      toAdd = 0;
      batch.update(0, 0);
      csvLabels.clear();
      if (viewer.element.open) viewer.element.close();
      updateEvaluation();
    },

    /** The language changed. */
    relabel(next) {
      tr = next;
      for (const part of [legend, folders, batch, evaluation, report, viewer]) part.relabel(next);
      for (const item of items()) item.openButton?.setAttribute("aria-label", tr.t("viewer.open", { name: nameOf(item) }));
    },
  };
}
