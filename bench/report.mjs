// Writes bench/RESULTS.md from results/{env,browser,native}.json (bench/run.sh runs it last).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH, RESULTS } from "./lib.mjs";

const read = (f) => (existsSync(join(RESULTS, f)) ? JSON.parse(readFileSync(join(RESULTS, f), "utf8")) : null);
const env = read("env.json");
const web = read("browser.json");
const nat = read("native.json");
const fold = read("folder.json");
const BEGIN = "<!-- folder:begin (bench/report.mjs) -->";
const END = "<!-- folder:end -->";
const MFLOPS = env?.mflops;
const cores = Number(readFileSync("/proc/cpuinfo", "utf8").match(/^processor/gm)?.length) || null;
if (fold) {
  fold.cores = cores;
  fold.model ??= JSON.parse(readFileSync(join(BENCH, "..", "model", "model.json"), "utf8")).version;
}

// `--only folder`: write the section of parts f and g into the RESULTS.md there is,
// in place of its earlier version, else before "## Native"; leave the rest as it is.
if (process.argv.includes("--only")) {
  const file = join(BENCH, "RESULTS.md");
  const text = readFileSync(file, "utf8");
  const section = folderSection(fold, { standalone: true }).join("\n");
  const begin = text.indexOf(BEGIN);
  const next = begin >= 0
    ? text.slice(0, begin) + section + text.slice(text.indexOf(END) + END.length)
    : text.includes("\n## Native\n")
      ? text.replace("\n## Native\n", `\n${section}\n\n## Native\n`)
      : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
  console.error("[report] wrote the folder section of bench/RESULTS.md");
  process.exit(0);
}

const f1 = (v) => (v == null || Number.isNaN(v) ? "–" : v.toFixed(1));
const f2 = (v) => (v == null || Number.isNaN(v) ? "–" : v.toFixed(2));
const ratio = (a, b) => (a / b).toFixed(2);
const mb = (b) => (b / 1e6).toFixed(2);
const gflops = (ms) => (MFLOPS / ms).toFixed(1); // MFLOP per ms = GFLOP/s
const lines = [];
const p = (...l) => lines.push(...l);

p("# Pneumoscan benchmarks", "");
p(`Written by \`bash bench/run.sh\` on ${env.date}. Every comparison below was measured side by side in this one run, the compared runs interleaved (alternating which goes first) so that both saw the same machine load. Raw numbers: \`bench/results/*.json\` (not committed).`, "");
p("## Machine and versions", "");
p("| | |", "| --- | --- |");
for (const [k, v] of Object.entries(env.versions)) p(`| ${k} | ${v} |`);
p(`| load average (1, 5, 15 min) | start ${env.load_start}; browser part done ${env.load_mid ?? "–"}; end ${env.load_end ?? "–"} |`);
p("", `The machine has 2 cores shared with other work (builds, tests): load above ~1 means the benchmark shared the CPU, and absolute times are noisy. Ratios between interleaved runs are the robust figures.`, "");

if (web?.modelOnly) {
  const m = web.modelOnly;
  p("## In the browser (headless Chromium)", "");
  p(`### (a) Model only: tract-wasm vs onnxruntime-web`, "");
  p(`Same worker, same input (a real X-ray squashed to 224×224), ${m.tract.n} runs each after 10 warm-up runs, the three rotating which goes first. Ours: \`WebClassifier.run_model\` from \`dist/\` (tract), both builds the bundle carries: wasm32 + simd128 + relaxed-simd (what Chromium runs: \`www/simd.js\` picks it where the engine has relaxed SIMD), and wasm32 + simd128 alone (the fallback for engines without it). onnxruntime-web ${env.versions["onnxruntime-web"]}: wasm execution provider, \`numThreads = 1\`, SIMD build, \`proxy = false\`. Logits: ours ${f2(m.logits.ours)} (relaxed), ${f2(m.logits.ours_simd128)} (simd128), onnxruntime-web ${f2(m.logits.ort)}.`, "");
  p("| runtime | median ms | p95 ms | min ms | GFLOP/s (median) |", "| --- | --- | --- | --- | --- |");
  p(`| tract-wasm (ours), relaxed SIMD | ${f1(m.tract.median)} | ${f1(m.tract.p95)} | ${f1(m.tract.min)} | ${gflops(m.tract.median)} |`);
  p(`| tract-wasm (ours), SIMD 128 only | ${f1(m.tract_simd128.median)} | ${f1(m.tract_simd128.p95)} | ${f1(m.tract_simd128.min)} | ${gflops(m.tract_simd128.median)} |`);
  p(`| onnxruntime-web | ${f1(m.ort.median)} | ${f1(m.ort.p95)} | ${f1(m.ort.min)} | ${gflops(m.ort.median)} |`);
  p(`| **ratio ours (relaxed SIMD) / onnxruntime-web** | **${ratio(m.tract.median, m.ort.median)}** | ${ratio(m.tract.p95, m.ort.p95)} | | |`);
  p(`| ratio ours (SIMD 128 only) / onnxruntime-web | ${ratio(m.tract_simd128.median, m.ort.median)} | ${ratio(m.tract_simd128.p95, m.ort.p95)} | | |`, "");
}
if (web?.files) {
  const b = web.files;
  p(`### (b) File to result on the full-resolution X-rays`, "");
  p(`The ${b.files} originals of \`../shared/data/originals\` (JPEG, ≈1000–2900 px a side), each file through both, alternating which goes first, ${b.ours.n / b.files} rounds after a warm-up round. Ours: the app's own worker (\`client.js\` → \`worker.js\`: decode, gate, preprocess, inference, heatmap), timed from the \`File\` to the result on the page. onnxruntime-web as a web developer would do it on the page: \`createImageBitmap\`, \`drawImage\` squashing to 224 on a canvas (\`imageSmoothingQuality = "high"\`), grey by BT.601 weights, the card's mean/std, \`session.run\`, sigmoid of the logit and of the CAM.`, "");
  p("| pipeline | median ms | p95 ms | min ms | max ms |", "| --- | --- | --- | --- | --- |");
  p(`| ours (wasm worker) | ${f1(b.ours.median)} | ${f1(b.ours.p95)} | ${f1(b.ours.min)} | ${f1(b.ours.max)} |`);
  p(`| onnxruntime-web + canvas | ${f1(b.ort.median)} | ${f1(b.ort.p95)} | ${f1(b.ort.min)} | ${f1(b.ort.max)} |`);
  p(`| **ratio ours / onnxruntime-web** | **${ratio(b.ours.median, b.ort.median)}** | ${ratio(b.ours.p95, b.ort.p95)} | | |`, "");
  const s = b.ourStages;
  p(`Our stages inside the worker (medians): decode ${f1(s.decode_ms.median)} ms, preprocess ${f1(s.preprocess_ms.median)} ms, inference ${f1(s.inference_ms.median)} ms, total ${f1(s.total_ms.median)} ms; the rest is messaging and the result object.`);
  p(`The canvas path is not the training preprocessing: its probabilities differ from ours by ${b.probabilityDifference.median.toExponential(1)} (median), ${f2(b.probabilityDifference.p95)} (p95), ${f2(b.probabilityDifference.max)} (max) — ours match the native CLI and training.`, "");
}
if (web?.loads) {
  const l = web.loads;
  p(`### (c) Cold load and offline reload`, "");
  p(`Real nginx ${env.versions.nginx.match(/[\d.]+$/)?.[0] ?? ""} with the repo's \`nginx.conf\` (only \`root\` and \`listen\` substituted) on loopback; a fresh browser context each time (empty HTTP cache, no service worker); time from navigation start to \`data-model-state="ready"\`, read in the page. ${l.ours.cold_ready_ms.n} loads each, alternating with the onnxruntime-web reference app (\`bench/web/ort-app\`: \`ort.wasm.min.mjs\` + the model, session created, on the same nginx.conf).`, "");
  p("| | median ms | p95 ms | min ms |", "| --- | --- | --- | --- |");
  p(`| ours: cold load to ready | ${f1(l.ours.cold_ready_ms.median)} | ${f1(l.ours.cold_ready_ms.p95)} | ${f1(l.ours.cold_ready_ms.min)} |`);
  p(`| ours: offline reload to ready (service worker) | ${f1(l.ours.offline_ready_ms.median)} | ${f1(l.ours.offline_ready_ms.p95)} | ${f1(l.ours.offline_ready_ms.min)} |`);
  p(`| onnxruntime-web app: cold load to session ready | ${f1(l.ort.cold_ready_ms.median)} | ${f1(l.ort.cold_ready_ms.p95)} | ${f1(l.ort.cold_ready_ms.min)} |`, "");
  p(`### (d) Bytes over the wire on first load (gzip)`, "");
  p(`nginx's \`$body_bytes_sent\` for every request of a first visit (gzip_static serves the precompressed \`.gz\`; Chromium reported \`Content-Encoding: gzip\` for every script, wasm and model). The reference app's files were gzipped at level 9 like \`cargo xtask dist\` does. Ours includes what the service worker's precache fetched that the page had not (embed.js, embed-example.html, manifest…).`, "");
  const kinds = ["wasm", "runtime js", "model", "app (html, js, css, card, icons)", "total"];
  p("| bytes (gzipped) | ours | onnxruntime-web | ours / theirs |", "| --- | --- | --- | --- |");
  for (const k of kinds) {
    const a = l.ours.wire[k] ?? 0;
    const t = l.ort.wire[k] ?? 0;
    p(`| ${k} | ${a.toLocaleString("en")} | ${t.toLocaleString("en")} | ${t ? ratio(a, t) : "–"} |`);
  }
  const rt = (w) => (w.wasm ?? 0) + (w["runtime js"] ?? 0);
  p(`| **runtime (wasm + its js)** | **${rt(l.ours.wire).toLocaleString("en")}** | **${rt(l.ort.wire).toLocaleString("en")}** | **${ratio(rt(l.ours.wire), rt(l.ort.wire))}** |`, "");
}
if (web?.memory) {
  const m = web.memory;
  p(`### (e) Memory over 500 files in one page session`, "");
  p(`One page (cross-origin isolated, so that \`performance.measureUserAgentSpecificMemory\` works) classifies the originals over and over with the app's worker (\`client.js\` → \`worker.js\`). At each mark: the page's JS heap after a forced GC (CDP \`Performance.getMetrics\`), \`measureUserAgentSpecificMemory\` (JS heaps of page and worker; in Chromium it leaves out the wasm linear memory), and the resident memory (RSS, from \`/proc\`) of the tab's renderer process, which holds the worker and its wasm memory: everything included.`, "");
  p("| files classified | page JS heap MB | UA-specific memory MB (all) | of which worker MB | renderer RSS MB |", "| --- | --- | --- | --- | --- |");
  // The tab's renderer: the one that has used the most CPU (it ran every classification).
  const rss = (s) => s.driver.renderers.reduce((a, r) => (r.cpuTime > a.cpuTime ? r : a)).rss;
  for (const s of m.samples) {
    const worker = s.ua ? Object.entries(s.ua.byScope).filter(([k]) => /Worker/.test(k)).reduce((a, [, v]) => a + v, 0) : null;
    p(`| ${s.files} | ${mb(s.driver.jsHeapUsed)} | ${s.ua ? mb(s.ua.bytes) : "–"} | ${worker != null ? mb(worker) : "–"} | ${mb(rss(s))} |`);
  }
  const at = (n) => m.samples.find((s) => s.files === n);
  const a = at(50);
  const z = m.samples[m.samples.length - 1];
  if (a && z) {
    p("", `Growth from 50 to ${z.files} files: renderer RSS ${mb(rss(z) - rss(a))} MB, UA-specific memory ${a.ua && z.ua ? mb(z.ua.bytes - a.ua.bytes) : "–"} MB, page JS heap ${mb(z.driver.jsHeapUsed - a.driver.jsHeapUsed)} MB.`);
  }
  p("");
}
if (fold) p(...folderSection(fold, { standalone: false }), "");
if (nat) {
  p("## Native", "");
  if (nat.modelOnly) {
    const m = nat.modelOnly;
    p(`### Model only: tract vs onnxruntime (Python)`, "");
    p(`Release build (\`bench/native\`, the project's release profile) vs onnxruntime ${env.versions.onnxruntime} (\`intra_op_num_threads = 1\`, all graph optimisations) on the same model and input, one thread each; ${m.tract.n} runs each in alternating blocks of ${m.tract.n / (nat.blocks ?? 3) | 0}. Logits: tract ${f2(m.logits.tract)}, onnxruntime ${f2(m.logits.ort)}.`, "");
    p("| runtime | median ms | p95 ms | min ms | GFLOP/s (median) |", "| --- | --- | --- | --- | --- |");
    p(`| tract (ours), 1 thread | ${f2(m.tract.median)} | ${f2(m.tract.p95)} | ${f2(m.tract.min)} | ${gflops(m.tract.median)} |`);
    p(`| onnxruntime, 1 thread | ${f2(m.ort.median)} | ${f2(m.ort.p95)} | ${f2(m.ort.min)} | ${gflops(m.ort.median)} |`);
    p(`| onnxruntime, 2 threads (reference) | ${f2(m.ort2threads.median)} | ${f2(m.ort2threads.p95)} | ${f2(m.ort2threads.min)} | ${gflops(m.ort2threads.median)} |`);
    p(`| **ratio tract / onnxruntime (1 thread)** | **${ratio(m.tract.median, m.ort.median)}** | ${ratio(m.tract.p95, m.ort.p95)} | | |`, "");
  }
  if (nat.files) {
    const f = nat.files;
    p(`### File to result, native`, "");
    p(`Each of the ${f.files} originals, from bytes in memory to the result, one thread: ours \`Classifier::classify\` (decode, gate, preprocess, inference, heatmap); Python: Pillow decode + the training preprocessing (BT.601 grey, bilinear squash) + onnxruntime + gate + heatmap (\`bench/fastapi_server.py: predict_bytes\`).`, "");
    p("| pipeline | median ms | p95 ms |", "| --- | --- | --- |");
    p(`| ours (tract) | ${f2(f.tract.median)} | ${f2(f.tract.p95)} |`);
    p(`| Pillow + onnxruntime | ${f2(f.ort.median)} | ${f2(f.ort.p95)} |`);
    p(`| **ratio** | **${ratio(f.tract.median, f.ort.median)}** | ${ratio(f.tract.p95, f.ort.p95)} |`, "");
    const s = f.tractStages;
    p(`Our stages (medians): decode ${f2(s.decode_ms.median)} ms, preprocess ${f2(s.preprocess_ms.median)} ms, inference ${f2(s.inference_ms.median)} ms.`, "");
  }
  if (nat.profile) {
    const pr = nat.profile;
    p(`### Where tract spends the model's time (native, per run)`, "");
    p(`Summed per op kind over the optimised plan's nodes, ${f2(pr.total_ms)} ms per run in all (timing each node adds a little).`, "");
    p("| op | nodes | ms | share |", "| --- | --- | --- | --- |");
    const ops = Object.entries(pr.by_op).sort((a, b) => b[1].ms - a[1].ms);
    const sum = ops.reduce((a, [, v]) => a + v.ms, 0);
    for (const [k, v] of ops.slice(0, 10)) p(`| ${k} | ${v.nodes} | ${f2(v.ms)} | ${((100 * v.ms) / sum).toFixed(0)}% |`);
    p("");
  }
  if (nat.servers) {
    const s = nat.servers;
    p(`### Servers: \`pneumoscan serve\` vs FastAPI + onnxruntime`, "");
    p(`\`wrk\` ${(env.versions.wrk ?? "").match(/\d+\.\d+\.\d+/)?.[0] ?? ""} on loopback, ${s.duration_s} s per run after a 1 s warm-up, POSTing one typical original (${s.image.split("/").slice(-2).join("/")}) as multipart field \`file\` (\`bench/post.lua\`); the two servers alternate at each concurrency. Ours: \`pneumoscan serve\` with its defaults (inference on a blocking pool, at most 2 × cores = 4 at once, 503 + Retry-After beyond). FastAPI ${env.versions.fastapi}: a sync endpoint, onnxruntime with 1 thread per process (\`bench/fastapi_server.py\`), under uvicorn two ways: \`--workers 2\` (one process per core, the usual production setting) and \`--workers 1\`. wrk runs on the same 2 cores. Both answered: ours ${s.check.ours.status} ${s.check.ours.prediction} ${f2(s.check.ours.probability)}, FastAPI ${s.check.fastapi.status} ${s.check.fastapi.prediction} ${f2(s.check.fastapi.probability)}. A 503 from ours is its load shedding (more requests than inference slots): it is answered at once and is not counted in req/s.`, "");
    p("| connections | server | 2xx req/s | p50 ms | p99 ms | non-2xx |", "| --- | --- | --- | --- | --- | --- |");
    const NAMES = { ours: "pneumoscan serve", fastapi: "FastAPI, 2 workers", fastapi1: "FastAPI, 1 worker" };
    for (const r of s.rows) p(`| ${r.conns} | ${NAMES[r.server]} | ${f1(r.ok_rps)} | ${f1(r.p50_ms)} | ${f1(r.p99_ms)} | ${r.non2xx} |`);
    p("", "wrk's percentiles include every answer: where a server shed load with 503s (non-2xx above), its percentiles mix the immediate 503s with the classified requests, so its latency ratios are left out below.", "");
    const conns = [...new Set(s.rows.map((r) => r.conns))];
    p("| connections | req/s ours / FastAPI (2 workers; 1 worker) | p99 ours / FastAPI (2 workers; 1 worker) |", "| --- | --- | --- |");
    for (const c of conns) {
      const o = s.rows.find((r) => r.conns === c && r.server === "ours");
      const t = s.rows.find((r) => r.conns === c && r.server === "fastapi");
      const t1 = s.rows.find((r) => r.conns === c && r.server === "fastapi1");
      const p99 = o.non2xx ? "– (ours shed load)" : `${ratio(o.p99_ms, t.p99_ms)}; ${t1 ? ratio(o.p99_ms, t1.p99_ms) : "–"}`;
      p(`| ${c} | ${ratio(o.ok_rps, t.ok_rps)}; ${t1 ? ratio(o.ok_rps, t1.ok_rps) : "–"} | ${p99} |`);
    }
    p("");
  }
}
p("## The model's arithmetic and the machine's peak", "");
p(`The model needs ${MFLOPS} MFLOP per image (\`model/model.json\` \`architecture.mflops\`: 2 × the 160.8 M multiply-adds of its eight 3×3 convolutions and the head; batch norms are folded). Achieved GFLOP/s = ${MFLOPS} / median ms (the tables above).`, "");
p(`Peak, estimated: ${env.peak.explanation} Where a measured figure above exceeds the estimate (onnxruntime natively), the core was running faster than the reported clock (turbo).`, "");
p("| | GFLOP/s per core |", "| --- | --- |");
for (const [k, v] of Object.entries(env.peak.per_core)) p(`| ${k} | ${v.toFixed(0)} |`);
p("");
if (existsSync(join(BENCH, "NOTES.md"))) p(readFileSync(join(BENCH, "NOTES.md"), "utf8"));
writeFileSync(join(BENCH, "RESULTS.md"), lines.join("\n") + "\n");
console.error("[report] wrote bench/RESULTS.md");

// ---- parts f and g (results/folder.json): a section of its own, between markers, so that
// `node bench/report.mjs --only folder` can write it into an existing RESULTS.md. ----------

// A renderer's main thread carries the executable's name ("chromium"), or CrRendererMain.
// A function declaration, so that the `--only folder` branch above, which runs first, can call it.
function isMain(thread) {
  return /^renderer\/(chromium|CrRendererMain)$/.test(thread);
}
function mainThread(threads) {
  return Object.entries(threads).filter(([t]) => isMain(t)).reduce((a, [, v]) => a + v, 0);
}

function folderSection(fold, { standalone }) {
  const out = [];
  const q = (...l) => out.push(...l);
  const med = (list) => (list.length ? list.slice().sort((a, b) => a - b)[(list.length - 1) >> 1] : NaN);
  const s1 = (v) => (v == null || Number.isNaN(v) ? "–" : v.toFixed(1));
  const s0 = (v) => (v == null || Number.isNaN(v) ? "–" : v.toFixed(0));
  const cores = (fold.cores ?? 2);
  q(BEGIN, "## In the browser: whole folders and long sessions (issue 17)", "");
  if (standalone) {
    q(`Measured on ${fold.date} with \`${fold.command}\` (\`BENCH_PARTS=fg bash bench/run.sh\` runs the same), load average (1, 5, 15 min) ${fold.load_start} at the start and ${fold.load_end} at the end. The other sections of this file are from the earlier full run named at the top, with model 1.0.0; this one ran on the bundle of that day, model ${fold.model ?? "2.0.0"}, in ${fold.folder?.chromium ? `Chromium ${fold.folder.chromium}` : "the same Chromium"}.`, "");
  }
  const f = fold.folder;
  if (f) {
    const names = { ours: "ours: the app's page, its worker pool (default size)", ort: "onnxruntime-web + canvas, one file after another" };
    const nameOf = (k) => names[k] ?? `ours: the app's page, pool of ${f.info[k].workers} (navigator.hardwareConcurrency overridden)`;
    q(`### (f) ${f.files} full-resolution originals picked as one folder`, "");
    q(`The app's own page (\`dist/index.html\`, service worker blocked, on the bench's static server) and a page with the onnxruntime-web pipeline of (b) behind an \`<input webkitdirectory>\` (\`bench.ortFolderInput\`: \`createImageBitmap\`, squash on a canvas, \`session.run\` with \`numThreads = 1\` on the page, the files one after another), in the same browser and run. Each gets the folder \`originals/\` (${f.files} JPEGs in NORMAL/ and PNEUMONIA/) through Playwright's \`setInputFiles\` on its folder input; the time runs from the input's \`change\` event to the last result (ours: the last card leaving \`data-status="pending"\`, seen by a MutationObserver). One warm-up pick each, then ${f.rounds.length} rounds, rotating which goes first; the page is cleared ("Clear all") after each of ours. Pools: ${Object.entries(f.info).filter(([k]) => k !== "ort").map(([k, v]) => `${k === "ours" ? "default" : k}: ${v.workers} worker${v.workers > 1 ? "s" : ""} (${v.simd})`).join("; ")}; this machine reports ${f.info.ours.cores} cores.`, "");
    q("| pipeline | median ms | min ms | max ms | ratio to onnxruntime-web (median of the rounds' ratios) |", "| --- | --- | --- | --- | --- |");
    for (const k of Object.keys(f.wall_ms)) {
      const w = f.wall_ms[k];
      const r = f.ratios[k];
      q(`| ${nameOf(k)} | ${s1(w.median)} | ${s1(w.min)} | ${s1(w.max)} | ${r ? `**${r.median.toFixed(2)}** (${r.min.toFixed(2)}–${r.max.toFixed(2)})` : "1"} |`);
    }
    const ratio = f.ratios.ours.median;
    q("", `Goal ≤ 0.6×: ${ratio <= 0.6 ? `met (${ratio.toFixed(2)})` : `**not met**: ${ratio.toFixed(2)}×, ${((ratio / 0.6 - 1) * 100).toFixed(0)} % over the goal`}. Per-round ratios: ${f.rounds.map((r) => (r.ours.wall_ms / r.ort.wall_ms).toFixed(2)).join(", ")}. Probabilities, ours vs the canvas pipeline: ${f.probability_difference.median.toExponential(1)} median difference, ${f.probability_difference.max.toFixed(3)} max (the canvas path is not the training preprocessing, see (b)).`, "");
    // Where the time went: medians over the rounds.
    q(`Where the time went (medians over the rounds; CPU from \`/proc/PID/task/TID/stat\` of every Chromium process, by thread name, and \`/proc/stat\` for the whole machine, ${cores} cores = ${cores} ms of CPU per ms of wall time):`, "");
    q("| | " + Object.keys(f.wall_ms).join(" | ") + " |", "| --- |" + Object.keys(f.wall_ms).map(() => " --- |").join(""));
    const row = (label, fn) => q(`| ${label} | ${Object.keys(f.wall_ms).map((k) => fn(f.rounds.map((r) => r[k]), k)).join(" | ")} |`);
    row("wall ms", (rs) => s0(med(rs.map((r) => r.wall_ms))));
    row("first result after ms", (rs) => s0(med(rs.map((r) => r.first_ms))));
    row("Chromium CPU ms (all threads)", (rs) => s0(med(rs.map((r) => r.cpu_ms.chromium))));
    row("of it: workers (DedicatedWorker)", (rs) => s0(med(rs.map((r) => r.threads["renderer/DedicatedWorker"] ?? 0))));
    row("of it: page main thread", (rs) => s0(med(rs.map((r) => mainThread(r.threads)))));
    row("of it: renderer thread pool (image decoding, …)", (rs) => s0(med(rs.map((r) => Object.entries(r.threads).filter(([t]) => /^renderer\/ThreadPool/.test(t)).reduce((a, [, v]) => a + v, 0)))));
    row("of it: everything else in Chromium", (rs) => s0(med(rs.map((r) => r.cpu_ms.chromium - Object.entries(r.threads).filter(([t]) => isMain(t) || /^renderer\/(DedicatedWorker|ThreadPool)/.test(t)).reduce((a, [, v]) => a + v, 0)))));
    row("CPU ms of other processes (contention)", (rs) => s0(med(rs.map((r) => r.cpu_ms.other))));
    row("idle CPU ms", (rs) => s0(med(rs.map((r) => r.cpu_ms.idle))));
    row("Chromium's share of the machine's CPU time", (rs) => `${s0(med(rs.map((r) => (100 * r.cpu_ms.chromium) / (r.cpu_ms.chromium + r.cpu_ms.other + r.cpu_ms.idle))))} %`);
    row("pool: workers' busy time / wall, each", (rs, k) => (k === "ort" ? "–" : rs[0].pool.utilisation.map((_, i) => `${s0(100 * med(rs.map((r) => r.pool.utilisation[i] ?? 0)))} %`).join(", ")));
    row("pool: wasm ms summed over files (decode / preprocess / inference)", (rs, k) => (k === "ort" ? "–" : `${s0(med(rs.map((r) => r.pool.wasm_ms.total)))} (${["decode", "preprocess", "inference"].map((x) => s0(med(rs.map((r) => r.pool.wasm_ms[x])))).join(" / ")})`));
    row("onnxruntime-web: ms summed over files (decode + canvas / session.run)", (rs, k) => (k === "ort" ? `${s0(med(rs.map((r) => r.stages_ms.decode_ms)))} / ${s0(med(rs.map((r) => r.stages_ms.run_ms)))}` : "–"));
    row("pool: messaging and copies, ms summed (busy − wasm)", (rs, k) => (k === "ort" ? "–" : s0(med(rs.map((r) => r.pool.messaging_ms)))));
    row("pool: per file, post to answer (two in flight per worker: waiting in its queue included), median ms", (rs, k) => (k === "ort" ? s1(med(rs.map((r) => r.wall_ms / r.n))) + " (wall / files)" : s1(med(rs.map((r) => r.pool.per_file_ms.median)))));
    row("main-thread long tasks: count, max ms", (rs) => (rs[0].longtasks ? `${s0(med(rs.map((r) => r.longtasks.count)))}, ${s0(Math.max(...rs.map((r) => r.longtasks.max_ms)))}` : "–"));
    row("load average before the run", (rs) => rs.map((r) => r.load_before.split(" ")[0]).join(", "));
    q("");
  }
  // One run per way of picking the folder (browser.mjs --session-picks); older results
  // have the one run, picked through the input.
  for (const g of fold.sessions ?? (fold.session ? [fold.session] : [])) {
    const mb1 = (b) => (b == null || Number.isNaN(b) ? "–" : (b / 1e6).toFixed(1));
    const handle = g.pick === "handle";
    const how = handle
      ? "through the folder button's `showDirectoryPicker()` (Chromium's folder dialog cannot be driven by Playwright, so the page's `showDirectoryPicker` is replaced by one that hands over a real `FileSystemDirectoryHandle` of the same folder, copied beforehand into the origin-private file system; the app walks it, `www/folders.js`)"
      : "with `setInputFiles` on the folder input (`<input webkitdirectory>`, the picker where the browser has no `showDirectoryPicker`)";
    q(`### (g) ${g.files.toLocaleString("en")} files in one page session, picked ${handle ? "as a directory handle" : "through `<input webkitdirectory>`"}`, "");
    q(`The app's page, cross-origin isolated (COOP/COEP from the bench's server, so that \`performance.measureUserAgentSpecificMemory\` works: ${g.isolated ? "it did" : "**it did not**"}), pool of ${g.info.workers} workers; one folder of ${g.files.toLocaleString("en")} files picked at once ${how}: NORMAL/ and PNEUMONIA/ holding every tenth one a full-resolution original (${g.counts.originals}, the 47 cycled) and otherwise Kermany train images (${g.counts.train}, 224×224, none twice), so the evaluation view runs too. Memory is read as the batch passes each mark, while the workers go on: the resident memory (RSS and PSS from \`/proc\`) of the tab's renderer process, which holds the page, both workers and their wasm memories (everything), and of all Chromium processes (browser, GPU, utility too); the page's JS heap after a forced GC (CDP \`Performance.getMetrics\`); \`measureUserAgentSpecificMemory\` (JS heaps of page and workers; Chromium leaves the wasm memory out). Long tasks: \`PerformanceObserver({type: "longtask", buffered: true})\` on the page from before its scripts ran.`, "");
    q("| files done | tab renderer RSS MB | tab renderer PSS MB | all Chromium RSS MB | page JS heap MB | UA-specific memory MB (all) | of which workers MB | DOM nodes | load (1 min) |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const s of g.samples) {
      const workers = s.ua ? Object.entries(s.ua.byScope).filter(([k]) => /Worker/.test(k)).reduce((a, [, v]) => a + v, 0) : null;
      q(`| ${s.files}${s.idle ? " (2 s after, idle)" : ""} | ${mb1(s.tab_renderer_rss)} | ${mb1(s.tab_renderer_pss)} | ${mb1(s.chromium_rss)} | ${mb1(s.page_js_heap)} | ${s.ua ? mb1(s.ua.bytes) : "–"} | ${mb1(workers)} | ${s.dom_nodes ?? "–"} | ${s.load.split(" ")[0]} |`);
    }
    const at100 = g.samples.find((s) => s.files >= 100);
    const last = g.samples[g.samples.length - 1];
    const growth = last.tab_renderer_rss - at100.tab_renderer_rss;
    const growthAll = last.chromium_rss - at100.chromium_rss;
    const peak = Math.max(...g.samples.filter((s) => s.files >= 100).map((s) => s.tab_renderer_rss)) - at100.tab_renderer_rss;
    q("", `Growth after the first ${at100.files} files, to the end (idle): tab renderer RSS **${mb1(growth)} MB** (its highest sample ${mb1(peak)} MB above), all Chromium processes ${mb1(growthAll)} MB, page JS heap ${mb1(last.page_js_heap - at100.page_js_heap)} MB${last.ua && at100.ua ? `, UA-specific memory ${mb1(last.ua.bytes - at100.ua.bytes)} MB` : ""}. Goal < 100 MB: ${growth < 100e6 && growthAll < 100e6 ? "met" : "**not met**"}.`, "");
    const lt = g.longtasks;
    const fmt = (x) => (x ? `${x.count} (max ${s0(x.max_ms)} ms, ${x.over_200} over 200 ms)` : "–");
    q(`Long tasks on the main thread (all are > 50 ms by definition): during the batch ${fmt(lt.batch)}; during the batch but overlapping the driver's memory samples (forced GC, measurement; the measurement's own, counted apart) ${fmt(lt.batch_overlapping_samples)}; before the batch (page load, model start) ${fmt(lt.before_batch)}; whole session ${fmt(lt.whole_session)}. Goal none over 200 ms: ${lt.batch && lt.batch.over_200 === 0 ? "met" : "**not met**"}.`, "");
    if (lt.longest.length) {
      const own = lt.longest.filter((t) => t.in_batch && !t.overlaps_sample && !t.selection && t.duration > 200);
      const picked = lt.longest.find((t) => t.selection);
      if (picked && !handle) {
        q(`The task that delivered the picked folder (Chromium building the ${g.files}-entry FileList of \`<input webkitdirectory>\`, then dispatching \`change\`): ${s0(picked.duration)} ms, of which script ${s0(picked.script_ms ?? 0)} ms (ours, the change handler). Tasks over 200 ms other than that one, during the batch: ${own.length}${own.length ? ` (${own.map((t) => `${s0(t.duration)} ms at ${(t.start / 1000).toFixed(1)} s, script ${s0(t.script_ms ?? 0)} ms`).join("; ")})` : ""}.`, "");
      }
      q(`Longest tasks: ${lt.longest.slice(0, 6).map((t) => `${s0(t.duration)} ms at ${(t.start / 1000).toFixed(1)} s${t.in_batch ? "" : " (outside the batch)"}${t.overlaps_sample ? " (during a sample)" : ""}${t.selection ? " (the folder's delivery)" : ""}${t.script_ms != null ? `, script ${s0(t.script_ms)} ms` : ""}`).join("; ")}. Where the long animation frames' script time went in the batch (ms, summed): ${g.loaf_scripts.slice(0, 6).map((x) => `${x.what} ${s0(x.ms)}`).join("; ") || "–"}.`, "");
    }
    const wall = g.wall_ms / 1000;
    q(`The batch: ${wall.toFixed(1)} s from selection to the last result (${(g.files / wall).toFixed(1)} files/s), results ${Object.entries(g.statuses).map(([k, v]) => `${k} ${v}`).join(", ")}; evaluation n = ${g.evaluation.n ?? "–"}, complete ${g.evaluation.complete ?? "–"}. Workers busy ${g.pool.utilisation.map((u) => `${s0(100 * u)} %`).join(" and ")} of the wall time. CPU during the batch: Chromium ${s0(g.cpu_ms.chromium / 1000)} s (workers ${s0((g.threads["renderer/DedicatedWorker"] ?? 0) / 1000)} s, page main thread ${s0(mainThread(g.threads) / 1000)} s), other processes ${s0(g.cpu_ms.other / 1000)} s, idle ${s0(g.cpu_ms.idle / 1000)} s, of ${s0((g.cpu_ms.chromium + g.cpu_ms.other + g.cpu_ms.idle) / 1000)} s on the ${cores} cores.`, "");
  }
  q(END);
  return out;
}
