// The reading room end to end (real nginx, Debian's Chromium, real X-rays): the heatmap
// drawn against the threshold, the viewer by keyboard, folders, the worker pool's numbers
// against the CLI's, the evaluation against `pneumoscan eval`, the report, pause and
// cancel on a large batch, and axe-core on the main view, the viewer, the evaluation and
// the report (English with the light theme, French with the dark one).
// Screenshots go to /tmp/rr-*.png (never compared; for people to look at).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import * as h from "./harness.js";
import { evidenceColour, evidenceSpan, logit } from "../www/heatmap.js";
import { computeMetrics, labelFromCsv, labelFromPath, parseLabels, reliabilityBins, rocPoints } from "../www/evaluation.js";
import { CHUNK } from "../www/results-list.js";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const TOLERANCE = 1e-6;
const SHOTS = process.env.PNEUMOSCAN_SCREENSHOTS ?? tmpdir();

let nginx, server, browser, files, reference, evalDir;

const byName = (name) => {
  const file = files.find((f) => basename(f) === name);
  assert.ok(file, `${name} is among the originals`);
  return file;
};

// NORMAL and PNEUMONIA X-rays at several probabilities, low to high, with one PNEUMONIA
// that model 1.0.0 called NORMAL (model 2.0.0: 5.6%, 71%, 98%, 100%, 53%).
const SHOWCASE = [
  ["NORMAL", "IM-0199-0001.jpeg"],
  ["NORMAL", "NORMAL2-IM-0765-0001.jpeg"],
  ["PNEUMONIA", "person89_virus_168.jpeg"],
  ["PNEUMONIA", "person957_virus_1629.jpeg"],
  ["PNEUMONIA", "person1227_virus_2078.jpeg"],
];

/** "98.2%", as the page writes a probability in English (never 0.0% or 100.0% for one near it). */
const percent = (p) => (p > 0 && p < 0.001 ? "<0.1%" : p < 1 && p > 0.999 ? ">99.9%" : `${(p * 100).toFixed(1)}%`);
/** "−0.80" or "+0.76", as the legends write the threshold's logit. */
const signed = (x) => `${x < 0 ? "\u2212" : "+"}${Math.abs(x).toFixed(2)}`;

before(async () => {
  h.requireSetup();
  files = h.originals();
  reference = h.cliResults(files);
  // A labelled folder as `pneumoscan eval` reads it: 5 NORMAL, 5 PNEUMONIA (one of them
  // called NORMAL, one just above the threshold), one level down in a temp dir.
  evalDir = mkdtempSync(join(tmpdir(), "rr-eval-"));
  const picks = {
    NORMAL: files.filter((f) => f.includes("/NORMAL/")).slice(0, 5),
    PNEUMONIA: [
      ...files.filter((f) => f.includes("/PNEUMONIA/")).slice(0, 3),
      byName("person1227_virus_2078.jpeg"),
      byName("person89_virus_168.jpeg"),
    ],
  };
  for (const [label, list] of Object.entries(picks)) {
    mkdirSync(join(evalDir, "set", label), { recursive: true });
    for (const f of list) copyFileSync(f, join(evalDir, "set", label, basename(f)));
  }
  writeFileSync(join(evalDir, "set", ".DS_Store"), "not an image"); // skipped, as by the CLI
  nginx = await h.startNginx();
  server = await h.startServer();
  browser = await h.launch();
});

after(async () => {
  await h.closeAll(browser, server, nginx);
});

async function openApp(viewport = { width: 1280, height: 900 }, options = {}) {
  const { context, log } = await h.watchedContext(browser, options);
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  await page.goto(`${nginx.origin}/`);
  await h.waitReady(page);
  return { context, page, log };
}

/** axe-core's serious and critical violations on the page as it is now. */
async function axeViolations(page) {
  // Evaluated through the DevTools protocol, which the page's CSP does not restrict.
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const { violations } = await globalThis.axe.run(document, { resultTypes: ["violations"] });
    return violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")) }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** The native server's CAM for a file (POST /predict: the same pipeline as the CLI). */
async function nativeHeatmap(path) {
  const form = new FormData();
  form.append("file", new Blob([readFileSync(path)]), basename(path));
  const response = await fetch(`${server.origin}/predict`, { method: "POST", body: form });
  assert.equal(response.status, 200);
  return response.json();
}

test("evaluation.js: src/metrics.rs's unit cases, labels from paths and from a CSV", () => {
  // metrics.rs::confusion_matrix_and_ratios
  const m = computeMetrics([[true, 0.9], [true, 0.4], [false, 0.6], [false, 0.1], [true, 0.7]], 0.5);
  assert.deepEqual([m.tp, m.fp, m.tn, m.fn], [2, 1, 1, 1]);
  assert.ok(Math.abs(m.accuracy - 0.6) < 1e-12 && Math.abs(m.specificity - 0.5) < 1e-12);
  assert.ok(Math.abs(m.sensitivity - 2 / 3) < 1e-12 && Math.abs(m.precision - 2 / 3) < 1e-12);
  // metrics.rs::auc_counts_pairs_and_halves_ties, auc_is_undefined_for_one_class
  const tied = [[true, 0.9], [true, 0.4], [true, 0.6], [false, 0.6], [false, 0.1]];
  assert.ok(Math.abs(computeMetrics(tied, 0.5).auc - 4.5 / 6) < 1e-12);
  assert.ok(Number.isNaN(computeMetrics([[true, 0.9]], 0.5).auc));
  // The ROC curve runs from (0, 0) to (1, 1), ties in one step; bins hold every sample.
  const roc = rocPoints(tied);
  assert.deepEqual(roc[0], [0, 0]);
  assert.deepEqual(roc.at(-1), [1, 1]);
  assert.equal(roc.length, 5);
  assert.equal(reliabilityBins(tied).reduce((n, b) => n + b.count, 0), tied.length);
  assert.equal(reliabilityBins([[true, 1]])[9].count, 1, "a probability of 1 is in the last bin");

  assert.equal(labelFromPath("data/PNEUMONIA/NORMAL/a.jpeg"), "NORMAL", "the deepest folder wins");
  assert.equal(labelFromPath("chest/pneumonia/x.png"), "PNEUMONIA");
  assert.equal(labelFromPath("NORMAL.jpeg"), null, "a file name is not a folder");
  const { labels, skipped } = parseLabels('file,label\r\na.jpeg,PNEUMONIA\n"b, c.png",0\nd.png,maybe\n');
  assert.equal(skipped, 1);
  assert.equal(labelFromCsv(labels, "set/x/a.jpeg"), "PNEUMONIA", "a row matches a trailing part of the path");
  assert.equal(labelFromCsv(labels, "b, c.png"), "NORMAL");
  assert.equal(labelFromCsv(labels, "d.png"), null);
});

test("the heatmap is each cell's distance from the threshold's logit: orange above, blue below", async () => {
  const { context, page, log } = await openApp();
  const paths = SHOWCASE.map(([, name]) => byName(name));
  await page.locator("input[type=file]").first().setInputFiles(paths);
  await h.settledResults(page, paths.length);

  const legend = await page.locator(".ps-controls [data-heatmap-legend]").innerText();
  const thresholdLogit = logit(reference[basename(paths[0])].threshold);
  assert.match(legend, /towards NORMAL/);
  assert.match(legend, /towards PNEUMONIA/);
  assert.ok(legend.includes(signed(thresholdLogit)), `the legend names the threshold's logit: ${legend}`);

  for (const [truth, name] of SHOWCASE) {
    const card = page.locator(`[data-result][data-filename="${name}"]`);
    const pixels = await card.locator("canvas.ps-heat").evaluate((canvas) => [
      ...canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data,
    ]);
    const native = await nativeHeatmap(byName(name));
    assert.equal(pixels.length, native.heatmap.logits.length * 4);
    const distances = native.heatmap.logits.map((cell) => cell - logit(native.threshold));
    const span = evidenceSpan(distances);
    const drawn = Number(await card.locator("canvas.ps-heat").getAttribute("data-span"));
    assert.ok(Math.abs(drawn - span) < 1e-3, `${name}: span ${drawn} vs ${span}`);
    distances.forEach((d, i) => {
      const [r, , b, a] = pixels.slice(i * 4, i * 4 + 4);
      const [er, , eb, ea] = evidenceColour(d, span);
      assert.ok(Math.abs(a - ea) <= 3, `${name} cell ${i}: alpha ${a}, expected ${ea}`);
      if (ea > 40) assert.equal(r > b, er > eb, `${name} cell ${i}: the wrong side of the scale`);
    });
    await card.scrollIntoViewIfNeeded();
    const shot = `${truth}-${name.replace(/\.jpeg$/, "")}-called-${native.prediction}-${(native.probability * 100).toFixed(1)}`;
    await card.screenshot({ path: join(SHOTS, `rr-heatmap-${shot}.png`) });
  }
  await page.screenshot({ path: join(SHOTS, "rr-main.png"), fullPage: true });
  assert.deepEqual(await axeViolations(page), [], "main view");
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("the viewer: Enter opens it, keys zoom, pan and page, Tab stays inside, Esc closes and focus returns", async () => {
  const { context, page, log } = await openApp();
  const paths = SHOWCASE.slice(0, 3).map(([, name]) => byName(name));
  await page.locator("input[type=file]").first().setInputFiles(paths);
  await h.settledResults(page, paths.length);

  const opener = page.locator("[data-open-viewer]").nth(1);
  await opener.focus();
  await page.keyboard.press("Enter");
  const viewer = page.locator("dialog[data-viewer]");
  await viewer.waitFor({ state: "visible" });
  const stage = viewer.locator(".ps-viewer-stage");
  await page.waitForFunction(() => document.querySelector(".ps-viewer-stage")?.dataset.image === "shown");
  assert.equal(await viewer.locator("h2").innerText(), basename(paths[1]));
  assert.equal(await viewer.getAttribute("aria-labelledby"), await viewer.locator("h2").getAttribute("id"));

  const state = () =>
    stage.evaluate((el) => ({ zoom: Number(el.dataset.zoom), x: Number(el.dataset.panX), y: Number(el.dataset.panY) }));
  const fitted = await state();
  await page.keyboard.press("+");
  await page.keyboard.press("+");
  const zoomed = await state();
  assert.ok(zoomed.zoom > fitted.zoom * 1.5, `+ zooms in: ${fitted.zoom} → ${zoomed.zoom}`);
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("ArrowUp");
  const panned = await state();
  assert.ok(panned.x > zoomed.x && panned.y > zoomed.y, "arrows pan");
  await page.keyboard.press("-");
  assert.ok((await state()).zoom < panned.zoom, "- zooms out");
  await page.keyboard.press("0");
  assert.deepEqual(await state(), fitted, "0 fits again");
  // The wheel zooms too, and the buttons are labelled.
  await stage.hover();
  await page.mouse.wheel(0, -300);
  assert.ok((await state()).zoom > fitted.zoom, "the wheel zooms in");
  for (const label of ["Zoom in", "Zoom out"]) assert.equal(await viewer.getByRole("button", { name: label }).count(), 1);

  // The heatmap overlay toggles with H and its checkbox.
  const heat = viewer.locator(".ps-viewer-heat");
  assert.equal(await heat.isVisible(), true);
  await page.keyboard.press("h");
  assert.equal(await heat.isVisible(), false);
  await viewer.getByLabel("Heatmap", { exact: true }).check();
  assert.equal(await heat.isVisible(), true);
  const side = reference[basename(paths[1])].prediction === "PNEUMONIA" ? "above" : "below";
  assert.match(await viewer.locator(".ps-viewer-summary").innerText(), new RegExp(`logit units ${side} the threshold's logit`));
  const span = Number(await viewer.locator("[data-heatmap-legend]").getAttribute("data-span"));
  assert.ok(span >= 1, "the viewer's legend gives this map's span");

  await page.screenshot({ path: join(SHOTS, "rr-viewer.png") });
  assert.deepEqual(await axeViolations(page), [], "viewer");

  // Page Down and Page Up go to the next and previous files.
  await page.keyboard.press("PageDown");
  assert.equal(await viewer.locator("h2").innerText(), basename(paths[2]));
  await page.keyboard.press("PageUp");
  await page.keyboard.press("PageUp");
  assert.equal(await viewer.locator("h2").innerText(), basename(paths[0]));
  await page.keyboard.press("PageDown");

  // Tab and Shift+Tab never leave the dialog.
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press(i % 5 === 4 ? "Shift+Tab" : "Tab");
    assert.ok(await page.evaluate(() => Boolean(document.activeElement?.closest("dialog[data-viewer]"))), `Tab ${i}`);
  }

  await page.keyboard.press("Escape");
  await viewer.waitFor({ state: "hidden" });
  assert.equal(
    await page.evaluate(() => document.activeElement?.closest("[data-result]")?.dataset.filename),
    basename(paths[1]),
    "focus is back on the card that opened it",
  );

  // A click on a card's body opens it too.
  await page.locator("[data-result] .ps-verdict").first().click();
  await viewer.waitFor({ state: "visible" });
  assert.equal(await viewer.locator("h2").innerText(), basename(paths[0]));
  await viewer.getByRole("button", { name: "Close" }).click();
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("the viewer shows what only the core decodes: a TIFF, and a 12-bit JPEG 2000 DICOM with window and level over all its bits", async () => {
  const { context, page, log } = await openApp();
  // A TIFF of a real X-ray (Chromium cannot show TIFF), and tests/codecs.rs's 12-bit
  // JPEG 2000 DICOM made by GDCM (the second module's decoder).
  const tiff = join(mkdtempSync(join(tmpdir(), "rr-tiff-")), "xray.tiff");
  const dicom = join(process.env.PNEUMOSCAN_FIXTURES ?? "", "j2k12.dcm");
  assert.ok(existsSync(dicom), `PNEUMOSCAN_FIXTURES must hold ${dicom} (see tests/run.sh)`);
  await page.locator("input[type=file]").first().setInputFiles(byName("IM-0206-0001.jpeg"));
  await h.settledResults(page, 1);
  const bytes = await page.evaluate(async () => {
    // Re-encode the preview as an uncompressed grey TIFF (baseline, one strip).
    const img = document.querySelector("[data-result] img");
    await img.decode();
    const w = 256;
    const hgt = Math.round((img.naturalHeight / img.naturalWidth) * w);
    const canvas = Object.assign(document.createElement("canvas"), { width: w, height: hgt });
    const c = canvas.getContext("2d");
    c.drawImage(img, 0, 0, w, hgt);
    const rgba = c.getImageData(0, 0, w, hgt).data;
    const grey = new Uint8Array(w * hgt).map((_, i) => rgba[i * 4]);
    const entries = [
      [256, 3, w], [257, 3, hgt], [258, 3, 8], [259, 3, 1], [262, 3, 1], [273, 4, 8 + 2 + 10 * 12 + 4],
      [277, 3, 1], [278, 3, hgt], [279, 4, grey.length], [284, 3, 1],
    ];
    const head = new DataView(new ArrayBuffer(8 + 2 + entries.length * 12 + 4));
    head.setUint8(0, 0x49); head.setUint8(1, 0x49); head.setUint16(2, 42, true); head.setUint32(4, 8, true);
    head.setUint16(8, entries.length, true);
    entries.forEach(([tag, type, value], i) => {
      const at = 10 + i * 12;
      head.setUint16(at, tag, true); head.setUint16(at + 2, type, true); head.setUint32(at + 4, 1, true);
      if (type === 3) head.setUint16(at + 8, value, true); else head.setUint32(at + 8, value, true);
    });
    return [...new Uint8Array(head.buffer), ...grey];
  });
  writeFileSync(tiff, Buffer.from(bytes));
  await page.locator("input[type=file]").first().setInputFiles([tiff, dicom]);
  const results = await h.settledResults(page, 3);
  for (const result of results.slice(1)) assert.equal(result.status, "ok", result.text);
  // Their cards' thumbnails are the core's decoding too (the browser's failed).
  await page.waitForFunction(() =>
    [...document.querySelectorAll("[data-result]")].slice(1).every((card) => card.querySelector("img")?.naturalWidth > 0),
  );
  assert.equal(await page.locator(".ps-nopreview").count(), 0, "no card says it has no preview");

  const viewer = page.locator("dialog[data-viewer]");
  const stage = viewer.locator(".ps-viewer-stage");
  const shown = () => page.waitForFunction(() => document.querySelector(".ps-viewer-stage")?.dataset.image === "shown");
  await page.locator("[data-open-viewer]").nth(1).click();
  await shown();
  assert.equal(await stage.getAttribute("data-decoder"), "core");
  assert.equal(await stage.getAttribute("data-bits"), "8");
  assert.equal(await viewer.locator(".ps-viewer-message").isVisible(), false);
  const canvasSize = () => viewer.locator(".ps-viewer-image").evaluate((c) => [c.width, c.height]);
  const [tw] = await canvasSize();
  assert.equal(tw, 256, "the TIFF at its full size");

  // The DICOM: 16-bit samples from the core, its own window as the start (the full range).
  await page.keyboard.press("PageDown");
  await page.waitForFunction(() => document.querySelector(".ps-viewer-stage")?.dataset.bits === "16");
  await shown();
  assert.equal(await viewer.locator("h2").innerText(), "j2k12.dcm");
  const windowSlider = viewer.getByLabel("Window", { exact: true });
  const levelSlider = viewer.getByLabel("Level", { exact: true });
  assert.equal(await windowSlider.getAttribute("max"), "65535");
  assert.equal(await windowSlider.inputValue(), "65535");
  // The distinct grey levels in a narrow window: a 16-bit source fills it with many,
  // where 8-bit display values would give about 3 (255 × 771 / 65535).
  const levels = () =>
    viewer.locator(".ps-viewer-image").evaluate((c) => {
      const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      for (let i = 0; i < data.length; i += 4) seen.add(data[i]);
      return seen.size;
    });
  const full = await levels();
  const median = await viewer.locator(".ps-viewer-image").evaluate((c) => {
    const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    const values = [];
    for (let i = 0; i < data.length; i += 4) values.push(data[i]);
    values.sort((a, b) => a - b);
    return values[values.length >> 1];
  });
  await windowSlider.fill("771");
  await levelSlider.fill(String(median * 257));
  await page.waitForTimeout(100); // one animation frame redraws
  const narrow = await levels();
  assert.ok(full > 100, `the full window shows ${full} grey levels`);
  assert.ok(narrow > 30, `a window of 771 of 65535 still shows ${narrow} grey levels (16-bit samples)`);
  await page.screenshot({ path: join(SHOTS, "rr-viewer-dicom.png") });
  assert.deepEqual(await axeViolations(page), [], "viewer with a DICOM");
  await viewer.getByRole("button", { name: "Reset window" }).click();
  assert.equal(await windowSlider.inputValue(), "65535");
  await page.keyboard.press("Escape");
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("a file no decoder reads opens in the viewer with the core's reason", async () => {
  const { context, page, log } = await openApp();
  const text = join(mkdtempSync(join(tmpdir(), "rr-text-")), "notes.png");
  writeFileSync(text, "these are notes, not an image");
  await page.locator("input[type=file]").first().setInputFiles(text);
  const [result] = await h.settledResults(page, 1);
  assert.equal(result.status, "error");
  await page.locator("[data-result] .ps-verdict").first().click();
  const message = page.locator("dialog[data-viewer] .ps-viewer-message");
  await message.waitFor({ state: "visible" });
  assert.match(await message.innerText(), /^This file's image cannot be shown: .+\.$/);
  await page.keyboard.press("Escape");
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("a picked folder: paths shown, the pool's numbers are the CLI's, the evaluation is `pneumoscan eval`'s", async () => {
  const { context, page, log } = await openApp();
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  assert.equal(await page.locator("[data-model-state]").getAttribute("data-workers"), String(Math.min(cores, 4)));

  await page.locator("input[type=file][webkitdirectory]").setInputFiles(join(evalDir, "set"));
  const results = await h.settledResults(page, 10);
  // Sorted by path within the folder, hidden files skipped; each name carries its folders.
  const expected = setPaths();
  assert.deepEqual(results.map((r) => r.filename), expected);
  for (const r of results) {
    const cli = reference[basename(r.filename)];
    assert.equal(r.status, cli.status);
    assert.equal(r.prediction, cli.prediction);
    const diff = Math.abs(Number(r.probability) - cli.probability);
    assert.ok(diff <= TOLERANCE, `${r.filename}: ${r.probability} vs ${cli.probability}`);
  }
  assert.match(await page.locator("[data-result]").first().innerText(), /set\/NORMAL\//);

  const evaluation = await assertEvaluationIsCli(page);
  assert.equal(await evaluation.locator("svg[data-roc] circle").count(), 1, "the operating point");
  assert.equal(await evaluation.locator("[data-reliability]").count(), 1);
  await evaluation.screenshot({ path: join(SHOTS, "rr-evaluation.png") });
  assert.deepEqual(await axeViolations(page), [], "evaluation view");

  // The CSV keeps the input order whatever order the workers finished in.
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export CSV" }).click();
  const csv = readFileSync(await (await download).path(), "utf8").trim().split(/\r\n/).slice(1);
  assert.deepEqual(csv.map((line) => line.split(",")[0]), expected);
  assert.deepEqual(log.errors, []);
  await context.close();
});

/**
 * Waits for the page's evaluation of the picked set, asserts it equals `pneumoscan eval`'s
 * on the same folder, and returns its element.
 */
async function assertEvaluationIsCli(page) {
  const evaluation = page.locator("[data-evaluation]");
  await page.waitForFunction(() => document.querySelector("[data-evaluation]")?.dataset.complete === "true");
  const browserEval = await evaluation.evaluate((el) => ({ ...el.dataset }));
  const cliEval = JSON.parse(execFileSync(h.BIN, ["eval", "--json", join(evalDir, "set")], { encoding: "utf8" }));
  for (const key of ["n", "tp", "fp", "tn", "fn", "refused", "errors"]) {
    assert.equal(Number(browserEval[key]), cliEval[key], key);
  }
  for (const key of ["accuracy", "sensitivity", "specificity", "precision", "f1", "auc"]) {
    assert.ok(Math.abs(Number(browserEval[key]) - cliEval[key]) <= TOLERANCE, `${key}: ${browserEval[key]} vs ${cliEval[key]}`);
  }
  return evaluation;
}

/** The set's files as `pneumoscan eval` orders them, named as a picked folder names them. */
const setPaths = () =>
  ["NORMAL", "PNEUMONIA"].flatMap((label) => readdirSorted(join(evalDir, "set", label)).map((name) => `set/${label}/${name}`));

/**
 * Playwright cannot drive the browser's folder dialog; the handle it would give is a real
 * one: `rels` of the set (paths inside it, hidden files too) copied into the page's
 * origin-private file system as a folder "set", which `showDirectoryPicker` then returns.
 * `removeAfterListing` ("NORMAL/x.jpeg"): that file deleted once the app has listed its
 * folder, before it reads the file (as when a file goes away while a folder is read).
 */
async function pickableSet(page, rels, removeAfterListing = null) {
  const payload = rels.map((rel) => [rel, readFileSync(join(evalDir, "set", rel)).toString("base64")]);
  await page.evaluate(
    async ({ entries, removeAfterListing }) => {
      const opfs = await navigator.storage.getDirectory();
      const root = await opfs.getDirectoryHandle("set", { create: true });
      for (const [rel, base64] of entries) {
        const parts = rel.split("/");
        let dir = root;
        for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part, { create: true });
        const writable = await (await dir.getFileHandle(parts.at(-1), { create: true })).createWritable();
        await writable.write(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
        await writable.close();
      }
      if (removeAfterListing) {
        const [folder, name] = removeAfterListing.split("/");
        const values = root.values.bind(root);
        root.values = async function* () {
          for await (const handle of values()) {
            if (handle.name === folder) {
              const inner = handle.values.bind(handle);
              handle.values = async function* () {
                yield* inner();
                await handle.removeEntry(name);
              };
            }
            yield handle;
          }
        };
      }
      window.showDirectoryPicker = async () => root;
    },
    { entries: payload, removeAfterListing },
  );
}

test("a folder picked through showDirectoryPicker is walked as a handle: the same paths, numbers and evaluation, no FileList", async () => {
  const { context, page, log } = await openApp();
  await pickableSet(page, [".DS_Store", ...setPaths().map((p) => p.slice("set/".length))]);
  const choosers = [];
  page.on("filechooser", (chooser) => choosers.push(chooser));
  // Keyboard, as a user without a mouse: Tab to the folder input, Space.
  await page.locator("input[type=file][webkitdirectory]").focus();
  await page.keyboard.press("Space");
  const results = await h.settledResults(page, 10);
  assert.equal(choosers.length, 0, "the input's own dialog stayed closed");
  assert.deepEqual(results.map((r) => r.filename), setPaths());
  for (const r of results) {
    const cli = reference[basename(r.filename)];
    assert.equal(r.prediction, cli.prediction, r.filename);
    assert.ok(Math.abs(Number(r.probability) - cli.probability) <= TOLERANCE, `${r.filename}: ${r.probability} vs ${cli.probability}`);
  }
  await assertEvaluationIsCli(page);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("a file that goes away while a picked folder is read gets its own error card; the rest of the folder is classified", async () => {
  const { context, page, log } = await openApp();
  const rels = setPaths().map((p) => p.slice("set/".length));
  // A copy of the set's first image beside it, deleted after the listing.
  const [folder, name] = rels[0].split("/");
  await pickableSet(page, rels, `${folder}/gone.jpeg`);
  await page.evaluate(
    async ({ folder, name }) => {
      const dir = await (await (await navigator.storage.getDirectory()).getDirectoryHandle("set")).getDirectoryHandle(folder);
      const source = await (await dir.getFileHandle(name)).getFile();
      const writable = await (await dir.getFileHandle("gone.jpeg", { create: true })).createWritable();
      await writable.write(source);
      await writable.close();
    },
    { folder, name },
  );
  await page.locator("input[type=file][webkitdirectory]").focus();
  await page.keyboard.press("Space");
  const results = await h.settledResults(page, rels.length + 1);
  const gonePath = `set/${folder}/gone.jpeg`;
  assert.deepEqual(results.map((r) => r.filename), [...setPaths(), gonePath].sort());
  const gone = results.find((r) => r.filename === gonePath);
  assert.equal(gone.status, "error");
  assert.equal(gone.code, "file_unreadable");
  assert.ok(gone.text.includes(`cannot read ${gonePath}: NotFoundError`), gone.text);
  for (const r of results.filter((r) => r !== gone)) {
    const cli = reference[basename(r.filename)];
    assert.equal(r.status, "ok", r.filename);
    assert.ok(Math.abs(Number(r.probability) - cli.probability) <= TOLERANCE, `${r.filename}: ${r.probability} vs ${cli.probability}`);
  }
  const evaluation = page.locator("[data-evaluation]");
  await page.waitForFunction(() => document.querySelector("[data-evaluation]")?.dataset.complete === "true");
  assert.equal(await evaluation.getAttribute("data-errors"), "1", "left out of the evaluation, and counted");
  await page.locator("[data-result][data-status=error]").screenshot({ path: join(SHOTS, "rr-unreadable-card.png") });
  assert.deepEqual(log.errors, []);
  await context.close();
});

/** A folder's visible file names in `pneumoscan eval`'s order (byte order; ASCII here). */
function readdirSorted(dir) {
  return readdirSync(dir).filter((name) => !name.startsWith(".")).sort();
}

test("flat files with a dropped labels CSV give the same evaluation", async () => {
  const { context, page, log } = await openApp();
  const paths = ["NORMAL", "PNEUMONIA"].flatMap((label) =>
    readdirSorted(join(evalDir, "set", label)).map((name) => ({ path: join(evalDir, "set", label, name), label })),
  );
  const csv = `file,label\n${paths.map(({ path, label }) => `${basename(path)},${label}`).join("\n")}\n`;
  await h.dropFiles(page, [
    { name: "labels.csv", bytes: Buffer.from(csv), type: "text/csv" },
    ...paths.map(({ path }) => ({ path })),
  ]);
  await h.settledResults(page, paths.length);
  assert.equal(await page.locator("[data-result]").count(), paths.length, "the CSV is not classified");
  await page.waitForFunction(() => document.querySelector("[data-evaluation]")?.dataset.n === "10");
  await page.waitForFunction(() => document.querySelector("[data-evaluation]")?.dataset.complete === "true");
  const browserEval = await page.locator("[data-evaluation]").evaluate((el) => ({ ...el.dataset }));
  const cliEval = JSON.parse(execFileSync(h.BIN, ["eval", "--json", join(evalDir, "set")], { encoding: "utf8" }));
  for (const key of ["accuracy", "sensitivity", "specificity", "auc"]) {
    assert.ok(Math.abs(Number(browserEval[key]) - cliEval[key]) <= TOLERANCE, key);
  }
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("the API's pool: three workers, the CLI's numbers in input order; the element's workers attribute", async () => {
  const { context, page, log } = await openApp();
  const paths = files.filter((_, i) => i % 4 === 1).slice(0, 12);
  const payload = paths.map((p) => readFileSync(p).toString("base64"));
  const out = await page.evaluate(
    async ({ origin, payload }) => {
      const { loadClassifier } = await import(`${origin}/embed.js`);
      const classifier = await loadClassifier({ workers: 3 });
      const bytes = payload.map((b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
      const results = await Promise.all(bytes.map((b, i) => classifier.classify(b, `file-${i}`)));
      const started = classifier.started;
      classifier.terminate();
      return { workers: classifier.workers, started, results: results.map((r) => [r.filename, r.probability]) };
    },
    { origin: nginx.origin, payload },
  );
  assert.equal(out.workers, 3);
  assert.ok(out.started >= 1 && out.started <= 3);
  out.results.forEach(([filename, probability], i) => {
    assert.equal(filename, `file-${i}`);
    const cli = reference[basename(paths[i])];
    const diff = Math.abs(probability - cli.probability);
    assert.ok(diff <= TOLERANCE, `${basename(paths[i])}: ${probability} vs ${cli.probability}`);
  });

  await page.evaluate((origin) => {
    const element = document.createElement("pneumonia-classifier");
    element.setAttribute("workers", "2");
    document.body.append(element);
    return import(`${origin}/embed.js`);
  }, nginx.origin);
  await page.waitForFunction(() => {
    const app = document.querySelector("pneumonia-classifier")?.shadowRoot?.querySelector("[data-model-state]");
    return app?.dataset.modelState === "ready" && app.dataset.workers === "2";
  });
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("the report: image, heatmap, numbers, model, date, notice; no file name unless ticked", async () => {
  const { context, page, log } = await openApp();
  const name = "person957_virus_1629.jpeg";
  await page.locator("input[type=file]").first().setInputFiles(byName(name));
  await h.settledResults(page, 1);
  await page.locator("[data-open-viewer]").first().click();
  await page.locator("dialog[data-viewer] .ps-viewer-report").click();
  const report = page.locator("dialog[data-report]");
  await report.locator("canvas").waitFor();
  const alt = await report.locator("canvas").getAttribute("aria-label");
  assert.match(alt, /Not for clinical use/);
  const cli = reference[name];
  assert.ok(alt.includes(`Pneumonia probability: ${percent(cli.probability)}`), alt);
  assert.ok(alt.includes(`Decision threshold: ${percent(cli.threshold)}`), alt);
  assert.match(alt, /Model: pneumoscan-pneumonia \d+\.\d+\.\d+/);
  assert.match(alt, /Report date: /);
  assert.ok(!alt.includes("person957"), "no file name by default");
  await report.screenshot({ path: join(SHOTS, "rr-report.png") });
  assert.deepEqual(await axeViolations(page), [], "report");

  let download = page.waitForEvent("download");
  await report.getByRole("button", { name: "Download PNG" }).click();
  let file = await download;
  assert.match(file.suggestedFilename(), /^pneumoscan-report-\d{4}-\d{2}-\d{2}\.png$/);
  await file.saveAs(join(SHOTS, "rr-report-download.png"));
  assert.deepEqual([...readFileSync(join(SHOTS, "rr-report-download.png")).subarray(1, 4)], [0x50, 0x4e, 0x47]);

  await report.getByLabel(/Include the file name/).check();
  assert.match(await report.locator("canvas").getAttribute("aria-label"), /File: person957_virus_1629\.jpeg/);
  download = page.waitForEvent("download");
  await report.getByRole("button", { name: "Download PNG" }).click();
  file = await download;
  assert.match(file.suggestedFilename(), /^pneumoscan-report-person957_virus_1629-/);

  // Printed, the report is alone on the page.
  await page.emulateMedia({ media: "print" });
  await page.screenshot({ path: join(SHOTS, "rr-report-print.png"), fullPage: true });
  assert.equal(await page.locator(".page-header").isVisible(), false);
  assert.equal(await page.locator(".ps-results").isVisible(), false);
  assert.equal(await report.locator("canvas").isVisible(), true);
  await page.emulateMedia({ media: "screen" });
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("in French with the dark theme: the main view, the evaluation, the viewer and the report have no serious axe violation", async () => {
  // The other tests run axe in English with the light theme; colour contrast and
  // longer labels are what the dark theme and another language change.
  const { context, page, log } = await openApp(undefined, { locale: "fr-FR", colorScheme: "dark" });
  assert.equal(await page.evaluate(() => matchMedia("(prefers-color-scheme: dark)").matches), true);
  await page.locator("input[type=file][webkitdirectory]").setInputFiles(join(evalDir, "set"));
  await h.settledResults(page, 10);
  await page.waitForFunction(() => document.querySelector("[data-evaluation]")?.dataset.complete === "true");
  assert.match(await page.locator("[data-evaluation] h2").innerText(), /^Évaluation/);
  assert.deepEqual(await axeViolations(page), [], "main view and evaluation, fr-FR dark");
  await page.screenshot({ path: join(SHOTS, "rr-fr-dark-main.png"), fullPage: true });

  await page.locator("[data-open-viewer]").nth(6).click();
  await page.waitForFunction(() => document.querySelector(".ps-viewer-stage")?.dataset.image === "shown");
  assert.deepEqual(await axeViolations(page), [], "viewer, fr-FR dark");
  await page.screenshot({ path: join(SHOTS, "rr-fr-dark-viewer.png") });

  await page.locator("dialog[data-viewer] .ps-viewer-report").click();
  await page.locator("dialog[data-report] canvas").waitFor();
  assert.match(await page.locator("dialog[data-report] canvas").getAttribute("aria-label"), /Pas pour un usage clinique/);
  assert.deepEqual(await axeViolations(page), [], "report, fr-FR dark");
  await page.screenshot({ path: join(SHOTS, "rr-fr-dark-report.png") });
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("two thousand files: the page stays responsive, cards render lazily in chunks; pause holds the queue, cancel drops it", async () => {
  const { context, page, log } = await openApp();
  const small = byName("IM-0199-0001.jpeg");
  const b64 = readFileSync(small).toString("base64");
  const timing = await page.evaluate(async (data) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    for (let i = 0; i < 2000; i++) {
      transfer.items.add(new File([bytes], `xray-${String(i).padStart(4, "0")}.jpeg`, { type: "image/jpeg" }));
    }
    // The longest gap between animation frames while the files are added and start.
    let longest = 0;
    let last = performance.now();
    let watching = true;
    const tick = (now) => {
      longest = Math.max(longest, now - last);
      last = now;
      if (watching) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    const zone = document.querySelector("[data-dropzone]");
    const start = performance.now();
    zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    await new Promise((resolve) => {
      const poll = () => (document.querySelectorAll("[data-result]").length === 2000 ? resolve() : setTimeout(poll, 20));
      poll();
    });
    document.querySelector("[data-batch-pause]").click();
    const added = performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    watching = false;
    return { added, longest };
  }, b64);
  console.log(`2000 files: added in ${Math.round(timing.added)} ms, longest frame gap ${Math.round(timing.longest)} ms`);
  assert.ok(timing.added < 5000, `added in ${timing.added} ms`);
  assert.ok(timing.longest < 1000, `the page froze for ${timing.longest} ms`);
  // Cards in chunks of CHUNK; the browser renders only the chunks near the screen.
  const lazy = await page.evaluate(() => {
    const cards = document.querySelectorAll("[data-result]");
    const rendered = (el) => el.checkVisibility({ contentVisibilityAuto: true });
    return {
      chunks: [...document.querySelectorAll(".ps-results-chunk")].map((chunk) => chunk.childElementCount),
      first: rendered(cards[0]),
      last: rendered(cards[cards.length - 1]),
    };
  });
  assert.deepEqual(lazy.chunks, [...Array(Math.ceil(2000 / CHUNK)).keys()].map((i) => Math.min(CHUNK, 2000 - i * CHUNK)));
  assert.equal(lazy.first, true, "the first card is rendered");
  assert.equal(lazy.last, false, "the last card, far below, is skipped");

  const batch = page.locator("[data-batch]");
  assert.equal(await batch.getAttribute("data-paused"), "true");
  const held = Number(await batch.getAttribute("data-done"));
  await page.waitForTimeout(800);
  assert.equal(Number(await batch.getAttribute("data-done")), held, "paused: nothing more is classified");
  assert.match(await batch.innerText(), /of 2,?000 files classified · paused/);

  await page.locator("[data-batch-pause]").click(); // resume
  await page.waitForFunction((n) => Number(document.querySelector("[data-batch]").dataset.done) > n + 2, held);
  assert.match(await batch.innerText(), /left|estimating/);
  await page.screenshot({ path: join(SHOTS, "rr-batch.png") });
  await page.locator("[data-batch-cancel]").click();
  await page.waitForFunction(() =>
    [...document.querySelectorAll("[data-result]")].every((el) => el.dataset.status !== "pending"),
  );
  const left = await page.locator("[data-result]").count();
  assert.ok(left > held && left < 2000, `${left} cards kept`);
  assert.equal(await batch.isVisible(), false);
  assert.match(await page.locator(".ps-live").innerText(), new RegExp(`Classified ${left} of ${left} files`));
  assert.deepEqual(log.errors, []);
  await context.close();
});
