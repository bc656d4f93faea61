// onnxruntime-web's smallest bundle for the wasm execution provider (ort.wasm.min.mjs,
// which loads ort-wasm-simd-threaded.{mjs,wasm}), one thread, then the model.
import * as ort from "./ort.wasm.min.mjs";

const root = document.querySelector("[data-model-state]");
try {
  ort.env.wasm.wasmPaths = new URL("./", import.meta.url).href;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const session = await ort.InferenceSession.create("./pneumonia.onnx", { executionProviders: ["wasm"] });
  window.session = session;
  root.dataset.modelState = "ready";
} catch (e) {
  root.dataset.modelState = "error";
  root.dataset.error = String(e?.message ?? e);
}
