// The classifier without any UI, for pages that bring their own:
//
//   import { loadClassifier } from "https://example.org/pneumoscan/client.js";
//   const c = await loadClassifier({ onProgress: ({ loaded, total }) => … });
//   const result = await c.classify(file);   // File, Blob, ArrayBuffer or Uint8Array
//
// Normally classification runs in a module worker on WebAssembly, so images never leave
// the device (path "wasm"). Where WebAssembly or the worker cannot start, it falls back to
// POSTing each file to the site's server (path "server"); callers should say so to users.
//
// `classify(input, name, { thumbnail: true })` asks for the result's `thumbnail` as well
// (wasm path): a small PNG Blob of the image the model saw, at the file's proportions (at
// most 224 px a side), for showing beside the result without decoding the file again;
// null where not asked for or none could be made, absent on the "server" path.
//
// Refused results carry `code` and `params` beside the English `message`; a file that
// cannot be classified rejects with an Error whose `code` and `params` are set (the
// core's codes, the server's, or one of CLIENT_CODES), on both paths alike.

import { loadPool, workerCount } from "./pool.js";

const workerUrl = new URL("./worker.js", import.meta.url);

/** The codes of the errors this module (and its worker) raise themselves. */
export const CLIENT_CODES = [
  "classifier_stopped", // terminate() was called with files still waiting
  "classifier_crashed", // the WebAssembly trapped on this file; a new worker takes the rest
  "classifier_restart_failed", // the new worker could not start
  "classifier_worker_failed", // the worker stopped with an error event
  "classifier_unavailable", // no classifier at all (the UI's, when loadClassifier rejects)
  "decoder_unavailable", // the module with every decoder (worker.js) could not be loaded
  "download_failed", // the WebAssembly or the model could not be downloaded, retries spent
  "server_unreachable", // the fallback's request did not reach the server
  "server_http_error", // the server answered without a code (e.g. 408, a proxy's 502)
];

/** An Error with the stable `code` and the `params` of its message set on it. */
function problem(message, code, params = {}) {
  return Object.assign(new Error(message), { code, params });
}

// A worker script must be same-origin with the page. When this module is embedded on a
// page of another origin, start a same-origin blob worker that imports the real one
// (the assets are served with CORS); worker.js resolves its own assets from its URL.
function startWorker() {
  if (workerUrl.origin === location.origin) {
    return new Worker(workerUrl, { type: "module" });
  }
  const source = `import ${JSON.stringify(workerUrl.href)};`;
  const blobUrl = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const worker = new Worker(blobUrl, { type: "module" });
  // The blob is fetched when the worker starts; give it a moment before revoking.
  setTimeout(() => URL.revokeObjectURL(blobUrl), 10_000);
  return worker;
}

/** Resolves to a File/Blob for upload and its name. */
function asBlob(input, name) {
  if (input instanceof Blob) return { blob: input, name: name ?? input.name ?? "upload" };
  return { blob: new Blob([input]), name: name ?? "upload" };
}

/** Copies the input into a fresh ArrayBuffer that can be transferred to the worker. */
async function asArrayBuffer(input) {
  if (input instanceof Blob) return input.arrayBuffer();
  if (input instanceof ArrayBuffer) return input.slice(0);
  if (ArrayBuffer.isView(input)) {
    return new Uint8Array(input.buffer, input.byteOffset, input.byteLength).slice().buffer;
  }
  throw new TypeError("classify() takes a File, a Blob, an ArrayBuffer or a Uint8Array");
}

/**
 * Starts the wasm worker; resolves once the model is ready, rejects if it cannot start.
 *
 * A trap inside the WebAssembly (a Rust panic or an allocation failure: none is known,
 * the fuzzers look for them) leaves that instance unusable. The worker then reports the
 * file it was classifying as `fatal` and closes; this starts a fresh worker and sends it
 * every file still waiting, so one file never costs the rest of a batch.
 */
function loadWasm(onProgress, onRetry) {
  return new Promise((resolve, reject) => {
    const pending = new Map(); // id → {resolve, reject, input, name}, in the order sent
    let nextId = 1;
    let worker = null;
    let ready = false;

    const failAll = (message, code, params) => {
      for (const { reject: rejectOne } of pending.values()) rejectOne(problem(message, code, params));
      pending.clear();
    };

    // Posts one waiting file to the current worker. A File or Blob goes as it is (a
    // handle: the worker reads its bytes, off the page's thread); bytes are copied and
    // transferred, so a restart copies them again from the caller's input.
    const send = async (id) => {
      const { kind, name, input, thumbnail } = pending.get(id);
      if (input instanceof Blob) {
        worker.postMessage({ type: kind, id, name, blob: input, thumbnail });
        return;
      }
      const bytes = await asArrayBuffer(input);
      if (pending.has(id)) worker.postMessage({ type: kind, id, name, bytes, thumbnail }, [bytes]);
    };

    // Sends `input` for `kind` ("classify" or "view"); resolves with the worker's answer.
    const ask = (kind, input, name, thumbnail = false) => {
      if (!(input instanceof Blob || input instanceof ArrayBuffer || ArrayBuffer.isView(input))) {
        return Promise.reject(new TypeError("classify() takes a File, a Blob, an ArrayBuffer or a Uint8Array"));
      }
      const id = nextId++;
      return new Promise((resolveOne, rejectOne) => {
        pending.set(id, { kind, resolve: resolveOne, reject: rejectOne, input, name, thumbnail });
        send(id).catch((e) => {
          pending.delete(id);
          rejectOne(e);
        });
      });
    };

    const api = {
      path: "wasm",
      card: null,
      initMs: null,
      simd: null,
      restarts: 0,
      decoders: false, // the worker has loaded the module with every decoder
      classify: (input, name, options) =>
        ask("classify", input, name ?? input?.name ?? "upload", Boolean(options?.thumbnail)),
      /**
       * The file's image for the viewer, decoded by the core at full size: {width,
       * height, bits, format, samples} (samples: a Uint16Array of grey values in
       * 0..2^bits, row by row). Rejects with the core's error, as classify does.
       */
      view: (input) => ask("view", input, input?.name ?? "upload"),
      terminate: () => {
        worker.terminate();
        failAll("the classifier was stopped", "classifier_stopped");
      },
    };

    // A fresh worker in place of one whose WebAssembly trapped; the waiting files go to it
    // in their order (a worker queues messages until its model is ready).
    const restart = async () => {
      worker.terminate();
      api.restarts += 1;
      start();
      api.decoders = false;
      for (const id of [...pending.keys()]) await send(id);
    };

    const onMessage = (from) => ({ data }) => {
      if (from !== worker) return; // a worker already replaced
      switch (data?.type) {
        case "progress":
          if (!ready) onProgress?.({ loaded: data.loaded, total: data.total });
          break;
        case "retry":
          if (!ready) onRetry?.({ attempt: data.attempt, delayMs: data.delay_ms, detail: data.detail });
          break;
        case "ready":
          if (!ready) {
            ready = true;
            api.card = data.card;
            api.initMs = data.init_ms;
            api.simd = data.simd;
            resolve(api);
          }
          break;
        case "failed":
          worker.terminate();
          if (!ready) reject(data.code ? problem(data.message, data.code, data.params ?? {}) : new Error(data.message));
          else restartFailed(data.message);
          break;
        case "decoders":
          // The worker loaded the module with every decoder: have the service worker keep
          // it for offline use (it may not see the worker's own requests).
          globalThis.navigator?.serviceWorker?.controller?.postMessage({ type: "CACHE_LATER" });
          api.decoders = true;
          break;
        case "result":
        case "view":
        case "error": {
          const request = pending.get(data.id);
          if (!request) break;
          pending.delete(data.id);
          if (data.type === "result") request.resolve({ ...data.result, path: "wasm" });
          else if (data.type === "view") request.resolve(data.view);
          else request.reject(problem(data.message, data.code, data.params));
          if (data.fatal) restart().catch((e) => restartFailed(e.message));
          break;
        }
      }
    };

    const restartFailed = (detail) =>
      failAll(`the classifier could not restart: ${detail}`, "classifier_restart_failed", { detail });

    // A worker that cannot load (missing script, syntax error, CSP) fires `error`.
    const onError = (from) => (event) => {
      if (from !== worker) return;
      const detail = event.message || "no reason given";
      worker.terminate();
      if (!ready) reject(new Error(detail));
      else failAll(`the classifier worker stopped: ${detail}`, "classifier_worker_failed", { detail });
    };

    const start = () => {
      const next = startWorker();
      worker = next;
      next.addEventListener("message", onMessage(next));
      next.addEventListener("error", onError(next));
    };

    try {
      start();
    } catch (e) {
      reject(e);
    }
  });
}

/** The server-side classifier: POST /predict, results shaped like the wasm ones. */
async function loadServer(base) {
  const predictUrl = new URL("./predict", base ?? import.meta.url);
  // The model card is a static file of the bundle; without it the UI shows no name.
  let card = null;
  try {
    const response = await fetch(new URL("./model.json", import.meta.url));
    if (response.ok) card = await response.json();
  } catch {
    // Leave the card unknown: classification does not need it.
  }

  async function post(blob, name) {
    // The server answers 503 + Retry-After when every slot is busy: wait and retry a few times.
    for (let attempt = 0; ; attempt++) {
      const form = new FormData();
      form.append("file", blob, name);
      let response;
      try {
        response = await fetch(predictUrl, { method: "POST", body: form });
      } catch (e) {
        throw problem(`could not reach the server (${e.message})`, "server_unreachable", { detail: e.message });
      }
      if (response.status !== 503 || attempt >= 4) return response;
      const seconds = Number(response.headers.get("Retry-After")) || 1;
      await new Promise((wake) => setTimeout(wake, Math.min(seconds, 10) * 1000));
    }
  }

  return {
    path: "server",
    card,
    initMs: null,
    classify: async (input, name) => {
      const upload = asBlob(input, name ?? input?.name);
      const response = await post(upload.blob, upload.name);
      const body = await response.json().catch(() => ({}));
      if (response.status === 200) {
        return { ...body, status: "ok", path: "server" };
      }
      if (response.status === 422) {
        return {
          filename: body.filename ?? upload.name,
          status: "refused",
          prediction: null,
          message: body.message ?? "not a chest X-ray",
          code: body.code ?? null,
          params: body.params ?? null,
          path: "server",
        };
      }
      if (body.error && body.code) throw problem(body.error, body.code, body.params ?? {});
      const { status, statusText } = response;
      throw problem(
        body.error || `the server could not classify it (HTTP ${status} ${statusText})`,
        "server_http_error",
        { status: String(status), status_text: statusText },
      );
    },
    terminate: () => {},
  };
}

/**
 * Loads the classifier. `base` is where the server's `./predict` lives (default: beside
 * this module); `onProgress({loaded, total})` reports the download of the WebAssembly and
 * the model in bytes (decoded bytes, as the total is); `onRetry({attempt, delayMs,
 * detail})` says that a download was cut off and is tried again in `delayMs` (resumed
 * where the server allows it); `workers` is how many wasm workers classify at once, one
 * model each (default min(cores, 4), see pool.js). Resolves to {path: "wasm"|"server",
 * card, initMs, simd, workers, classify(input, name, options), view(input) (wasm only: the
 * viewer's full-size image, see loadWasm), terminate()}; `simd` is the
 * WebAssembly build in use, "relaxed" or "simd128" (null on the server path, which has no
 * `workers`).
 *
 * Rejects with an Error whose `code` is "download_failed" when the WebAssembly or the
 * model could not be downloaded after the retries: the connection, not the browser, is
 * at fault, so the files are not sent to the server instead; call it again to retry.
 */
export async function loadClassifier({ base, onProgress, onRetry, workers } = {}) {
  if (typeof WebAssembly === "object" && typeof Worker === "function") {
    try {
      // The first worker reports the download; the others start once it is cached.
      const first = (index) => (index === 0 ? [onProgress, onRetry] : []);
      return await loadPool((index) => loadWasm(...first(index)), workerCount(workers));
    } catch (e) {
      if (e?.code === "download_failed") throw e;
      console.warn("Pneumoscan: the in-browser classifier could not start; using the server.", e);
    }
  }
  return loadServer(base);
}
