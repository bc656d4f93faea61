// The heatmap, drawn against the decision threshold.
//
// The model's class activation map (result.heatmap.logits, 14 × 14) is local evidence in
// logit units: its mean is the image's logit, and the image is called PNEUMONIA when that
// logit reaches the threshold's, logit(threshold). So each cell is drawn as its distance
// from the threshold's logit, d = cell − logit(threshold), on a diverging,
// colour-blind-safe scale: orange where the region pushes towards PNEUMONIA (d > 0), blue
// where it pushes towards NORMAL (d < 0), clear near the threshold.
//
// Colour and opacity grow in proportion to |d| up to the map's own span (the 95th
// percentile of |d|, so that a few extreme cells do not wash the rest out). Since the
// verdict is the sign of the mean of d, the amount of orange against the amount of blue
// is what decides, and the picture shows it: a NORMAL image's strong blue outweighs its
// weak orange. A fixed span would not do: the cells' range depends on the model (about
// ±10 logit units for model 1.0.0, ±50 for 2.0.0), and a saturated map is all one colour.
// (`heatmap.intensity`, the sigmoid of each cell, stays in the JSON for compatibility;
// the page no longer draws it.)
import { formatNumber, h } from "./dom.js";

/** The share of a map's cells drawn below full colour (the rest are clipped to it). */
const SPAN_QUANTILE = 0.95;

/** The smallest span, in logit units: a flat map stays faint instead of saturating. */
const MIN_SPAN = 1;

/** The most opaque a cell gets (the page's opacity slider scales it further). */
const MAX_ALPHA = 0.85;

// Light and full ends of each arm: ColorBrewer PuOr's orange and RdBu's blue, a pair that
// stays apart under protanopia, deuteranopia and tritanopia, and in greyscale print (the
// arms differ in lightness as well as hue at equal distances).
const TOWARDS_PNEUMONIA = [
  [253, 184, 99],
  [230, 97, 1],
];
const TOWARDS_NORMAL = [
  [146, 197, 222],
  [33, 102, 172],
];

/** log(p / (1 − p)), the logit scale the map is in. */
export const logit = (p) => Math.log(p / (1 - p));

/** Each cell's distance from the threshold's logit (positive: towards PNEUMONIA). */
export function relativeEvidence(heatmap, threshold) {
  const offset = logit(threshold);
  return heatmap.logits.map((value) => value - offset);
}

/** The distance at which a map's colour is full: the 95th percentile of |d|, at least 1. */
export function evidenceSpan(distances) {
  const sorted = distances.map(Math.abs).filter(Number.isFinite).sort((a, b) => a - b);
  if (!sorted.length) return MIN_SPAN;
  return Math.max(MIN_SPAN, sorted[Math.floor(SPAN_QUANTILE * (sorted.length - 1))]);
}

/** [r, g, b, a] (0–255) for a cell `distance` logit units from the threshold's logit. */
export function evidenceColour(distance, span) {
  const u = Math.max(-1, Math.min(1, distance / span));
  if (!Number.isFinite(u)) return [0, 0, 0, 0];
  const [light, full] = u >= 0 ? TOWARDS_PNEUMONIA : TOWARDS_NORMAL;
  const m = Math.abs(u);
  const rgb = light.map((c, k) => Math.round(c + (full[k] - c) * m));
  return [...rgb, Math.round(255 * MAX_ALPHA * m)];
}

/**
 * Paints the evidence map into `canvas` at its grid size (CSS or drawImage stretches it);
 * returns its span (also in canvas.dataset.span).
 */
export function drawEvidence(canvas, heatmap, threshold) {
  const { width, height } = heatmap;
  canvas.width = width;
  canvas.height = height;
  const distances = relativeEvidence(heatmap, threshold);
  const span = evidenceSpan(distances);
  const context = canvas.getContext("2d");
  const pixels = context.createImageData(width, height);
  distances.forEach((d, i) => pixels.data.set(evidenceColour(d, span), i * 4));
  context.putImageData(pixels, 0, 0);
  canvas.dataset.span = String(span);
  return span;
}

/** The map's mean distance from the threshold's logit: the image's logit − logit(threshold). */
export function meanEvidence(result) {
  const cells = result.heatmap?.logits ?? [];
  const mean = Number.isFinite(result.logit)
    ? result.logit
    : cells.reduce((sum, v) => sum + v, 0) / Math.max(1, cells.length);
  return mean - logit(result.threshold);
}

/** The colour scale as a CSS gradient, from the same colours the canvas gets. */
function gradient() {
  const stops = [];
  for (let i = 0; i <= 20; i++) {
    const [r, g, b, a] = evidenceColour(i / 10 - 1, 1);
    stops.push(`rgb(${r} ${g} ${b} / ${(a / 255).toFixed(3)}) ${i * 5}%`);
  }
  return `linear-gradient(to right, ${stops.join(", ")})`;
}

const signed = (lang, value, digits = 2) =>
  formatNumber(lang, value, digits, { minimumFractionDigits: digits, signDisplay: "exceptZero" });

/** A span as the legends write it: whole logit units, or one decimal below 10. */
export const spanText = (lang, span) => formatNumber(lang, span, span < 10 ? 1 : 0);

/**
 * "On average this map lies 3.98 logit units below the threshold's logit …", for the
 * viewer and the report; null without a heatmap.
 */
export function evidenceSummary(tr, result) {
  if (!result?.heatmap?.logits || !Number.isFinite(result.threshold)) return null;
  const d = meanEvidence(result);
  // A borderline result is not called either way (src/classify.rs): the words say so.
  const key = `${d >= 0 ? "heatmap.image.above" : "heatmap.image.below"}${result.borderline ? ".borderline" : ""}`;
  return tr.t(key, {
    value: formatNumber(tr.lang, Math.abs(d), 2, { minimumFractionDigits: 2 }),
  });
}

/**
 * The legend: the colour scale with its ends in words and numbers, and a folded help text
 * on how to read the map. `set({threshold, span})` once they are known — the page's
 * legend knows the threshold only (every map has its own span), the viewer's both;
 * `relabel(tr)` when the language changes.
 */
export function createEvidenceLegend(tr) {
  const swatch = h("span", { class: "ps-evidence-swatch", role: "img" });
  swatch.style.backgroundImage = gradient(); // over the grey of style.css, as over an X-ray
  const low = h("span", { class: "ps-evidence-end" });
  const high = h("span", { class: "ps-evidence-end" });
  const units = h("span", { class: "ps-evidence-units" });
  const scale = h("span", { class: "ps-evidence-scale" }, low, swatch, high, units);
  const normal = h("span", { class: "ps-evidence-normal" });
  const neutral = h("span", { class: "ps-evidence-neutral" });
  const pneumonia = h("span", { class: "ps-evidence-pneumonia" });
  const words = h("span", { class: "ps-evidence-words" }, normal, neutral, pneumonia);
  const summary = h("summary");
  const cells = h("p");
  const balance = h("p");
  const help = h("details", { class: "ps-evidence-help" }, summary, cells, balance);
  const element = h("div", { class: "ps-evidence-legend", "data-heatmap-legend": true }, scale, words, help);

  let threshold = null;
  let span = null;
  const render = () => {
    const params = {
      span: span == null ? "…" : spanText(tr.lang, span),
      threshold: threshold == null ? "…" : tr.percent(threshold),
      threshold_logit: threshold == null ? "…" : signed(tr.lang, logit(threshold)),
    };
    if (span == null) {
      low.textContent = tr.t("ui.label.NORMAL");
      high.textContent = tr.t("ui.label.PNEUMONIA");
      units.textContent = tr.t("heatmap.units.each");
      swatch.setAttribute("aria-label", tr.t("heatmap.swatch.each", params));
    } else {
      low.textContent = `\u2212${spanText(tr.lang, span)}`;
      high.textContent = `+${spanText(tr.lang, span)}`;
      units.textContent = tr.t("heatmap.units", params);
      swatch.setAttribute("aria-label", tr.t("heatmap.swatch", params));
    }
    element.dataset.span = span == null ? "" : String(span);
    normal.textContent = tr.t("heatmap.normal", params);
    neutral.textContent = tr.t("heatmap.neutral", params);
    pneumonia.textContent = tr.t("heatmap.pneumonia", params);
    summary.textContent = tr.t("heatmap.help", params);
    cells.textContent = tr.t("heatmap.help.cells", params);
    balance.textContent = tr.t("heatmap.help.balance", params);
  };
  render();
  return {
    element,
    set({ threshold: p, span: s } = {}) {
      threshold = Number.isFinite(p) ? p : null;
      span = Number.isFinite(s) ? s : null;
      render();
    },
    relabel(next) {
      tr = next;
      render();
    },
  };
}
