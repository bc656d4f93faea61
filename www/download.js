// One file of the bundle downloaded into memory, for the worker (worker.js: the model and
// the WebAssembly): progress in bytes, retries with backoff, and resumption with an HTTP
// Range request where the server allows it, so that a slow or flaky connection loses
// neither the bytes already received nor the files waiting on the page.
//
// Resuming: after an interruption, the rest is asked for as `Range: bytes=RECEIVED-`
// when the earlier response said `Accept-Ranges: bytes`, or was same-origin and did not
// say `Accept-Ranges: none` (nginx sends no Accept-Ranges with a precompressed `.gz`
// answer, yet serves ranges of the file itself; `pneumoscan serve` sends it with both).
// A browser asks for a range with `Accept-Encoding: identity` (Fetch), so the range is
// counted in the file's own bytes, which are the ones counted here. The answer is used
// only if it is a 206 whose Content-Range starts where the bytes stop and that carries no
// Content-Encoding; anything else (a 200, a 416, a range that does not fit) starts the
// file over. A range request bypasses the HTTP cache (`cache: "no-store"`), which would
// otherwise answer it against the compressed entry it holds. A cross-origin response
// hides Content-Range, so there the file is simply downloaded again.

/** Waits between attempts that brought no new byte: five retries, 31 s in all. */
export const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 16000];

/** A response that sends nothing for this long is abandoned and tried again. */
export const STALL_MS = 30_000;

/** HTTP statuses worth another try: the server or a proxy was busy or timed out. */
const TRANSIENT = new Set([408, 425, 429, 500, 502, 503, 504]);

const fileName = (url) => decodeURIComponent(new URL(url, "http://x/").pathname.split("/").pop() || String(url));

/** An error that ends the download at once (a 404 will not get better by waiting). */
class Permanent extends Error {}

/**
 * Downloads `url`; resolves to its bytes (a Uint8Array, decoded as the browser decodes a
 * compressed answer). Rejects with an Error whose `code` is "download_failed" and whose
 * `params` are {file, detail} once RETRY_DELAYS_MS.length attempts in a row brought no
 * new byte (an attempt that brought some is never held against it), or at once on an
 * HTTP error that waiting cannot mend.
 *
 * options.expected: the file's size in bytes when known (the bundle's model card's nnef.bytes),
 *   else 0: the total reported, and a body that ends short of it is resumed;
 * options.first: a Response for `url` already fetched, read as the first attempt (the
 *   worker streams the WebAssembly to the compiler and counts a clone of it here);
 * options.onProgress(received, total): after every chunk (total 0 while unknown);
 * options.onRetry({ attempt, delayMs, detail }): before each wait;
 * options.delays, options.stallMs, options.fetch: for tests.
 */
export async function download(url, options = {}) {
  const {
    expected = 0,
    first = null,
    onProgress,
    onRetry,
    delays = RETRY_DELAYS_MS,
    stallMs = STALL_MS,
    fetch: fetchImpl = globalThis.fetch,
  } = options;
  const file = fileName(url);
  let chunks = [];
  let received = 0;
  let total = expected;
  let rangeOk = false; // whether the server may answer a Range request
  let failures = 0; // attempts in a row that brought no new byte
  let given = first;

  const restart = () => {
    chunks = [];
    received = 0;
    total = expected;
  };

  for (;;) {
    const before = received;
    try {
      const done = await attempt();
      if (done) return concat(chunks, received);
      continue; // a range that did not fit (start over) or came in part (ask for the rest)
    } catch (error) {
      if (error instanceof Permanent) throw failed(file, error.message);
      failures = received > before ? 1 : failures + 1;
      if (failures > delays.length) throw failed(file, `${error.message} (after ${failures} attempts)`);
      const delayMs = delays[failures - 1];
      onRetry?.({ attempt: failures, delayMs, detail: error.message });
      await new Promise((wake) => setTimeout(wake, delayMs));
    }
  }

  /** One request and its body: true when the file is complete, false to ask again at once. */
  async function attempt() {
    const abort = new AbortController();
    let timer = 0;
    const watch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => abort.abort(new Error(`no data for ${Math.round(stallMs / 1000)} s`)), stallMs);
    };
    const resuming = received > 0 && rangeOk;
    const start = received;
    try {
      watch();
      let response = given;
      given = null;
      if (!response) {
        const init = { signal: abort.signal };
        if (resuming) Object.assign(init, { headers: { Range: `bytes=${received}-` }, cache: "no-store" });
        try {
          response = await fetchImpl(url, init);
        } catch (e) {
          throw new Error(abort.signal.aborted ? messageOf(abort.signal.reason) : `network error: ${messageOf(e)}`);
        }
      }
      if (resuming && response.status === 206) {
        if (!fitsRange(response)) {
          rangeOk = false; // the server cannot be trusted with ranges: whole files from now on
          await response.body?.cancel().catch(() => {});
          restart();
          return false;
        }
      } else if (response.status === 416 && resuming) {
        rangeOk = false;
        restart();
        return false;
      } else if (!response.ok) {
        const message = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
        throw TRANSIENT.has(response.status) ? new Error(message) : new Permanent(message);
      } else {
        // A whole file (a first answer, or a server or cache that ignored the range).
        restart();
        const ranges = response.headers.get("Accept-Ranges");
        rangeOk = ranges === "bytes" || (response.type === "basic" && ranges !== "none");
        const length = Number(response.headers.get("Content-Length")) || 0;
        if (!total && length && !response.headers.get("Content-Encoding")) total = length;
      }
      if (!response.body) {
        const bytes = new Uint8Array(await response.arrayBuffer());
        chunks.push(bytes);
        received += bytes.byteLength;
      } else {
        const reader = response.body.getReader();
        abort.signal.addEventListener("abort", () => reader.cancel(abort.signal.reason).catch(() => {}), { once: true });
        for (;;) {
          let step;
          try {
            step = await reader.read();
          } catch (e) {
            throw new Error(abort.signal.aborted ? messageOf(abort.signal.reason) : `interrupted: ${messageOf(e)}`);
          }
          if (abort.signal.aborted) throw new Error(messageOf(abort.signal.reason));
          if (step.done) break;
          watch();
          chunks.push(step.value);
          received += step.value.byteLength;
          onProgress?.(received, Math.max(total, received));
        }
      }
      if (expected && received > expected) {
        restart(); // more than the card says: not the file it describes
        throw new Error(`received more bytes than the ${expected} expected`);
      }
      if (total && received < total) {
        // A range answered in part (a cache can do that): ask for the rest at once.
        if (resuming && received > start) return false;
        throw new Error(`ended after ${received} of ${total} bytes`);
      }
      onProgress?.(received, Math.max(total, received));
      return true;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether a 206 answers `bytes=RECEIVED-` in the file's own bytes; sets the total. */
  function fitsRange(response) {
    const encoding = response.headers.get("Content-Encoding");
    if (encoding && encoding !== "identity") return false;
    const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get("Content-Range") ?? "");
    if (!match || Number(match[1]) !== received) return false;
    const size = match[3] === "*" ? 0 : Number(match[3]);
    if (expected && size && size !== expected) return false;
    if (size) total = size;
    return true;
  }
}

const messageOf = (e) => String(e?.message ?? e);

function failed(file, detail) {
  return Object.assign(new Error(`could not download ${file}: ${detail}`), {
    code: "download_failed",
    params: { file, detail },
  });
}

function concat(chunks, length) {
  if (chunks.length === 1 && chunks[0].byteLength === length) return chunks[0];
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
