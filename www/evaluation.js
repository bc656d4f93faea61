// Evaluation in the browser: when files carry their true label — a folder named NORMAL or
// PNEUMONIA anywhere in their path, or a row of a dropped labels CSV (`file,label`) — the
// page shows the confusion matrix, accuracy, sensitivity, specificity, AUC, the ROC curve
// with the operating point and a reliability diagram. The formulas are src/metrics.rs's,
// and the samples are `pneumoscan eval`'s (every image the model scored, refused ones
// included; files that could not be read are counted apart), so the numbers are equal.
//
// Automation: the section carries data-evaluation with data-n, data-accuracy,
// data-sensitivity, data-specificity, data-precision, data-f1, data-auc (full precision),
// data-tp/fp/tn/fn, data-refused, data-errors, and data-complete="true" once every
// labelled file has its result.
import { formatNumber, h, svg, uniqueId } from "./dom.js";

export const LABELS = ["NORMAL", "PNEUMONIA"];

/** The label of the deepest folder named NORMAL or PNEUMONIA in `path`, else null. */
export function labelFromPath(path) {
  const folders = String(path).split("/").slice(0, -1);
  for (let i = folders.length - 1; i >= 0; i--) {
    const name = folders[i].toUpperCase();
    if (LABELS.includes(name)) return name;
  }
  return null;
}

/** One CSV line's fields (RFC 4180 quoting). */
function csvFields(line) {
  const fields = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      fields.push(field);
      field = "";
    } else field += c;
  }
  fields.push(field);
  return fields.map((f) => f.trim());
}

const LABEL_WORDS = { NORMAL: "NORMAL", PNEUMONIA: "PNEUMONIA", 0: "NORMAL", 1: "PNEUMONIA" };

/**
 * A labels CSV (`file,label`, header optional; label NORMAL/PNEUMONIA or 0/1) as a Map from
 * the file's path (as written, "/"-separated) to its label. Rows it cannot read are counted.
 */
export function parseLabels(text) {
  const labels = new Map();
  let skipped = 0;
  const lines = String(text).replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    const [file, raw] = csvFields(line);
    const label = LABEL_WORDS[String(raw ?? "").toUpperCase()];
    if (file && label) labels.set(file.replaceAll("\\", "/").replace(/^\.?\//, ""), label);
    else if (i > 0 || !/^(file|filename|path)$/i.test(file)) skipped++;
  }
  return { labels, skipped };
}

/** The label a labels CSV gives `path`: its row for the path or for a trailing part of it. */
export function labelFromCsv(labels, path) {
  const parts = String(path).split("/");
  for (let i = 0; i < parts.length; i++) {
    const label = labels.get(parts.slice(i).join("/"));
    if (label) return label;
  }
  return null;
}

/**
 * src/metrics.rs::compute, line for line: `samples` are [isPositive, probability]; a
 * probability at or above `threshold` is called PNEUMONIA; ratios with a zero
 * denominator are 0; AUC is the Mann-Whitney statistic with ties counted one half (NaN
 * with one class only).
 */
export function computeMetrics(samples, threshold) {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (const [positive, p] of samples) {
    const called = p >= threshold;
    if (positive && called) tp++;
    else if (!positive && called) fp++;
    else if (!positive && !called) tn++;
    else fn++;
  }
  const ratio = (a, b) => (b === 0 ? 0 : a / b);
  const sensitivity = ratio(tp, tp + fn);
  const precision = ratio(tp, tp + fp);
  const f1 = precision + sensitivity > 0 ? (2 * precision * sensitivity) / (precision + sensitivity) : 0;
  return {
    n: samples.length,
    accuracy: ratio(tp + tn, samples.length),
    sensitivity,
    specificity: ratio(tn, tn + fp),
    precision,
    f1,
    auc: auc(samples),
    tp,
    fp,
    tn,
    fn,
  };
}

/** ROC AUC by the Mann-Whitney statistic, with average ranks for ties (metrics.rs::auc). */
function auc(samples) {
  const positives = samples.filter(([y]) => y).length;
  const negatives = samples.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  const sorted = samples.map(([y, p]) => [p, y]).sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  let i = 0;
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1][0] === sorted[i][0]) j++;
    const averageRank = (i + j) / 2 + 1;
    let tied = 0;
    for (let k = i; k <= j; k++) if (sorted[k][1]) tied++;
    rankSum += averageRank * tied;
    i = j + 1;
  }
  const [p, n] = [positives, negatives];
  return (rankSum - (p * (p + 1)) / 2) / (p * n);
}

/** The ROC curve: [false positive rate, true positive rate] from the strictest threshold down. */
export function rocPoints(samples) {
  const positives = samples.filter(([y]) => y).length;
  const negatives = samples.length - positives;
  const sorted = [...samples].sort((a, b) => b[1] - a[1]);
  const points = [[0, 0]];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j][1] === sorted[i][1]) {
      if (sorted[j][0]) tp++;
      else fp++;
      j++;
    }
    points.push([negatives ? fp / negatives : 0, positives ? tp / positives : 0]);
    i = j;
  }
  return points;
}

/** Ten equal bins of predicted probability: {low, high, count, meanPredicted, observed}. */
export function reliabilityBins(samples, bins = 10) {
  const out = Array.from({ length: bins }, (_, i) => ({
    low: i / bins,
    high: (i + 1) / bins,
    count: 0,
    sum: 0,
    positives: 0,
  }));
  for (const [positive, p] of samples) {
    const bin = out[Math.min(bins - 1, Math.max(0, Math.floor(p * bins)))];
    bin.count++;
    bin.sum += p;
    if (positive) bin.positives++;
  }
  return out.map(({ low, high, count, sum, positives }) => ({
    low,
    high,
    count,
    meanPredicted: count ? sum / count : null,
    observed: count ? positives / count : null,
  }));
}

/**
 * What `pneumoscan eval` counts for `labelled` ([{label, status, result}]): the samples
 * (every result with a probability, refused included), refused and errors.
 */
export function evaluationSamples(labelled) {
  const samples = [];
  let refused = 0;
  let errors = 0;
  let unscored = 0; // refused on the server path: the 422 carries no probability
  let pending = 0;
  for (const { label, status, result } of labelled) {
    if (status === "pending") pending++;
    else if (status === "error") errors++;
    else if (Number.isFinite(result?.probability)) {
      samples.push([label === "PNEUMONIA", result.probability]);
      if (status === "refused") refused++;
    } else unscored++;
  }
  return { samples, refused, errors, unscored, pending };
}

// ---- the view ------------------------------------------------------------------------

const PLOT = 220; // SVG plot size in user units, plus margins for the axes
const MARGIN = { left: 44, bottom: 36, top: 10, right: 10 };
const x = (v) => MARGIN.left + v * PLOT;
const y = (v) => MARGIN.top + (1 - v) * PLOT;

/** Axes, grid and labels of a unit-square plot. */
function axes(tr, xLabel, yLabel) {
  const parts = [svg("rect", { x: x(0), y: y(1), width: PLOT, height: PLOT, class: "ps-plot-frame" })];
  for (const v of [0, 0.5, 1]) {
    const label = formatNumber(tr.lang, v, 1);
    parts.push(
      svg("line", { x1: x(v), y1: y(0), x2: x(v), y2: y(1), class: "ps-plot-grid" }),
      svg("line", { x1: x(0), y1: y(v), x2: x(1), y2: y(v), class: "ps-plot-grid" }),
      svg("text", { x: x(v), y: y(0) + 14, "text-anchor": "middle", class: "ps-plot-tick", text: label }),
      svg("text", { x: x(0) - 6, y: y(v) + 4, "text-anchor": "end", class: "ps-plot-tick", text: label }),
    );
  }
  parts.push(
    svg("text", { x: x(0.5), y: y(0) + 30, "text-anchor": "middle", class: "ps-plot-label", text: xLabel }),
    svg("text", {
      x: 12,
      y: y(0.5),
      "text-anchor": "middle",
      transform: `rotate(-90 12 ${y(0.5)})`,
      class: "ps-plot-label",
      text: yLabel,
    }),
  );
  return parts;
}

const plotBox = () => ({
  viewBox: `0 0 ${MARGIN.left + PLOT + MARGIN.right} ${MARGIN.top + PLOT + MARGIN.bottom}`,
  class: "ps-plot",
  role: "img",
});

function rocPlot(tr, samples, metrics, threshold) {
  const points = rocPoints(samples);
  const operating = [1 - metrics.specificity, metrics.sensitivity];
  const auc = Number.isFinite(metrics.auc) ? formatNumber(tr.lang, metrics.auc, 4) : "—";
  const title = tr.t("evaluation.roc.alt", {
    auc,
    fpr: formatNumber(tr.lang, operating[0], 3),
    tpr: formatNumber(tr.lang, operating[1], 3),
    threshold: tr.percent(threshold),
  });
  return svg(
    "svg",
    { ...plotBox(), "aria-label": title, "data-roc": true },
    svg("title", { text: title }),
    ...axes(tr, tr.t("evaluation.roc.x"), tr.t("evaluation.roc.y")),
    svg("line", { x1: x(0), y1: y(0), x2: x(1), y2: y(1), class: "ps-plot-chance" }),
    svg("polyline", { points: points.map(([a, b]) => `${x(a)},${y(b)}`).join(" "), class: "ps-plot-curve" }),
    svg("circle", { cx: x(operating[0]), cy: y(operating[1]), r: 5, class: "ps-plot-point" }),
    svg("text", {
      x: x(operating[0]) + 8,
      y: y(operating[1]) + (operating[1] > 0.9 ? 16 : -8),
      class: "ps-plot-note",
      text: tr.t("evaluation.roc.point", { threshold: tr.percent(threshold) }),
    }),
  );
}

function reliabilityPlot(tr, bins) {
  const title = tr.t("evaluation.reliability.alt");
  const width = PLOT / bins.length;
  const bars = bins.flatMap((bin) => {
    if (!bin.count) return [];
    return [
      svg("rect", {
        x: x(bin.low) + 1,
        y: y(bin.observed),
        width: width - 2,
        height: Math.max(0, y(0) - y(bin.observed)),
        class: "ps-plot-bar",
      }),
      svg("circle", { cx: x(bin.meanPredicted), cy: y(bin.observed), r: 3.5, class: "ps-plot-point" }),
      svg("text", {
        x: x(bin.low) + width / 2,
        y: y(bin.observed) - 4,
        "text-anchor": "middle",
        class: "ps-plot-count",
        text: formatNumber(tr.lang, bin.count, 0),
      }),
    ];
  });
  return svg(
    "svg",
    { ...plotBox(), "aria-label": title, "data-reliability": true },
    svg("title", { text: title }),
    ...axes(tr, tr.t("evaluation.reliability.x"), tr.t("evaluation.reliability.y")),
    svg("line", { x1: x(0), y1: y(0), x2: x(1), y2: y(1), class: "ps-plot-chance" }),
    ...bars,
  );
}

function reliabilityTable(tr, bins) {
  const num = (v, digits = 3) => (v == null ? "—" : formatNumber(tr.lang, v, digits, { minimumFractionDigits: digits }));
  return h(
    "details",
    { class: "ps-eval-details" },
    h("summary", { text: tr.t("evaluation.reliability.table") }),
    h(
      "table",
      { class: "ps-eval-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["evaluation.bin", "evaluation.count", "evaluation.mean_predicted", "evaluation.observed"].map((key) =>
            h("th", { scope: "col", text: tr.t(key) }),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        ...bins.map((bin) =>
          h(
            "tr",
            {},
            h("th", { scope: "row", text: `${tr.percent(bin.low)}–${tr.percent(bin.high)}` }),
            h("td", { text: formatNumber(tr.lang, bin.count, 0) }),
            h("td", { text: num(bin.meanPredicted) }),
            h("td", { text: num(bin.observed) }),
          ),
        ),
      ),
    ),
  );
}

function confusionTable(tr, m) {
  const cell = (value) => h("td", { text: formatNumber(tr.lang, value, 0) });
  const truly = (label) => h("th", { scope: "row", text: tr.t("evaluation.truly", { label: tr.t(`ui.label.${label}`) }) });
  return h(
    "table",
    { class: "ps-eval-table ps-confusion", "data-confusion": true },
    h("caption", { text: tr.t("evaluation.confusion") }),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("td", {}),
        h("th", { scope: "col", text: tr.t("evaluation.called", { label: tr.t("ui.label.PNEUMONIA") }) }),
        h("th", { scope: "col", text: tr.t("evaluation.called", { label: tr.t("ui.label.NORMAL") }) }),
      ),
    ),
    h(
      "tbody",
      {},
      h("tr", {}, truly("PNEUMONIA"), cell(m.tp), cell(m.fn)),
      h("tr", {}, truly("NORMAL"), cell(m.fp), cell(m.tn)),
    ),
  );
}

function figures(tr, m) {
  const value = (v) => (Number.isFinite(v) ? formatNumber(tr.lang, v, 4, { minimumFractionDigits: 4 }) : "—");
  const rows = [
    ["evaluation.accuracy", m.accuracy],
    ["evaluation.sensitivity", m.sensitivity],
    ["evaluation.specificity", m.specificity],
    ["evaluation.precision", m.precision],
    ["evaluation.f1", m.f1],
    ["evaluation.auc", m.auc],
  ];
  return h(
    "dl",
    { class: "ps-eval-figures" },
    ...rows.flatMap(([key, v]) => [h("dt", { text: tr.t(key) }), h("dd", { text: value(v) })]),
  );
}

/**
 * The evaluation section: hidden until some file has a label. `update(labelled,
 * threshold)` redraws it from [{label, status, result}]; `relabel(tr)` when the language
 * changes.
 */
export function createEvaluation(tr) {
  const headingId = uniqueId("ps-eval");
  const heading = h("h2", { id: headingId, class: "ps-eval-heading" });
  const summary = h("p", { class: "ps-eval-summary" });
  const body = h("div", { class: "ps-eval-body" });
  const element = h(
    "section",
    { class: "ps-evaluation", "data-evaluation": true, "aria-labelledby": headingId, hidden: true },
    heading,
    summary,
    body,
  );
  let last = null;

  const render = () => {
    heading.textContent = tr.t("evaluation.title");
    if (!last) return;
    const { labelled, threshold } = last;
    const { samples, refused, errors, unscored, pending } = evaluationSamples(labelled);
    const m = computeMetrics(samples, threshold);
    const positives = samples.filter(([positive]) => positive).length;
    const data = {
      n: m.n,
      accuracy: m.accuracy,
      sensitivity: m.sensitivity,
      specificity: m.specificity,
      precision: m.precision,
      f1: m.f1,
      auc: m.auc,
      tp: m.tp,
      fp: m.fp,
      tn: m.tn,
      fn: m.fn,
      refused,
      errors,
      threshold,
      complete: pending === 0,
    };
    for (const [key, v] of Object.entries(data)) element.dataset[key] = String(v);

    const parts = [
      tr.plural("evaluation.scored", m.n, {
        n: m.n,
        pneumonia: positives,
        normal: m.n - positives,
      }),
    ];
    if (refused) parts.push(tr.t("evaluation.refused", { count: refused }));
    if (errors) parts.push(tr.t("evaluation.errors", { count: errors }));
    if (unscored) parts.push(tr.t("evaluation.unscored", { count: unscored }));
    if (pending) parts.push(tr.t("evaluation.pending", { count: pending }));
    parts.push(tr.t("evaluation.threshold", { threshold: tr.percent(threshold) }));
    summary.textContent = parts.join(" · ");

    if (!m.n) {
      body.replaceChildren();
      return;
    }
    const bins = reliabilityBins(samples);
    body.replaceChildren(
      h("div", { class: "ps-eval-numbers" }, confusionTable(tr, m), figures(tr, m)),
      h(
        "div",
        { class: "ps-eval-plots" },
        h("figure", {}, rocPlot(tr, samples, m, threshold), h("figcaption", { text: tr.t("evaluation.roc") })),
        h("figure", {}, reliabilityPlot(tr, bins), h("figcaption", { text: tr.t("evaluation.reliability") })),
      ),
      reliabilityTable(tr, bins),
      h("p", { class: "ps-muted ps-eval-note", text: tr.t("evaluation.note") }),
    );
  };

  render();
  return {
    element,
    update(labelled, threshold) {
      element.hidden = labelled.length === 0 || !Number.isFinite(threshold);
      if (element.hidden) {
        last = null;
        delete element.dataset.n;
        return;
      }
      last = { labelled, threshold };
      render();
    },
    relabel(next) {
      tr = next;
      render();
    },
  };
}
