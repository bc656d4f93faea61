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
import { traceFolderPick, traceThreadNames } from "./lib.mjs";

const TOP = Number(process.argv[2] ?? 16);
const { events: chunks, ms } = await traceFolderPick(["disabled-by-default-v8.cpu_profiler"]);
console.log(`traced pick: ${ms} ms`);

// Thread names, and each profile's thread.
const threadName = traceThreadNames(chunks);
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
