// A small pool of wasm classifiers, one model per Web Worker, behind the same API as one
// (client.js loadWasm): classify(input, name, options) → Promise. Files are dealt to the least
// busy worker in the order they were asked for, up to DEPTH at a time each; every worker
// runs the same WebAssembly on the same model, so a file gets the same numbers whichever
// one takes it.
// Each member keeps its own restart-after-trap (client.js), so a trap costs one file and
// one worker's restart, never the rest of the pool.

/** The most workers a pool starts: each holds a model (tens of MB) and a core. */
export const MAX_WORKERS = 16;

/**
 * Files sent to one worker before its answers come back: the second waits in the
 * worker's own queue, read and posted while the first is classified, so a worker never
 * sits idle while the page reads the next file and posts it (bench/RESULTS.md (f): one
 * file at a time kept each worker busy 76 % of the wall time).
 */
export const DEPTH = 2;

/** min(cores, 4): what a page gets by default. */
export function defaultWorkers() {
  const cores = Number(globalThis.navigator?.hardwareConcurrency) || 1;
  return Math.max(1, Math.min(cores, 4));
}

/** `requested` as a whole number of workers in 1..MAX_WORKERS, else the default. */
export function workerCount(requested) {
  const n = Math.floor(Number(requested));
  return Number.isFinite(n) && n >= 1 ? Math.min(n, MAX_WORKERS) : defaultWorkers();
}

// A member that can no longer classify: its worker stopped and could not come back.
const DEAD = new Set(["classifier_restart_failed", "classifier_worker_failed", "classifier_stopped"]);

/**
 * Starts `size` members with `startMember(index)` (each resolves to a loadWasm API).
 * Resolves as soon as the first is ready, so the first file need not wait for the rest;
 * the others start then, in parallel, from the now-cached model, and join as they come.
 * Rejects if the first cannot start (the caller then falls back to the server). The API
 * adds `workers` (the pool's size) and `started` (members ready now).
 */
export async function loadPool(startMember, size) {
  const first = await startMember(0);
  const members = [{ api: first, inFlight: 0 }];
  const waiting = []; // {input, name, resolve, reject}, in the order asked
  let target = size;

  // The next file goes to the member with the fewest in flight (the first of them), so
  // idle workers are served before any gets a second file.
  const dispatch = () => {
    while (waiting.length) {
      let best = null;
      for (const member of members) {
        if (member.inFlight < DEPTH && (!best || member.inFlight < best.inFlight)) best = member;
      }
      if (!best) return;
      run(best, waiting.shift());
    }
  };

  const run = (member, job) => {
    member.inFlight += 1;
    member.api.classify(job.input, job.name, job.options).then(job.resolve, (error) => {
      if (DEAD.has(error?.code) && members.length > 1) {
        // Leave this member out; its file is answered with the error like any other.
        members.splice(members.indexOf(member), 1);
        target = members.length;
      }
      job.reject(error);
    }).finally(() => {
      member.inFlight -= 1;
      dispatch();
    });
  };

  for (let index = 1; index < size; index++) {
    startMember(index).then(
      (api) => {
        members.push({ api, inFlight: 0 });
        dispatch();
      },
      (error) => {
        target -= 1;
        console.warn(`Pneumoscan: worker ${index + 1} of ${size} could not start; using the others.`, error);
      },
    );
  }

  return {
    path: first.path,
    card: first.card,
    initMs: first.initMs,
    simd: first.simd,
    /** The pool's size: how many files can be classified at once. */
    get workers() {
      return target;
    },
    /** How many files a caller should keep asked for at once to keep every worker busy. */
    get inFlight() {
      return target * DEPTH;
    },
    /** Workers ready now (the rest are still starting). */
    get started() {
      return members.length;
    },
    get restarts() {
      return members.reduce((sum, m) => sum + (m.api.restarts ?? 0), 0);
    },
    classify: (input, name, options) =>
      new Promise((resolve, reject) => {
        waiting.push({ input, name, options, resolve, reject });
        dispatch();
      }),
    /**
     * The viewer's image of `input` (client.js view), ahead of the files waiting: from
     * the member with the fewest files in flight (which answers after those) among those
     * that have loaded the module with every decoder, if any has: the images that need
     * the core are mostly DICOM, TIFF and JPEG 2000, and another member would download
     * that module again for them.
     */
    view: (input) => {
      const loaded = members.filter((m) => m.api.decoders);
      const candidates = loaded.length ? loaded : members;
      const member = candidates.reduce((best, m) => (m.inFlight < best.inFlight ? m : best));
      return member.api.view(input);
    },
    terminate: () => {
      for (const member of members) member.api.terminate();
      const error = Object.assign(new Error("the classifier was stopped"), { code: "classifier_stopped", params: {} });
      for (const job of waiting.splice(0)) job.reject(error);
    },
  };
}
