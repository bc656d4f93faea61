// A one-page report per file: the image with its heatmap, the prediction, probability,
// threshold, model version, date and the "not for clinical use" notice, drawn on one
// canvas that is both the printed page (print CSS shows it alone) and the PNG download.
// The file name is left out unless the user ticks the box: it often names the patient.
import { drawEvidence, evidenceColour, evidenceSummary, logit, spanText } from "./heatmap.js";
import { download, formatNumber, h, trapFocus, uniqueId } from "./dom.js";
import { bitmapOf } from "./grey.js";

const WIDTH = 1240; // px: an A4 page's width at 150 dpi
const PAD = 64;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const HEAT_OPACITY = 0.6;

/** Splits `text` into lines no wider than `width` in the context's font. */
function wrap(context, text, width) {
  const lines = [];
  let line = "";
  for (const word of String(text).split(/\s+/)) {
    const candidate = line ? `${line} ${word}` : word;
    if (line && context.measureText(candidate).width > width) {
      lines.push(line);
      line = word;
    } else line = candidate;
  }
  if (line) lines.push(line);
  return lines;
}

/** The report's lines of text, as [label, value] pairs (also the canvas's text alternative). */
export function reportFields(tr, item, card, { includeName = false, date = new Date() } = {}) {
  const result = item.result;
  const verdict = result.borderline
    ? `${tr.t("ui.verdict.borderline")} (${tr.t("ui.verdict.leans", { label: tr.t(`ui.label.${result.prediction}`) })})`
    : `${tr.t(`ui.label.${result.prediction}`)} — ${tr.t(
        result.prediction === "PNEUMONIA" ? "ui.verdict.pneumonia" : "ui.verdict.normal",
      )}`;
  const model = [card?.name, card?.version].filter(Boolean).join(" ") || tr.t("ui.model.unknown");
  const fields = [
    [tr.t("report.prediction"), verdict],
    [tr.t("ui.probability"), tr.percent(result.probability)],
    [tr.t("report.threshold"), tr.percent(result.threshold)],
    [tr.t("report.model"), model],
    [tr.t("report.date"), new Intl.DateTimeFormat(tr.lang, { dateStyle: "long", timeStyle: "short" }).format(date)],
  ];
  if (includeName) fields.unshift([tr.t("report.file"), item.name]);
  return fields;
}

/** Draws the report of `item` on a new canvas; `bitmap` is its decoded image or null. */
export function drawReport(tr, item, card, bitmap, options = {}) {
  const fields = reportFields(tr, item, card, options);
  const result = item.result;
  const heat = document.createElement("canvas");
  const span = result.heatmap?.logits ? drawEvidence(heat, result.heatmap, result.threshold) : null;
  const canvas = document.createElement("canvas");
  const measure = canvas.getContext("2d");
  const textWidth = WIDTH - 2 * PAD;

  // Layout first (heights depend on wrapped text and the image's shape), then paint.
  const imageBox = (() => {
    if (!bitmap) return { width: textWidth, height: 120 };
    const s = Math.min(textWidth / bitmap.width, 900 / bitmap.height);
    return { width: Math.round(bitmap.width * s), height: Math.round(bitmap.height * s) };
  })();
  measure.font = `600 20px ${FONT}`;
  const notice = wrap(measure, `${tr.t("ui.notice.strong")} ${tr.t("report.notice")}`, textWidth - 44);
  measure.font = `20px ${FONT}`;
  const summary = wrap(measure, evidenceSummary(tr, result) ?? "", textWidth);
  const legendText = span
    ? wrap(
        measure,
        tr.t("report.legend", {
          span: spanText(tr.lang, span),
          threshold_logit: formatNumber(tr.lang, logit(result.threshold), 2, {
            minimumFractionDigits: 2,
            signDisplay: "exceptZero",
          }),
        }),
        textWidth,
      )
    : [];
  const height =
    PAD + 48 + 24 + notice.length * 28 + 32 + 24 + imageBox.height + 24 + 20 + 30 + legendText.length * 28 +
    summary.length * 28 + 24 + fields.length * 40 + 24 + 28 + PAD;
  canvas.width = WIDTH;
  canvas.height = height;

  const c = canvas.getContext("2d");
  c.fillStyle = "#ffffff";
  c.fillRect(0, 0, WIDTH, height);
  c.textBaseline = "top";
  let yPos = PAD;

  c.fillStyle = "#17212b";
  c.font = `700 36px ${FONT}`;
  c.fillText(tr.t("report.title"), PAD, yPos);
  yPos += 48 + 24;

  // The notice, in a framed box as on the page.
  const boxHeight = notice.length * 28 + 32;
  c.fillStyle = "#fff4da";
  c.fillRect(PAD, yPos - 8, textWidth, boxHeight);
  c.fillStyle = "#7a5200";
  c.fillRect(PAD, yPos - 8, 6, boxHeight);
  c.fillStyle = "#17212b";
  c.font = `600 20px ${FONT}`;
  notice.forEach((line, i) => c.fillText(line, PAD + 22, yPos + 8 + i * 28));
  yPos += boxHeight + 24;

  if (bitmap) {
    c.drawImage(bitmap, PAD, yPos, imageBox.width, imageBox.height);
    if (span) {
      c.save();
      c.globalAlpha = HEAT_OPACITY;
      c.imageSmoothingEnabled = true;
      c.imageSmoothingQuality = "high";
      c.drawImage(heat, PAD, yPos, imageBox.width, imageBox.height);
      c.restore();
    }
  } else {
    c.strokeStyle = "#c5cfda";
    c.strokeRect(PAD, yPos, imageBox.width, imageBox.height);
    c.fillStyle = "#4c5866";
    c.font = `20px ${FONT}`;
    c.fillText(tr.t("report.no_image"), PAD + 24, yPos + imageBox.height / 2 - 10);
  }
  yPos += imageBox.height + 24;

  // The colour scale, painted over mid-grey as it shows over an X-ray.
  const barWidth = Math.min(textWidth, 480);
  c.fillStyle = "#808080";
  c.fillRect(PAD, yPos, barWidth, 20);
  for (let px = 0; px < barWidth; px++) {
    const [r, g, b, a] = evidenceColour((2 * px) / (barWidth - 1) - 1, 1);
    c.fillStyle = `rgb(${r} ${g} ${b} / ${(a / 255) * HEAT_OPACITY})`;
    c.fillRect(PAD + px, yPos, 1, 20);
  }
  c.strokeStyle = "#4c5866";
  c.strokeRect(PAD, yPos, barWidth, 20);
  // Ticks under the bar: the two ends and the threshold in the middle.
  c.fillStyle = "#17212b";
  c.font = `16px ${FONT}`;
  const ticks = [
    [span ? `\u2212${spanText(tr.lang, span)}` : tr.t("ui.label.NORMAL"), "left", PAD],
    ["0", "center", PAD + barWidth / 2],
    [span ? `+${spanText(tr.lang, span)}` : tr.t("ui.label.PNEUMONIA"), "right", PAD + barWidth],
  ];
  for (const [label, align, at] of ticks) {
    c.textAlign = align;
    c.fillText(label, at, yPos + 24);
  }
  c.textAlign = "left";
  yPos += 20 + 30;
  c.font = `20px ${FONT}`;
  c.fillStyle = "#4c5866";
  for (const line of [...legendText, ...summary]) {
    c.fillText(line, PAD, yPos);
    yPos += 28;
  }
  yPos += 24;

  c.font = `600 22px ${FONT}`;
  const labelWidth = Math.max(...fields.map(([label]) => c.measureText(label).width)) + 24;
  for (const [label, value] of fields) {
    c.fillStyle = "#4c5866";
    c.font = `600 22px ${FONT}`;
    c.fillText(label, PAD, yPos);
    c.fillStyle = "#17212b";
    c.font = `22px ${FONT}`;
    c.fillText(value, PAD + labelWidth, yPos, textWidth - labelWidth);
    yPos += 40;
  }
  yPos += 24;
  c.fillStyle = "#4c5866";
  c.font = `16px ${FONT}`;
  c.fillText(tr.t(result.path === "server" ? "report.where.server" : "report.where.browser"), PAD, yPos);

  const alt = [tr.t("report.title"), `${tr.t("ui.notice.strong")} ${tr.t("report.notice")}`]
    .concat(fields.map(([label, value]) => `${label}: ${value}`))
    .concat(summary.length ? [summary.join(" ")] : [])
    .join(". ");
  return { canvas, alt };
}

/**
 * The report dialog inside `host`. `card()` gives the model card; `viewOf(item)`
 * resolves to the core's image of the file (client.js view), or null where the core is
 * not running (the browser then decodes what it can). Returns {open(item), relabel(tr),
 * element}.
 */
export function createReport({ host, tr, card, viewOf }) {
  const titleId = uniqueId("ps-report-title");
  const title = h("h2", { id: titleId, class: "ps-report-title" });
  const includeName = h("input", { type: "checkbox", "data-report-include-name": true });
  const includeText = h("span");
  const printButton = h("button", { type: "button", class: "ps-button", "data-report-print": true });
  const pngButton = h("button", { type: "button", class: "ps-button", "data-report-png": true });
  const closeButton = h("button", { type: "button", class: "ps-button" });
  const controls = h(
    "div",
    { class: "ps-report-controls" },
    h("label", { class: "ps-check" }, includeName, includeText),
    h("span", { class: "ps-spacer" }),
    printButton,
    pngButton,
    closeButton,
  );
  const sheet = h("div", { class: "ps-report-sheet" });
  const element = h(
    "dialog",
    { class: "ps-report", "aria-labelledby": titleId, "data-report": true },
    title,
    controls,
    sheet,
  );
  host.append(element);
  trapFocus(element);

  let item = null;
  let bitmap = null;
  let shown = null; // {canvas}
  let opener = null;

  const render = () => {
    title.textContent = tr.t("report.dialog");
    includeText.textContent = tr.t("report.include_name");
    printButton.textContent = tr.t("report.print");
    pngButton.textContent = tr.t("report.png");
    closeButton.textContent = tr.t("viewer.close");
    if (!item) return;
    const { canvas, alt } = drawReport(tr, item, card(), bitmap, { includeName: includeName.checked });
    canvas.className = "ps-report-canvas";
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", alt);
    sheet.replaceChildren(canvas);
    shown = canvas;
  };

  includeName.addEventListener("change", render);
  closeButton.addEventListener("click", () => element.close());
  printButton.addEventListener("click", () => {
    // Print CSS (style.css) shows only the open report's sheet.
    globalThis.print();
  });
  pngButton.addEventListener("click", () => {
    shown?.toBlob((blob) => {
      if (!blob) return;
      const date = new Date().toISOString().slice(0, 10);
      const stem = includeName.checked ? `-${item.name.split("/").pop().replace(/\.[^.]*$/, "")}` : "";
      download(element, blob, `pneumoscan-report${stem}-${date}.png`);
    }, "image/png");
  });
  element.addEventListener("close", () => {
    bitmap?.close?.();
    bitmap = null;
    item = null;
    sheet.replaceChildren();
    opener?.focus?.();
  });

  render();
  return {
    element,
    async open(next) {
      opener = element.getRootNode().activeElement;
      item = next;
      includeName.checked = false; // every report starts without the name
      try {
        const view = await viewOf?.(next);
        bitmap = await (view ? bitmapOf(view) : createImageBitmap(next.file));
      } catch {
        bitmap = null; // a format the browser cannot show: the report says so
      }
      render();
      if (!element.open) element.showModal();
      closeButton.focus();
    },
    relabel(next) {
      tr = next;
      render();
    },
  };
}
