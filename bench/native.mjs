// Native side of bench/run.sh: tract (our code) vs onnxruntime (Python), and
// `pneumoscan serve` vs FastAPI + onnxruntime under wrk on loopback.
// Usage: node native.mjs [--parts mfps] [--blocks 3] [--runs 100] [--reps 2] [--duration 10] [--conns 1,4,16]
//   m model only, f files (decode + preprocess + model), p tract op profile, s servers
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { BENCH, ORIGINALS, ROOT, originals, started, stop, summary, waitFor, writeJson } from "./lib.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const parts = args.parts ?? "mfps";
const BLOCKS = Number(args.blocks ?? 3);
const RUNS = Number(args.runs ?? 100);
const REPS = Number(args.reps ?? 2);
const DURATION = Number(args.duration ?? 10);
const CONNS = (args.conns ?? "1,4,16").split(",").map(Number);
const TARGET = process.env.CARGO_TARGET_DIR ?? join(ROOT, "target");
const PNEUMOSCAN = process.env.PNEUMOSCAN_BIN ?? join(TARGET, "release", "pneumoscan");
const TRACT = process.env.PNEUMOSCAN_BENCH_BIN ?? join(TARGET, "release", "pneumoscan-bench");
const PY = join(BENCH, ".venv", "bin", "python");
const log = (...m) => console.error("[native]", ...m);
const load = () => execFileSync("cat", ["/proc/loadavg"], { encoding: "utf8" }).split(" ").slice(0, 3).join(" ");

const files = originals().map((f) => join(ORIGINALS, f));
// A typical original (189 KB, 1.3 Mpx): the image used for model-only runs and the servers.
const IMAGE = join(ORIGINALS, "PNEUMONIA", "person1227_virus_2078.jpeg");

const json = (cmd, argv) => JSON.parse(execFileSync(cmd, argv, { encoding: "utf8", maxBuffer: 1 << 28 }));

function modelOnly() {
  const tract = [];
  const ort = [];
  let logits = {};
  for (let b = 0; b < BLOCKS; b++) {
    const order = b % 2 ? ["tract", "ort"] : ["ort", "tract"];
    for (const which of order) {
      log(`model only: ${which}, block ${b + 1}/${BLOCKS}, ${RUNS} runs (load ${load()})`);
      const r = which === "tract" ? json(TRACT, ["model", String(RUNS), IMAGE]) : json(PY, [join(BENCH, "ort_native.py"), "model", String(RUNS), "1", IMAGE]);
      (which === "tract" ? tract : ort).push(...r.ms);
      logits[which] = r.logit;
    }
  }
  log("model only: onnxruntime with 2 threads (reference)");
  const ort2 = json(PY, [join(BENCH, "ort_native.py"), "model", String(RUNS), "2", IMAGE]).ms;
  return { tract: summary(tract), ort: summary(ort), ort2threads: summary(ort2), logits, image: IMAGE };
}

function fileToResult() {
  const ours = [];
  const theirs = [];
  for (let b = 0; b < 2; b++) {
    const order = b % 2 ? ["tract", "ort"] : ["ort", "tract"];
    for (const which of order) {
      log(`files: ${which}, ${REPS} reps over ${files.length} originals (load ${load()})`);
      const r = which === "tract" ? json(TRACT, ["files", String(REPS), ...files]) : json(PY, [join(BENCH, "ort_native.py"), "files", String(REPS), "1", ...files]);
      (which === "tract" ? ours : theirs).push(...r.rows);
    }
  }
  const stage = (k) => summary(ours.map((r) => r[k]));
  return {
    tract: summary(ours.map((r) => r.ms)),
    ort: summary(theirs.map((r) => r.ms)),
    tractStages: { decode_ms: stage("decode_ms"), preprocess_ms: stage("preprocess_ms"), inference_ms: stage("inference_ms") },
    files: files.length,
  };
}

function profile() {
  log("tract op profile");
  return json(TRACT, ["profile", "50", IMAGE]);
}

function wrk(url, conns) {
  const threads = Math.min(conns, 2);
  const r = spawnSync("wrk", ["-t", String(threads), "-c", String(conns), "-d", `${DURATION}s`, "--timeout", "10s", "-s", join(BENCH, "post.lua"), url], {
    encoding: "utf8",
    env: { ...process.env, BENCH_FILE: IMAGE },
  });
  const line = r.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (!line) throw new Error(`wrk failed: ${r.stdout} ${r.stderr}`);
  const s = JSON.parse(line);
  const seconds = s.duration_us / 1e6;
  return { ...s, conns, threads, rps: s.requests / seconds, ok_rps: (s.requests - s.non2xx) / seconds, p50_ms: s.p50_us / 1000, p99_ms: s.p99_us / 1000 };
}

async function servers() {
  const oursPort = 18000 + Math.floor(Math.random() * 1000);
  const theirsPort = oursPort + 1000;
  const ours = started(PNEUMOSCAN, ["serve", "--host", "127.0.0.1", "--port", String(oursPort), "--log-format", "json"], { env: { ...process.env, RUST_LOG: "warn" } });
  // FastAPI two ways: one process per core (the usual production setting), and one
  // process (which answered single requests faster here).
  const uvicorn = (port, workers) =>
    started(join(BENCH, ".venv", "bin", "uvicorn"), ["--app-dir", BENCH, "fastapi_server:app", "--host", "127.0.0.1", "--port", String(port), "--workers", String(workers), "--log-level", "warning", "--no-access-log"]);
  const theirs = uvicorn(theirsPort, 2);
  const theirs1 = uvicorn(theirsPort + 1, 1);
  try {
    const urls = { ours: `http://127.0.0.1:${oursPort}`, fastapi: `http://127.0.0.1:${theirsPort}`, fastapi1: `http://127.0.0.1:${theirsPort + 1}` };
    await waitFor(`${urls.ours}/readyz`, "pneumoscan serve", ours);
    await waitFor(`${urls.fastapi}/readyz`, "uvicorn", theirs);
    await waitFor(`${urls.fastapi1}/readyz`, "uvicorn", theirs1);
    // Both must answer 200 with the same label for the benchmark file.
    const check = {};
    for (const [k, u] of Object.entries(urls)) {
      const { readFileSync } = await import("node:fs");
      const form = new FormData();
      form.append("file", new Blob([readFileSync(IMAGE)], { type: "image/jpeg" }), "xray.jpeg");
      const res = await fetch(`${u}/predict`, { method: "POST", body: form });
      const body = await res.json();
      check[k] = { status: res.status, prediction: body.prediction, probability: body.probability };
    }
    log("servers answer:", JSON.stringify(check));
    const rows = [];
    for (const [i, c] of CONNS.entries()) {
      const order = i % 2 ? ["ours", "fastapi", "fastapi1"] : ["fastapi1", "fastapi", "ours"];
      for (const which of order) {
        // A short warm-up, then the timed run.
        spawnSync("wrk", ["-t", "1", "-c", "1", "-d", "1s", "-s", join(BENCH, "post.lua"), `${urls[which]}/predict`], { env: { ...process.env, BENCH_FILE: IMAGE } });
        const before = load();
        const r = wrk(`${urls[which]}/predict`, c);
        rows.push({ server: which, load_before: before, ...r });
        log(`server ${which} c=${c}: ${r.ok_rps.toFixed(1)} ok req/s, p50 ${r.p50_ms.toFixed(1)} ms, p99 ${r.p99_ms.toFixed(1)} ms, non-2xx ${r.non2xx}`);
      }
    }
    return { check, rows, image: IMAGE, duration_s: DURATION };
  } finally {
    stop(ours);
    stop(theirs);
    stop(theirs1);
  }
}

// --keep: start from the previous results/native.json (to re-run some parts only).
const previous = args.keep ? JSON.parse((await import("node:fs")).readFileSync(join(BENCH, "results", "native.json"), "utf8")) : {};
const out = { ...previous, load_start: load() };
if (parts.includes("m")) out.modelOnly = modelOnly();
if (parts.includes("f")) out.files = fileToResult();
if (parts.includes("p")) out.profile = profile();
if (parts.includes("s")) out.servers = await servers();
out.load_end = load();
writeJson("native.json", out);
log("wrote results/native.json");
