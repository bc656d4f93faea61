// Where the CPU goes while the app classifies the 47 originals picked as a folder: a V8
// sampling profile of every thread (Chromium tracing, "disabled-by-default-v8.cpu_profiler"),
// summed by function, for the workers together and for the page's main thread.
//
//   cargo xtask dist --out /tmp/dist-names --no-wasm-opt   # wasm-opt drops the function names
//   PNEUMOSCAN_DIST=/tmp/dist-names node bench/profile-folder.mjs [TOP]
//
// Two warm-up picks (model loaded, code compiled), then one traced pick. The samples are
// wall-clock: on a busy machine a thread's share includes time it waited for a core, so
// read the shares, not the milliseconds. Figures: bench/RESULTS.md, session 11's reading.
import { startStatic, launch, ORIGINALS } from "./lib.mjs";

const TOP = Number(process.argv[2] ?? 16);
const server = await startStatic();
const browser = await launch();
const context = await browser.newContext({ serviceWorkers: "block" });
const page = await context.newPage();
await page.goto(`${server.origin}/dist/index.html`);
await page.waitForFunction(() => document.querySelector("[data-model-state]")?.dataset.modelState === "ready", null, { timeout: 120_000 });

const pick = async () => {
  const t0 = Date.now();
  await page.setInputFiles("input[type=file][webkitdirectory]", ORIGINALS);
  await page.waitForFunction(
    () => {
      const cards = [...document.querySelectorAll("[data-result]")];
      return cards.length >= 47 && cards.every((card) => card.dataset.status !== "pending");
    },
    null,
    { timeout: 120_000, polling: 50 },
  );
  const ms = Date.now() - t0;
  await page.getByRole("button", { name: "Clear all" }).click();
  return ms;
};
for (let i = 0; i < 2; i++) console.log(`warm-up pick: ${await pick()} ms`);
const chunks = [];
const cdp = await browser.newBrowserCDPSession();
cdp.on("Tracing.dataCollected", ({ value }) => chunks.push(...value));
const complete = new Promise((resolve) => cdp.once("Tracing.tracingComplete", resolve));
await cdp.send("Tracing.start", { traceConfig: { includedCategories: ["disabled-by-default-v8.cpu_profiler", "__metadata"] }, transferMode: "ReportEvents" });
console.log(`traced pick: ${await pick()} ms`);
await cdp.send("Tracing.end");
await complete;
await browser.close();
await server.close();

// Thread names, and each profile's thread.
const threadName = new Map();
for (const e of chunks) if (e.ph === "M" && e.name === "thread_name") threadName.set(`${e.pid}/${e.tid}`, e.args.name);
const profileThread = new Map();
for (const e of chunks) if (e.name === "Profile") profileThread.set(e.id, `${e.pid}/${e.tid}`);
// Self time per function, per thread kind.
const nodes = new Map(); // profile id → node id → call frame
const byKind = { workers: new Map(), main: new Map() };
for (const e of chunks) {
  if (e.name !== "ProfileChunk") continue;
  const data = e.args.data;
  const frames = nodes.get(e.id) ?? new Map();
  nodes.set(e.id, frames);
  for (const n of data.cpuProfile?.nodes ?? []) frames.set(n.id, n.callFrame);
  const name = threadName.get(profileThread.get(e.id)) ?? "";
  const kind = name.startsWith("DedicatedWorker") ? "workers" : name === "CrRendererMain" ? "main" : null;
  if (!kind) continue;
  const samples = data.cpuProfile?.samples ?? [];
  samples.forEach((id, i) => {
    const frame = frames.get(id) ?? {};
    const fn = (frame.functionName || "(anonymous)").replace(/::h[0-9a-f]{16}$/, "");
    if (fn === "(idle)") return;
    const key = frame.url?.endsWith(".js") ? `${fn} (${frame.url.split("/").pop()})` : fn;
    byKind[kind].set(key, (byKind[kind].get(key) ?? 0) + Math.max(0, data.timeDeltas[i] ?? 0) / 1000);
  });
}
for (const [kind, totals] of Object.entries(byKind)) {
  const all = [...totals.values()].reduce((a, b) => a + b, 0);
  console.log(`\n${kind}: ${all.toFixed(0)} ms of samples (idle left out)`);
  for (const [fn, ms] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`${((100 * ms) / all).toFixed(1).padStart(5)} %  ${ms.toFixed(1).padStart(7)} ms  ${fn.slice(0, 110)}`);
  }
}
