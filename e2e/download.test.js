// www/download.js without a browser: Node's fetch against a small HTTP server that cuts
// answers off, stalls, fails or ignores ranges. A cut-off download resumes with
// `Range: bytes=RECEIVED-` where the server allows it (206 with a Content-Range that
// fits), starts over where it does not, waits between attempts that bring nothing, and
// gives up with the code "download_failed" after the retries or at once on a 404.
//
//   node --test e2e/download.test.js

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { download } from "../www/download.js";

const FILE = randomBytes(300_000);
const DELAYS = [10, 20, 40];
let server, origin;
let handler = () => {};
let requests = [];

before(async () => {
  server = createServer((req, res) => {
    requests.push({ url: req.url, range: req.headers.range ?? null });
    handler(req, res, requests.length);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  origin = `http://127.0.0.1:${server.address().port}`;
});

after(() => new Promise((ok) => server.close(ok)));

/** Sets how the server answers: `serve(req, res, n)`, n counting from 1 per test. */
function answer(serve) {
  requests = [];
  handler = serve;
}

/** Answers a range request with a 206, anything else with the whole file. */
function whole(req, res, { ranges = true, gzip = false } = {}) {
  const match = ranges && /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  if (match) {
    const start = Number(match[1]);
    res.writeHead(206, {
      "content-length": FILE.length - start,
      "content-range": `bytes ${start}-${FILE.length - 1}/${FILE.length}`,
      "accept-ranges": "bytes",
    });
    return res.end(FILE.subarray(start));
  }
  const body = gzip ? gzipSync(FILE) : FILE;
  res.writeHead(200, {
    "content-length": body.length,
    ...(ranges && !gzip ? { "accept-ranges": "bytes" } : {}),
    ...(gzip ? { "content-encoding": "gzip" } : {}),
  });
  res.end(body);
}

/** Sends the headers and the first `bytes` of the body, then drops the connection. */
function cutOff(res, bytes, { gzip = false, ranges = true } = {}) {
  const body = gzip ? gzipSync(FILE) : FILE;
  res.writeHead(200, {
    "content-length": body.length,
    ...(ranges && !gzip ? { "accept-ranges": "bytes" } : {}),
    ...(gzip ? { "content-encoding": "gzip" } : {}),
  });
  res.write(body.subarray(0, bytes), () => setTimeout(() => res.socket.destroy(), 20));
}

const get = (options = {}) => {
  const retries = [];
  const progress = [];
  const result = download(`${origin}/pneumonia.onnx`, {
    delays: DELAYS,
    onRetry: (r) => retries.push(r),
    onProgress: (loaded, total) => progress.push([loaded, total]),
    ...options,
  });
  return { result, retries, progress };
};

test("a whole file comes at once, with progress up to its size", async () => {
  answer((req, res) => whole(req, res));
  const { result, retries, progress } = get({ expected: FILE.length });
  assert.deepEqual(Buffer.from(await result), FILE);
  assert.deepEqual(retries, []);
  assert.deepEqual(progress.at(-1), [FILE.length, FILE.length]);
  assert.ok(progress.every(([, total]) => total === FILE.length));
});

test("a download cut off midway resumes with a Range request for the rest", async () => {
  answer((req, res, n) => (n === 1 ? cutOff(res, 120_000) : whole(req, res)));
  const { result, retries, progress } = get({ expected: FILE.length });
  assert.deepEqual(Buffer.from(await result), FILE);
  assert.equal(requests.length, 2);
  assert.equal(requests[0].range, null);
  const from = Number(/^bytes=(\d+)-$/.exec(requests[1].range)?.[1]);
  assert.ok(from > 0 && from <= 120_000, `resumed from ${requests[1].range}`);
  assert.equal(retries.length, 1);
  assert.equal(retries[0].delayMs, DELAYS[0]);
  // The count never went back: the bytes kept were not downloaded again.
  assert.ok(progress.every(([loaded], i) => i === 0 || loaded >= progress[i - 1][0]));
});

test("a cut-off gzip answer resumes in the file's own bytes, not the compressed ones", async () => {
  answer((req, res, n) => (n === 1 ? cutOff(res, 100_000, { gzip: true }) : whole(req, res)));
  // Same-origin in a browser (Node's answers are "basic"): ranges are tried though the
  // gzip answer did not say Accept-Ranges, as nginx's does not.
  const { result } = get({ expected: FILE.length });
  assert.deepEqual(Buffer.from(await result), FILE);
  assert.equal(requests.length, 2);
  assert.match(requests[1].range, /^bytes=\d+-$/);
});

test("a server that ignores ranges sends the file again, and that is used", async () => {
  answer((req, res, n) => (n === 1 ? cutOff(res, 120_000) : whole(req, res, { ranges: false })));
  const { result, progress } = get({ expected: FILE.length });
  assert.deepEqual(Buffer.from(await result), FILE);
  assert.equal(requests.length, 2);
  assert.deepEqual(progress.at(-1), [FILE.length, FILE.length]);
});

test("a 206 that does not start where the bytes stopped is not appended: the file starts over", async () => {
  answer((req, res, n) => {
    if (n === 1) return cutOff(res, 120_000);
    if (n === 2) {
      res.writeHead(206, { "content-range": `bytes 0-99/${FILE.length}`, "content-length": 100 });
      return res.end(FILE.subarray(0, 100));
    }
    whole(req, res);
  });
  const { result } = get({ expected: FILE.length });
  assert.deepEqual(Buffer.from(await result), FILE);
  assert.deepEqual(
    requests.map((r) => r.range === null),
    [true, false, true],
    "no range asked for once one did not fit",
  );
});

test("a range answered in part is followed by a request for the rest", async () => {
  answer((req, res, n) => {
    if (n === 1) return cutOff(res, 50_000);
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range)[1]);
    const end = n === 2 ? start + 9_999 : FILE.length - 1;
    res.writeHead(206, { "content-range": `bytes ${start}-${end}/${FILE.length}`, "content-length": end - start + 1 });
    res.end(FILE.subarray(start, end + 1));
  });
  const { result, retries } = get({ expected: FILE.length });
  assert.deepEqual(Buffer.from(await result), FILE);
  assert.equal(requests.length, 3);
  assert.equal(retries.length, 1, "no wait before asking for the rest");
});

test("busy answers are retried with growing waits", async () => {
  answer((req, res, n) => {
    if (n <= 2) {
      res.writeHead(503);
      return res.end();
    }
    whole(req, res);
  });
  const { result, retries } = get();
  assert.deepEqual(Buffer.from(await result), FILE);
  assert.deepEqual(
    retries.map((r) => [r.attempt, r.delayMs, r.detail]),
    [
      [1, DELAYS[0], "HTTP 503 Service Unavailable"],
      [2, DELAYS[1], "HTTP 503 Service Unavailable"],
    ],
  );
});

test("a download that stalls is abandoned and resumed", async () => {
  answer((req, res, n) => {
    if (n === 1) {
      res.writeHead(200, { "content-length": FILE.length, "accept-ranges": "bytes" });
      return res.write(FILE.subarray(0, 80_000)); // and then nothing
    }
    whole(req, res);
  });
  const { result, retries } = get({ expected: FILE.length, stallMs: 300 });
  assert.deepEqual(Buffer.from(await result), FILE);
  assert.equal(retries.length, 1);
  assert.match(retries[0].detail, /no data for/);
  assert.match(requests[1].range, /^bytes=\d+-$/);
});

test("a 404 fails at once with the code download_failed", async () => {
  answer((req, res) => {
    res.writeHead(404);
    res.end();
  });
  const { result, retries } = get();
  await assert.rejects(result, (e) => {
    assert.equal(e.code, "download_failed");
    assert.equal(e.params.file, "pneumonia.onnx");
    assert.match(e.params.detail, /HTTP 404/);
    return true;
  });
  assert.equal(requests.length, 1);
  assert.deepEqual(retries, []);
});

test("after every retry in a row brought nothing, it fails with the code download_failed", async () => {
  answer((req, res) => res.socket.destroy());
  const { result, retries } = get();
  await assert.rejects(result, (e) => e.code === "download_failed" && /after 4 attempts/.test(e.params.detail));
  assert.equal(requests.length, DELAYS.length + 1);
  assert.deepEqual(
    retries.map((r) => r.delayMs),
    DELAYS,
  );
});

test("attempts that bring bytes are not held against it", async () => {
  // Cut off five times, each time a little further: more interruptions than retries, but
  // every one brought new bytes, so the download goes on and completes.
  answer((req, res, n) => {
    if (n > 5) return whole(req, res);
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? "")?.[1] ?? 0);
    const status = start ? 206 : 200;
    res.writeHead(status, {
      "content-length": FILE.length - start,
      "accept-ranges": "bytes",
      ...(start ? { "content-range": `bytes ${start}-${FILE.length - 1}/${FILE.length}` } : {}),
    });
    res.write(FILE.subarray(start, start + 30_000), () => setTimeout(() => res.socket.destroy(), 20));
  });
  const { result, retries } = get({ expected: FILE.length });
  assert.deepEqual(Buffer.from(await result), FILE);
  assert.equal(retries.length, 5);
  assert.ok(retries.every((r) => r.attempt === 1 && r.delayMs === DELAYS[0]));
});

test("a body longer than the model card says is refused, not used", async () => {
  answer((req, res) => whole(req, res));
  const { result } = get({ expected: FILE.length - 1 });
  await assert.rejects(result, (e) => e.code === "download_failed" && /more bytes than/.test(e.params.detail));
});
