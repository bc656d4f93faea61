// Codec timings in the browser (issue 13): each file classified by the real bundle
// (dist/, served by nginx with nginx.conf) in Debian's Chromium, through the embed API
// (`loadClassifier`, the same worker path as the page), several runs per file, medians of
// the core's own decode stage and of file to result. Never asserted in tests.
//
//   node bench/codecs.mjs FILE...      (after cargo xtask dist)
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import * as h from "../e2e/harness.js";

const RUNS = Number(process.env.RUNS ?? 5);
const files = process.argv.slice(2);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const nginx = await h.startNginx();
const browser = await h.launch();
try {
  const page = await browser.newPage();
  await page.goto(`${nginx.origin}/embed-example.html`);
  const rows = [];
  for (const file of files) {
    const raw = readFileSync(file);
    const bytes = raw.toString("base64"); // a number array of an 18 MB file exhausts node's heap
    const runs = await page.evaluate(
      async ({ bytes, runs }) => {
        const { loadClassifier } = await import("/embed.js");
        const classifier = await loadClassifier();
        const data = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
        const out = [];
        for (let i = 0; i < runs + 1; i++) {
          const t0 = performance.now();
          const r = await classifier.classify(data.slice());
          out.push({ wall: performance.now() - t0, decode: r.timings.decode_ms, status: r.status, p: r.probability, w: r.image.width, h: r.image.height });
        }
        return out.slice(1); // the first run warms up
      },
      { bytes, runs: RUNS },
    );
    rows.push({
      file: basename(file),
      bytes: raw.length,
      size: `${runs[0].w}x${runs[0].h}`,
      status: runs[0].status,
      decode_ms: median(runs.map((r) => r.decode)),
      file_to_result_ms: median(runs.map((r) => r.wall)),
    });
    console.error(JSON.stringify(rows.at(-1)));
  }
  console.log("| file | bytes | decoded size | status | decode (ms, median) | file to result (ms, median) |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const r of rows) {
    console.log(`| ${r.file} | ${r.bytes} | ${r.size} | ${r.status} | ${r.decode_ms.toFixed(1)} | ${r.file_to_result_ms.toFixed(1)} |`);
  }
} finally {
  await h.closeAll(browser, nginx);
}
