// Module worker: loads the wasm classifier and the model, then classifies files one
// message at a time, so that the page itself never computes.
// Protocol (the other side is loadWasm in client.js):
//   worker → main: {type:"progress", loaded, total}, {type:"ready", card, init_ms, simd},
//                  {type:"failed", message}, {type:"result", id, result},
//                  {type:"error", id, message, code, params, fatal?} (code and params: the
//                  core's, see client.js; fatal: the wasm trapped; this worker closes)
//   main → worker: {type:"classify", id, name, bytes: ArrayBuffer}
import "./simd.js"; // sets self.PNEUMOSCAN_WASM: which build this browser runs
import init, { WebClassifier } from "./pneumoscan.js";

const messageOf = (e) => String(e?.message ?? e);

// Fetches the ONNX model, posting progress as it streams in. The total comes from the
// model card (exact even when the response is compressed), else from Content-Length.
async function fetchModel(expectedBytes) {
  const response = await fetch(new URL("./pneumonia.onnx", import.meta.url));
  if (!response.ok) throw new Error(`could not download the model (HTTP ${response.status})`);
  const total = expectedBytes || Number(response.headers.get("Content-Length")) || 0;
  if (!response.body) return new Uint8Array(await response.arrayBuffer());

  const chunks = [];
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    postMessage({ type: "progress", loaded, total: Math.max(total, loaded) });
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

async function start() {
  const cardResponse = await fetch(new URL("./model.json", import.meta.url));
  if (!cardResponse.ok) throw new Error(`could not download the model card (HTTP ${cardResponse.status})`);
  const cardText = await cardResponse.text();
  const expectedBytes = Number(JSON.parse(cardText)?.onnx?.bytes) || 0;

  // The wasm module compiles while the model downloads.
  const [, onnx] = await Promise.all([
    init({ module_or_path: new URL(self.PNEUMOSCAN_WASM.file, import.meta.url) }),
    fetchModel(expectedBytes),
  ]);
  const classifier = new WebClassifier(cardText, onnx);
  // performance.now() counts from the worker's start: download, compile and model build.
  postMessage({
    type: "ready",
    card: classifier.card(),
    init_ms: Math.round(performance.now()),
    simd: self.PNEUMOSCAN_WASM.simd,
  });
  return classifier;
}

const ready = start();
ready.catch((e) => postMessage({ type: "failed", message: messageOf(e) }));

// Set once the WebAssembly has trapped: its state may be half-updated, so it is not
// called again; the page starts a new worker (client.js).
let trapped = false;

// Installed synchronously, so requests that arrive before the model is ready wait on
// `ready`; promise reactions run in order, so they are answered in the order sent.
self.onmessage = async ({ data }) => {
  if (data?.type !== "classify") return;
  const { id, name, bytes } = data;
  try {
    const classifier = await ready;
    if (trapped) return; // the page sends this file again to the new worker
    const result = classifier.classify(new Uint8Array(bytes), String(name ?? ""));
    postMessage({ type: "result", id, result });
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      // A trap (a Rust panic, an allocation failure): this file's answer, and the end of
      // this worker.
      trapped = true;
      postMessage({
        type: "error",
        id,
        fatal: true,
        message: `the classifier crashed on this file (${messageOf(e)}); it was restarted for the other files`,
        code: "classifier_crashed",
        params: { detail: messageOf(e) },
      });
      self.close();
      return;
    }
    // The core's errors carry `code` and `params` (src/web.rs); anything else has neither.
    postMessage({ type: "error", id, message: messageOf(e), code: e?.code ?? null, params: e?.params ?? null });
  }
};
