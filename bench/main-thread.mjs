// Where the page's main thread goes while the app classifies a folder: a Chromium trace
// ("devtools.timeline") of one pick through the folder input, each event's self time on
// the renderer's main thread (its duration less the events nested in it), summed by name.
//
//   node bench/main-thread.mjs [FOLDER] [FILES]     # default: the 47 originals
//   STYLE='css' node bench/main-thread.mjs ...      # with a style sheet added to the page
//
// Durations are wall-clock: on a busy machine an event's time includes time it waited
// for a core. Figures: bench/RESULTS.md, session 13's reading of (g).
import { startStatic, launch, ORIGINALS } from "./lib.mjs";

const DIR = process.argv[2] ?? ORIGINALS;
const FILES = Number(process.argv[3] ?? 47);
const server = await startStatic();
const browser = await launch();
const context = await browser.newContext({ serviceWorkers: "block" });
const page = await context.newPage();
await page.goto(`${server.origin}/dist/index.html`);
await page.waitForFunction(() => document.querySelector("[data-model-state]")?.dataset.modelState === "ready", null, { timeout: 120_000 });
if (process.env.STYLE) await page.addStyleTag({ content: process.env.STYLE });

const pick = async () => {
  const t0 = Date.now();
  await page.setInputFiles("input[type=file][webkitdirectory]", DIR);
  await page.waitForFunction(
    (n) => {
      const cards = [...document.querySelectorAll("[data-result]")];
      return cards.length >= n && cards.every((card) => card.dataset.status !== "pending");
    },
    FILES,
    { timeout: 600_000, polling: 1000 },
  );
  const ms = Date.now() - t0;
  await page.getByRole("button", { name: "Clear all" }).click();
  return ms;
};
if (FILES < 100) for (let i = 0; i < 2; i++) console.log(`warm-up pick: ${await pick()} ms`);
const events = [];
const cdp = await browser.newBrowserCDPSession();
cdp.on("Tracing.dataCollected", ({ value }) => events.push(...value));
const complete = new Promise((resolve) => cdp.once("Tracing.tracingComplete", resolve));
await cdp.send("Tracing.start", { traceConfig: { includedCategories: ["devtools.timeline", "__metadata"] }, transferMode: "ReportEvents" });
console.log(`traced pick: ${await pick()} ms`);
await cdp.send("Tracing.end");
await complete;
await browser.close();
await server.close();

const threadName = new Map();
for (const e of events) if (e.ph === "M" && e.name === "thread_name") threadName.set(`${e.pid}/${e.tid}`, e.args.name);
const main = events
  .filter((e) => e.ph === "X" && e.dur != null && threadName.get(`${e.pid}/${e.tid}`) === "CrRendererMain")
  .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
// Nesting by time: an event inside the one before it is its child.
const stack = [];
for (const e of main) {
  while (stack.length && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop();
  if (stack.length) stack.at(-1).children += e.dur;
  e.children = 0;
  stack.push(e);
}
const self = new Map();
for (const e of main) {
  const [ms, n] = self.get(e.name) ?? [0, 0];
  self.set(e.name, [ms + Math.max(0, e.dur - e.children) / 1000, n + 1]);
}
for (const [name, [ms, n]] of [...self].sort((a, b) => b[1][0] - a[1][0]).slice(0, 12)) {
  console.log(`${ms.toFixed(1).padStart(9)} ms  ${String(n).padStart(6)}×  ${name}`);
}
