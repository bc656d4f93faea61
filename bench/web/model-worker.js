// Model-only benchmark (bench/run.sh, part a): our two wasm builds (dist/: SIMD 128, and
// SIMD 128 + relaxed SIMD; WebClassifier.run_model) and onnxruntime-web (wasm execution
// provider, 1 thread, SIMD) in the same worker, on the same input, interleaved run by run.
// The input is a real X-ray, squashed to 224 on a canvas.
import * as ort from "/ort/ort.wasm.min.mjs";

/** Our classifiers by build: "simd128", "relaxed". */
const ours = {};
let session;
let input;

async function start({ manifest, image }) {
  const [card, onnx] = await Promise.all([
    fetch(`/dist/${manifest.card}`).then((r) => r.text()),
    fetch(manifest.onnx).then((r) => r.arrayBuffer()),
  ]);
  // The glue holds one instance per module record: import it once per build (the query
  // makes a second record of the same file).
  for (const [build, wasm] of [
    ["simd128", manifest.wasm],
    ["relaxed", manifest.wasm_relaxed],
  ]) {
    const glue = await import(`/dist/${manifest.glue}?build=${build}`);
    await glue.default({ module_or_path: `/dist/${wasm}` });
    ours[build] = new glue.WebClassifier(card, new Uint8Array(onnx));
  }

  ort.env.wasm.wasmPaths = "/ort/";
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  session = await ort.InferenceSession.create(onnx, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });

  const { mean, std } = JSON.parse(card).preprocess;
  const bitmap = await createImageBitmap(await (await fetch(image)).blob());
  const canvas = new OffscreenCanvas(224, 224);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(bitmap, 0, 0, 224, 224);
  const { data } = ctx.getImageData(0, 0, 224, 224);
  input = new Float32Array(224 * 224);
  for (let i = 0; i < input.length; i++) {
    const grey = (0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2]) / 255;
    input[i] = (grey - mean) / std;
  }
  return { ort_version: ort.env.versions?.web ?? null };
}

async function runOrt() {
  const out = await session.run({ image: new ort.Tensor("float32", input, [1, 1, 224, 224]) });
  return out.logit.data[0];
}

async function bench({ runs, warmup }) {
  const run = async (which) => (which === "ort" ? runOrt() : ours[which].run_model(input));
  const order = ["ort", "simd128", "relaxed"];
  for (let i = 0; i < warmup; i++) for (const which of order) await run(which);
  const times = { ort: [], simd128: [], relaxed: [] };
  const logits = {};
  for (let i = 0; i < runs; i++) {
    // Rotate which goes first, so none always runs on a warmer cache.
    for (let j = 0; j < order.length; j++) {
      const which = order[(i + j) % order.length];
      const t = performance.now();
      logits[which] = await run(which);
      times[which].push(performance.now() - t);
    }
  }
  return {
    tract: times.relaxed,
    tract_simd128: times.simd128,
    onnx: times.ort,
    logits: { ours: logits.relaxed, ours_simd128: logits.simd128, ort: logits.ort },
  };
}

self.onmessage = async ({ data }) => {
  try {
    const result = data.type === "start" ? await start(data) : await bench(data);
    postMessage({ ok: true, result });
  } catch (e) {
    postMessage({ ok: false, message: String(e?.stack ?? e) });
  }
};
