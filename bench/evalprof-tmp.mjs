import { startStatic, launch } from "./lib.mjs";
import { readdirSync } from "node:fs";
const dist = readdirSync("../dist");
const f = (p) => dist.find((n) => n.startsWith(p + ".") && n.endsWith(".js"));
const server = await startStatic();
const browser = await launch();
const page = await browser.newPage();
await page.goto(`${server.origin}/dist/index.html`);
await page.waitForFunction(() => document.querySelector("[data-model-state]")?.dataset.modelState === "ready", null, { timeout: 120000 });
const out = await page.evaluate(async ({ ev, i18n }) => {
  const E = await import(`/dist/${ev}`);
  const I = await import(`/dist/${i18n}`);
  const tr = I.translator("en");
  const labelled = Array.from({ length: 2000 }, (_, i) => ({ label: i % 3 ? "PNEUMONIA" : "NORMAL", status: "ok", result: { probability: Math.random() } }));
  const evaluation = E.createEvaluation(tr);
  document.querySelector("[data-model-state]").prepend(evaluation.element);
  const times = [];
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    evaluation.update(labelled, 0.5);
    const t1 = performance.now();
    document.body.offsetHeight; // layout
    times.push([t1 - t0, performance.now() - t1]);
  }
  const samples = labelled.map((l) => [l.label === "PNEUMONIA", l.result.probability]);
  let t0 = performance.now(); E.computeMetrics(samples, 0.5); const cm = performance.now() - t0;
  t0 = performance.now(); E.rocPoints(samples); const roc = performance.now() - t0;
  return { times, cm, roc };
}, { ev: f("evaluation"), i18n: f("i18n") });
console.log(JSON.stringify(out));
await browser.close(); await server.close();
