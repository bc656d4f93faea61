// Machine, versions and the peak-FLOP estimate for RESULTS.md: writes results/env.json.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH, ROOT, writeJson } from "./lib.mjs";

const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (e) {
    return (e.stdout || e.stderr || "").toString().trim() || "not found";
  }
};
const both = (cmd, args) => {
  try {
    const r = execFileSync("sh", ["-c", `${cmd} ${args.join(" ")} 2>&1`], { encoding: "utf8" });
    return r.trim();
  } catch (e) {
    return (e.stdout || "").toString().trim() || "not found";
  }
};
const lock = readFileSync(join(ROOT, "Cargo.lock"), "utf8");
const crate = (name) => lock.match(new RegExp(`name = "${name}"\\nversion = "([^"]+)"`))?.[1] ?? "?";
const pkg = (name) => JSON.parse(readFileSync(join(BENCH, "node_modules", name, "package.json"), "utf8")).version;
const py = (mod) => sh(join(BENCH, ".venv", "bin", "python"), ["-c", `import ${mod}; print(${mod}.__version__)`]);
const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
const model = cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "?";
const mhz = Number(cpuinfo.match(/^cpu MHz\s*:\s*([\d.]+)$/m)?.[1] ?? NaN);
const flags = new Set((cpuinfo.match(/^flags\s*:\s*(.*)$/m)?.[1] ?? "").split(" "));
const cores = sh("nproc", []);
const ghz = mhz / 1000;
const mem = readFileSync("/proc/meminfo", "utf8").match(/MemTotal:\s+(\d+)/)[1];
const card = JSON.parse(readFileSync(join(ROOT, "model", "model.json"), "utf8"));

const perCore = {};
if (flags.has("avx512f")) perCore["native, AVX-512 FMA (16 lanes × 2 FLOP × 2 FMA units)"] = 16 * 2 * 2 * ghz;
if (flags.has("avx2") && flags.has("fma")) perCore["native, AVX2 FMA (8 lanes × 2 FLOP × 2 FMA units)"] = 8 * 2 * 2 * ghz;
perCore["wasm simd128 (4 lanes; no FMA: one mul + one add per cycle)"] = 4 * 2 * ghz;

writeJson("env.json", {
  date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  mflops: card.architecture.mflops,
  load_start: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
  versions: {
    machine: `${sh("uname", ["-srm"])}, ${cores} cores, ${(mem / 1024 / 1024).toFixed(0)} GiB`,
    CPU: `${model}, ${mhz} MHz (as /proc/cpuinfo reports; KVM guest), ${[...["avx512f", "avx2", "fma"]].filter((f) => flags.has(f)).join(", ")}`,
    Chromium: sh("/usr/bin/chromium", ["--version"]),
    node: process.version,
    "playwright-core": pkg("playwright-core"),
    rustc: sh("rustc", ["--version"]),
    tract: `tract-onnx ${crate("tract-onnx")} (tract-linalg ${crate("tract-linalg")})`,
    image: `image ${crate("image")}, zune-jpeg ${crate("zune-jpeg")}`,
    "onnxruntime-web": pkg("onnxruntime-web"),
    onnxruntime: py("onnxruntime"),
    python: sh(join(BENCH, ".venv", "bin", "python"), ["--version"]),
    fastapi: py("fastapi"),
    uvicorn: py("uvicorn"),
    pillow: py("PIL"),
    numpy: py("numpy"),
    nginx: both("nginx", ["-v"]),
    wrk: both("wrk", ["-v"]).split("\n")[0],
  },
  peak: {
    explanation: `${ghz.toFixed(2)} GHz (the clock /proc/cpuinfo reports; under KVM the real turbo clock is unknown, so the true peak may be higher) × FLOP per cycle per core, assuming two FMA-capable vector units per core as on Intel Xeon Scalable. Both runtimes run single-threaded here, so compare with one core. tract picks AVX2/FMA (and AVX-512 where it has kernels) at run time natively; in the browser only wasm simd128 is available.`,
    per_core: perCore,
  },
});
console.error("[env] wrote results/env.json");
