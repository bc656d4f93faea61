// Times a JPEG decoder of src/lib.rs on the 47 originals in Node's WebAssembly (V8):
// one warm-up pass, then 5 timed passes; prints the fastest and the median.
//
//   cd bench/wasm-decode
//   RUSTFLAGS="-C target-feature=+simd128" cargo build --release --target wasm32-unknown-unknown
//   node run.mjs decode_zune
//   node run.mjs decode_jpeg_decoder 1      # full size
//   node run.mjs decode_jpeg_decoder 4      # DCT scaling to 1/4
//
// Data: ../../../shared/data/originals, or $PNEUMOSCAN_DATA/originals.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const data = resolve(process.env.PNEUMOSCAN_DATA ?? join(here, "../../../shared/data"));
const wasm = join(here, "target/wasm32-unknown-unknown/release/pneumoscan_wasm_decode.wasm");
const [fn = "decode_zune", scale = "1"] = process.argv.slice(2);

const { instance } = await WebAssembly.instantiate(readFileSync(wasm), {});
const ex = instance.exports;
const files = ["NORMAL", "PNEUMONIA"].flatMap((label) =>
  readdirSync(join(data, "originals", label)).sort().map((name) => join(data, "originals", label, name)),
);
const inputs = files.map((path) => {
  const bytes = readFileSync(path);
  const at = ex.alloc(bytes.length);
  new Uint8Array(ex.memory.buffer, at, bytes.length).set(bytes);
  return [at, bytes.length];
});
const pass = () => {
  let sum = 0;
  for (const [at, len] of inputs) {
    const s = ex[fn](at, len, Number(scale));
    if (s === 0) throw new Error(`${fn} failed on a file`);
    sum = (sum + s) >>> 0;
  }
  return sum;
};
pass();
const times = [];
let check = 0;
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  check = pass();
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log(`${fn}${fn === "decode_jpeg_decoder" ? ` 1/${scale}` : ""}: ${files.length} files in ${times[0].toFixed(1)} ms (fastest), ${times[2].toFixed(1)} ms (median of 5); sample sum ${check}`);
