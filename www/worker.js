// Module worker: loads the wasm classifier and the model, then classifies files one
// message at a time, so that the page itself never computes.
// Protocol (the other side is loadWasm in client.js):
//   worker → main: {type:"progress", loaded, total} (bytes of the wasm and the model),
//                  {type:"retry", attempt, delay_ms, detail} (a download was cut off and
//                  is tried again), {type:"ready", card, init_ms, simd},
//                  {type:"failed", message, code, params} (code "download_failed" when
//                  the retries ran out), {type:"result", id, result},
//                  {type:"view", id, view} (view: {width, height, bits, format,
//                  samples: Uint16Array}, transferred; the full-size image for the viewer),
//                  {type:"decoders"} (the module with every decoder was loaded),
//                  (a result's `thumbnail`: a small PNG Blob of the model's input at the
//                  file's proportions, src/thumbnail.rs, where asked for; else null)
//                  {type:"error", id, message, code, params, fatal?} (code and params: the
//                  core's, see client.js; fatal: the wasm trapped; this worker closes)
//   main → worker: {type:"classify" | "view", id, name, blob: Blob} (the worker reads
//                  it) or {…, bytes: ArrayBuffer} (transferred); a classify's
//                  `thumbnail: true` asks for the result's thumbnail
import "./simd.js"; // sets self.PNEUMOSCAN_WASM: which build this browser runs
import init, { WebClassifier } from "./pneumoscan.js";
import { download } from "./download.js";

const messageOf = (e) => String(e?.message ?? e);

// What the page waits for on a first visit: the WebAssembly and the model, each fetched
// by download.js (progress, retries with backoff, resumption with Range). Their sizes come
// from simd.js (cargo xtask dist writes them in) and from the model card, exact even when
// the answers are compressed; progress counts the two together once both are known (the
// model alone where simd.js has no size).
const WASM_BYTES = Number(self.PNEUMOSCAN_WASM.bytes) > 0 ? Number(self.PNEUMOSCAN_WASM.bytes) : 0;
const received = { wasm: [0, WASM_BYTES], model: [0, 0] }; // [bytes received, bytes expected]

function reportProgress(which, loaded, total) {
  received[which] = [loaded, total];
  const parts = WASM_BYTES ? [received.wasm, received.model] : [received.model];
  if (parts.some(([, expected]) => !expected)) return; // a total not known yet
  const sum = (i) => parts.reduce((n, part) => n + part[i], 0);
  postMessage({ type: "progress", loaded: sum(0), total: Math.max(sum(1), sum(0)) });
}

const reportRetry = ({ attempt, delayMs, detail }) =>
  postMessage({ type: "retry", attempt, delay_ms: delayMs, detail });

// Fetches the model (its NNEF form), posting progress as it streams in; the total comes from the
// model card, else from Content-Length.
function fetchModel(expectedBytes) {
  reportProgress("model", 0, expectedBytes); // the total shows before the first byte
  return download(new URL("./pneumonia.nnef.tar", import.meta.url), {
    expected: expectedBytes,
    onProgress: (loaded, total) => reportProgress("model", loaded, total),
    onRetry: reportRetry,
  });
}

// Compiles the WebAssembly as it streams in (and from the browser's code cache on later
// visits), counting a clone of the answer; if the stream is cut off, the download goes on
// from where it stopped and the bytes are compiled once complete.
async function initWasm() {
  const url = new URL(self.PNEUMOSCAN_WASM.file, import.meta.url);
  const options = {
    expected: WASM_BYTES,
    onProgress: (loaded, total) => reportProgress("wasm", loaded, total),
    onRetry: reportRetry,
  };
  const streaming = new AbortController();
  let response = null;
  try {
    response = await fetch(url, { signal: streaming.signal });
  } catch {
    // Not even an answer: download() tries again.
  }
  if (!response?.ok || !response.body) {
    await init({ module_or_path: await download(url, { ...options, first: response }) });
    return;
  }
  // Once the clone's attempt fails (cut off, or stalled: download() gives up on it), the
  // compiler's stream is stopped too, so that the bytes compile once they are complete.
  const onRetry = (retry) => {
    streaming.abort();
    reportRetry(retry);
  };
  const bytes = download(url, { ...options, first: response.clone(), onRetry });
  bytes.catch(() => {}); // awaited below only if streaming failed
  try {
    await init({ module_or_path: response });
  } catch {
    // Most likely cut off; a module that does not compile fails again here, with its reason.
    await init({ module_or_path: await bytes });
  }
}

async function start() {
  const wasm = initWasm(); // compiles while the card and the model download
  wasm.catch(() => {}); // awaited below; a failed card download must not leave it unheeded
  const cardText = new TextDecoder().decode(
    await download(new URL("./model.json", import.meta.url), { onRetry: reportRetry }),
  );
  // The bundle's card names the model's NNEF form (cargo xtask dist writes it).
  const expectedBytes = Number(JSON.parse(cardText)?.nnef?.bytes) || 0;
  const [, bytes] = await Promise.all([wasm, fetchModel(expectedBytes)]);
  const classifier = new WebClassifier(cardText, bytes);
  model = { cardText, bytes };
  // performance.now() counts from the worker's start: download, compile and model build.
  postMessage({
    type: "ready",
    card: classifier.card(),
    init_ms: Math.round(performance.now()),
    simd: self.PNEUMOSCAN_WASM.simd,
  });
  return classifier;
}

// The card and model bytes, kept for the second module (below).
let model = null;

// The module with every decoder (DICOM, TIFF, JPEG 2000, JPEG-LS, PNM, BMP, GIF, WebP;
// src/sniff.rs), fetched the first time a file needs it: the first module reads PNG and
// JPEG only and answers other formats with the code "decoder_not_loaded". The same Rust
// code, the same model, the same numbers. The service worker caches it once fetched.
let full = null;
function fullClassifier() {
  full ??= (async () => {
    const { glue, file } = self.PNEUMOSCAN_WASM.full;
    const module = await import(new URL(glue, import.meta.url));
    await module.default({ module_or_path: new URL(file, import.meta.url) });
    const classifier = new module.WebClassifier(model.cardText, model.bytes);
    postMessage({ type: "decoders" });
    return classifier;
  })();
  // A failed download is tried again for the next file that needs it.
  full.catch(() => {
    full = null;
  });
  return full;
}

/**
 * `work(classifier)` with the first module's classifier, or with the second's when the
 * file's format needs a decoder only the second has.
 */
async function withDecoders(classifier, work) {
  try {
    return work(classifier);
  } catch (e) {
    if (e?.code !== "decoder_not_loaded") throw e;
    const format = e.params?.format ?? "";
    let second;
    try {
      second = await fullClassifier();
    } catch (cause) {
      throw Object.assign(new Error(`could not load the ${format} decoder (${messageOf(cause)})`), {
        code: "decoder_unavailable",
        params: { format, detail: messageOf(cause) },
      });
    }
    return work(second);
  }
}

// A result card's thumbnail: its longer side in pixels (a card shows it at most 11rem =
// 176 CSS px; the model's 224 px plane is the most detail there is).
const THUMBNAIL_SIDE = 224;

const ready = start();
ready.catch((e) =>
  postMessage({ type: "failed", message: messageOf(e), code: e?.code ?? null, params: e?.params ?? null }),
);

// Set once the WebAssembly has trapped: its state may be half-updated, so it is not
// called again; the page starts a new worker (client.js).
let trapped = false;

// Installed synchronously, so requests that arrive before the model is ready wait on
// `ready`; promise reactions run in order, so they are answered in the order sent.
self.onmessage = async ({ data }) => {
  if (data?.type !== "classify" && data?.type !== "view") return;
  const { id, name } = data;
  try {
    // Read before waiting for the model: files dropped while it loads are read meanwhile.
    const bytes = data.bytes ?? (await data.blob.arrayBuffer());
    const classifier = await ready;
    if (trapped) return; // the page sends this file again to the new worker
    const input = new Uint8Array(bytes);
    if (data.type === "view") {
      const view = await withDecoders(classifier, (c) => c.view(input));
      postMessage({ type: "view", id, view }, [view.samples.buffer]);
      return;
    }
    const filename = String(name ?? "");
    const result = await withDecoders(classifier, (c) =>
      data.thumbnail ? c.classify_with_thumbnail(input, filename, THUMBNAIL_SIDE) : c.classify(input, filename),
    );
    result.thumbnail = result.thumbnail ? new Blob([result.thumbnail], { type: "image/png" }) : null;
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
