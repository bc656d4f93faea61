// The page side of bench/browser.mjs. Exposes window.bench.* for the driver:
//   modelOnly(runs)  part (a), in model-worker.js
//   files(rounds)    part (b): our app's worker (dist client.js → worker.js) vs
//                    onnxruntime-web on this page with canvas preprocessing
//   memory(n, marks) part (e): our worker classifying n files, memory at each mark
import * as ort from "/ort/ort.wasm.min.mjs";

const manifest = await (await fetch("/manifest.json")).json();
const card = await (await fetch(`/dist/${manifest.card}`)).json();

function call(worker, message) {
  return new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => (data.ok ? resolve(data.result) : reject(new Error(data.message)));
    worker.postMessage(message);
  });
}

async function originals() {
  return Promise.all(
    manifest.originals.map(async (name) => ({ name, blob: await (await fetch(`/data/${name}`)).blob() })),
  );
}

// onnxruntime-web the way a web developer would use it: decode with createImageBitmap,
// squash to 224 on a canvas, grey by BT.601 weights, normalise with the card's mean/std.
let session;
async function ortSession() {
  if (session) return session;
  ort.env.wasm.wasmPaths = "/ort/";
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  session = await ort.InferenceSession.create(manifest.onnx, { executionProviders: ["wasm"] });
  return session;
}

const canvas = new OffscreenCanvas(224, 224);
const ctx = canvas.getContext("2d", { willReadFrequently: true });
async function ortClassify(blob) {
  const { mean, std } = card.preprocess;
  const t0 = performance.now();
  const bitmap = await createImageBitmap(blob);
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(bitmap, 0, 0, 224, 224);
  bitmap.close();
  const { data } = ctx.getImageData(0, 0, 224, 224);
  const x = new Float32Array(224 * 224);
  for (let i = 0; i < x.length; i++) {
    const grey = (0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2]) / 255;
    x[i] = (grey - mean) / std;
  }
  const t1 = performance.now();
  const out = await session.run({ image: new ort.Tensor("float32", x, [1, 1, 224, 224]) });
  const logit = out.logit.data[0];
  const sigmoid = (v) => 1 / (1 + Math.exp(-v));
  return {
    probability: sigmoid(logit),
    heatmap: { width: 14, height: 14, intensity: Array.from(out.cam.data, sigmoid) },
    // decode: createImageBitmap, the canvas squash, grey and normalisation.
    timings: { decode_ms: t1 - t0, run_ms: performance.now() - t1 },
  };
}

async function ourClassifier() {
  const { loadClassifier } = await import(`/dist/${manifest.client}`);
  return loadClassifier();
}

window.bench = {
  async modelOnly(runs, warmup = 10) {
    const worker = new Worker("/bench/model-worker.js", { type: "module" });
    const info = await call(worker, { type: "start", manifest, image: `/data/${manifest.originals[0]}` });
    const result = await call(worker, { type: "bench", runs, warmup });
    worker.terminate();
    return { ...result, info };
  },

  async files(rounds) {
    const files = await originals();
    const ours = await ourClassifier();
    await ortSession();
    // Warm-up: every file once through each.
    for (const f of files) {
      await ours.classify(f.blob, f.name);
      await ortClassify(f.blob);
    }
    const rows = [];
    for (let r = 0; r < rounds; r++) {
      for (const [i, f] of files.entries()) {
        const order = (r + i) % 2 ? ["ours", "ort"] : ["ort", "ours"];
        const row = { round: r, file: f.name, bytes: f.blob.size };
        for (const which of order) {
          const t = performance.now();
          const res = which === "ours" ? await ours.classify(f.blob, f.name) : await ortClassify(f.blob);
          row[`${which}_ms`] = performance.now() - t;
          row[`${which}_p`] = res.probability;
          if (which === "ours") row.ours_stages = res.timings;
        }
        rows.push(row);
      }
    }
    ours.terminate();
    return rows;
  },

  // Part (f), the reference side: a folder input as a web developer would add it, whose
  // files are classified one after another with onnxruntime-web (ortClassify, above).
  // Returns once the session is warm; the driver then picks a folder with setInputFiles
  // and awaits window.ortFolderRun (time from the change event to the last result).
  async ortFolderInput() {
    await ortSession();
    await ortClassify((await originals())[0].blob); // warm: the first run compiles
    const input = document.createElement("input");
    Object.assign(input, { type: "file", multiple: true, webkitdirectory: true });
    input.dataset.ortFolder = "";
    document.body.append(input);
    let done;
    window.armOrtFolder = () => {
      window.ortFolderRun = new Promise((resolve) => (done = resolve));
    };
    input.addEventListener("change", async (event) => {
      const selectedAt = event.timeStamp;
      const path = (f) => f.webkitRelativePath || f.name;
      const files = [...input.files].filter((f) => !path(f).split("/").some((p) => p.startsWith(".")));
      files.sort((a, b) => (path(a) < path(b) ? -1 : path(a) > path(b) ? 1 : 0));
      const probabilities = {};
      const stages = { decode_ms: 0, run_ms: 0 };
      let firstAt = null;
      for (const f of files) {
        const r = await ortClassify(f);
        probabilities[path(f)] = r.probability;
        stages.decode_ms += r.timings.decode_ms;
        stages.run_ms += r.timings.run_ms;
        firstAt ??= performance.now();
      }
      input.value = "";
      done({ selectedAt, firstAt, lastAt: performance.now(), n: files.length, probabilities, stages });
    });
  },

  // Classify n files (the originals, repeated) in one session with the app's worker;
  // calls window.benchMark(i) (exposed by the driver, which reads memory) at each mark.
  async memory(n, marks) {
    const files = await originals();
    const ours = await ourClassifier();
    const uaMemory = async () => {
      if (!self.crossOriginIsolated || !performance.measureUserAgentSpecificMemory) return null;
      const m = await performance.measureUserAgentSpecificMemory();
      const byScope = {};
      for (const b of m.breakdown) {
        for (const a of b.attribution) byScope[a.scope] = (byScope[a.scope] ?? 0) + b.bytes;
        if (!b.attribution.length) byScope.shared = (byScope.shared ?? 0) + b.bytes;
      }
      return { bytes: m.bytes, byScope };
    };
    const samples = [];
    for (let i = 1; i <= n; i++) {
      const f = files[(i - 1) % files.length];
      await ours.classify(f.blob, f.name);
      if (marks.includes(i)) samples.push({ files: i, ua: await uaMemory(), driver: await window.benchMark(i) });
    }
    ours.terminate();
    return { samples, crossOriginIsolated: self.crossOriginIsolated };
  },
};
window.benchReady = true;
