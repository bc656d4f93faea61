// Model-only benchmark (bench/run.sh, part a): our wasm (dist/, WebClassifier.run_model)
// and onnxruntime-web (wasm execution provider, 1 thread, SIMD) in the same worker, on the
// same input, interleaved run by run. The input is a real X-ray, squashed to 224 on a canvas.
import * as ort from "/ort/ort.wasm.min.mjs";

let ours;
let session;
let input;

async function start({ manifest, image }) {
  const glue = await import(`/dist/${manifest.glue}`);
  await glue.default({ module_or_path: `/dist/${manifest.wasm}` });
  const [card, onnx] = await Promise.all([
    fetch(`/dist/${manifest.card}`).then((r) => r.text()),
    fetch(`/dist/${manifest.onnx}`).then((r) => r.arrayBuffer()),
  ]);
  ours = new glue.WebClassifier(card, new Uint8Array(onnx));

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
  for (let i = 0; i < warmup; i++) {
    ours.run_model(input);
    await runOrt();
  }
  const tract = [];
  const onnx = [];
  let logits = {};
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so neither always runs on a warmer cache.
    const order = i % 2 ? ["ours", "ort"] : ["ort", "ours"];
    for (const which of order) {
      const t = performance.now();
      if (which === "ours") logits.ours = ours.run_model(input);
      else logits.ort = await runOrt();
      (which === "ours" ? tract : onnx).push(performance.now() - t);
    }
  }
  return { tract, onnx, logits };
}

self.onmessage = async ({ data }) => {
  try {
    const result = data.type === "start" ? await start(data) : await bench(data);
    postMessage({ ok: true, result });
  } catch (e) {
    postMessage({ ok: false, message: String(e?.stack ?? e) });
  }
};
