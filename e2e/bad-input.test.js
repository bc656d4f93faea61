// The bad-input corpus in the browser: the files tests/bad_input.rs writes to
// $PNEUMOSCAN_FIXTURES/bad-input/ (tests/run.sh sets it), dropped on the page all at once.
// Each gets the status its manifest allows, the same as the native core's, with the
// message or warning the manifest names; the page raises no error, sends nothing
// anywhere, and still classifies a real X-ray afterwards.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import * as h from "./harness.js";

let nginx, browser, dir, manifest;

before(async () => {
  h.requireSetup();
  const fixtures = process.env.PNEUMOSCAN_FIXTURES;
  dir = fixtures && join(fixtures, "bad-input");
  assert.ok(
    dir && existsSync(join(dir, "manifest.json")),
    `PNEUMOSCAN_FIXTURES=${fixtures} must hold bad-input/manifest.json: run ` +
      "PNEUMOSCAN_WRITE_FIXTURES=DIR cargo test --features native --test bad_input write_fixtures_for_the_browser " +
      "(tests/run.sh does)",
  );
  manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  nginx = await h.startNginx();
  browser = await h.launch();
});

after(async () => {
  await h.closeAll(browser, nginx);
});

test("the whole bad-input corpus dropped at once: every file its expected status, nothing breaks", async () => {
  const { context, log } = await h.watchedContext(browser);
  const page = await context.newPage();
  await page.goto(`${nginx.origin}/`);
  await h.waitReady(page);

  const files = manifest.files;
  assert.ok(files.length >= 30, `${files.length} corpus files`);
  await h.dropFiles(
    page,
    files.map((f) => ({ path: join(dir, f.name) })),
  );
  // One at a time in the worker; the 512 MiB zero bomb and the 9000 x 7000 JPEG take
  // seconds each.
  const results = await h.settledResults(page, files.length, 300_000);
  assert.deepEqual(
    results.map((r) => r.filename),
    files.map((f) => f.name),
  );
  const failures = [];
  for (const [i, r] of results.entries()) {
    const f = files[i];
    const text = r.text.replace(/\s+/g, " ");
    if (!f.statuses.includes(r.status)) {
      failures.push(`${f.name}: status ${r.status}, expected one of ${f.statuses}: ${text}`);
    }
    // The same core in wasm: the same answer as natively.
    if (r.status !== f.native.status) {
      failures.push(`${f.name}: browser says ${r.status}, the native core ${f.native.status}: ${text}`);
    }
    // The same stable code as natively (data-code; none for a result that is ok).
    if (r.code !== (f.native.code ?? null)) {
      failures.push(`${f.name}: browser code ${r.code}, the native core's ${f.native.code}: ${text}`);
    }
    if (f.message_contains && !text.includes(f.message_contains)) {
      failures.push(`${f.name}: the page does not say "${f.message_contains}": ${text}`);
    }
    if (f.warning_contains && r.status === "ok" && !text.includes(f.warning_contains)) {
      failures.push(`${f.name}: no warning "${f.warning_contains}": ${text}`);
    }
    if (r.status === "error" && r.prediction !== null) {
      failures.push(`${f.name}: an error with a prediction (${r.prediction})`);
    }
  }
  assert.deepEqual(failures, []);
  assert.deepEqual(log.errors, []);
  assert.deepEqual(log.dialogs, []);
  assert.deepEqual(h.leaks(log, [nginx.origin]), []);

  // After all that, a real X-ray is still classified, with the CLI's probability.
  const xray = h.originals().find((f) => f.includes("PNEUMONIA"));
  await h.dropFiles(page, [{ path: xray }]);
  const all = await h.settledResults(page, files.length + 1, 60_000);
  const last = all.at(-1);
  const cli = h.cliResults([xray])[basename(xray)];
  assert.equal(last.filename, basename(xray));
  assert.equal(last.status, cli.status, last.text);
  assert.equal(last.prediction, cli.prediction);
  assert.ok(Math.abs(Number(last.probability) - cli.probability) <= 1e-4, `${last.probability} vs ${cli.probability}`);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("a file that makes the WebAssembly trap costs only its own result: a new worker takes the rest", async () => {
  const { context, log } = await h.watchedContext(browser);
  const page = await context.newPage();
  await page.goto(`${nginx.origin}/`);
  await h.waitReady(page);

  // No file is known to make the wasm trap (the fuzzers find none), so the test makes
  // one: inside the page's real worker, the Uint8Array made from one marked file claims
  // to hold 3.9 GB, so the real wasm-bindgen glue asks the WebAssembly for that much,
  // and its allocator aborts, which is a trap (RuntimeError: unreachable), as a Rust
  // panic would be. Every worker of the pool (data-workers: one model each) is patched, so
  // whichever takes the marked file traps; the one started after it is not.
  const MARK = "pneumoscan-e2e: trap here";
  const size = Number(await page.locator("[data-model-state]").getAttribute("data-workers"));
  for (let i = 0; i < 300 && page.workers().length < size; i++) await page.waitForTimeout(100);
  const workers = page.workers();
  assert.equal(workers.length, size, "one classifier worker per member of the pool");
  const patch = (mark) => {
    const Real = self.Uint8Array;
    self.Uint8Array = new Proxy(Real, {
      construct(target, args, newTarget) {
        const array = Reflect.construct(target, args, newTarget);
        const [buffer] = args;
        if (buffer instanceof ArrayBuffer && buffer.byteLength === mark.length) {
          const text = String.fromCharCode(...new Real(buffer));
          if (text === mark) Object.defineProperty(array, "length", { value: 3_900_000_000 });
        }
        return array;
      },
    });
  };
  for (const worker of workers) await worker.evaluate(patch, MARK);

  const xrays = h.originals().slice(0, 3);
  await h.dropFiles(page, [
    { path: xrays[0] },
    { name: "trap.jpeg", type: "image/jpeg", bytes: Buffer.from(MARK) },
    { path: xrays[1] },
    { path: xrays[2] },
  ]);
  const results = await h.settledResults(page, 4, 120_000);
  assert.deepEqual(
    results.map((r) => r.status),
    ["ok", "error", "ok", "ok"],
    results.map((r) => r.text).join("\n"),
  );
  assert.match(results[1].text, /crashed on this file/);
  const cli = h.cliResults(xrays);
  for (const [i, r] of [results[0], results[2], results[3]].entries()) {
    const expected = cli[basename(xrays[i])];
    assert.equal(r.prediction, expected.prediction, r.filename);
    assert.ok(Math.abs(Number(r.probability) - expected.probability) <= 1e-4, `${r.filename}: ${r.probability}`);
  }
  assert.equal(page.workers().length, size, "the trapped worker is gone, its successor runs");
  assert.deepEqual(log.errors, []);
  assert.deepEqual(log.dialogs, []);
  assert.deepEqual(h.leaks(log, [nginx.origin]), []);
  await context.close();
});
