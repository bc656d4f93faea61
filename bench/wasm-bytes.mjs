// Which code a WebAssembly module's bytes are: every function body attributed by its name
// (the module's `name` section, as rustc writes it before wasm-bindgen and wasm-opt) to a
// part (a codec, the model runtime, …), each part's bodies gzipped on their own.
//
//   node bench/wasm-bytes.mjs MODULE.wasm [BASELINE.wasm]
//
// MODULE is cargo's own output, e.g. target/wasm32-unknown-unknown/wasm/pneumoscan.wasm of
// the build with `--features codecs` (xtask's "full" module); BASELINE, optional, the same
// for the first module, to print what each part adds. Function bodies are attributed by
// the crate (and, for our crate and `image`, the module path) of their demangled name, so
// generic code of `core` or `alloc` instantiated for a codec counts as `core`/`alloc`, and
// data segments (tables, strings) are one line: the split is of code, a lower bound for
// each codec. A part's gzip is of its bodies alone, so the parts' gzip sum exceeds the
// module's.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

/** The parts a name belongs to, first match wins: [part, test on the demangled path]. */
const PARTS = [
  ["JPEG 2000 (dicom-toolkit-jpeg2000, openjph-core, fearless_simd)", /^(dicom_toolkit_jpeg2000|openjph_core|fearless_simd)::/],
  ["JPEG-LS (src/codecs/jpegls)", /^pneumoscan::codecs::jpegls\b/],
  ["12-bit JPEG (src/codecs/jpeg12.rs)", /^pneumoscan::codecs::jpeg12\b/],
  ["DICOM reading and rendering (src/dicom, dicom-rs with its JPEG codecs)", /^(pneumoscan::dicom|dicom_[a-z_]+|snafu|byteordered|jpeg_decoder|jpeg_encoder)::/],
  ["deflate (flate2, miniz_oxide)", /^(flate2|miniz_oxide|adler2?|crc32fast)::/],
  ["TIFF (tiff, weezl)", /^(tiff|weezl|image::codecs::tiff)\b/],
  ["WebP (image-webp)", /^(image_webp|image::codecs::webp)\b/],
  ["GIF (gif, color_quant)", /^(gif|color_quant|image::codecs::gif)\b/],
  ["BMP, PNM (image)", /^image::codecs::(bmp|pnm)\b/],
  ["PNG (png, fdeflate)", /^(png|fdeflate|image::codecs::png)\b/],
  ["baseline JPEG (zune-jpeg)", /^(zune_jpeg|zune_core|image::codecs::jpeg)\b/],
  // tract and what it links in: ndarray, rustfft (its FFT operators, registered with
  // every NNEF op), nom (the NNEF parser), tar (the model's container), half, …
  [
    "model runtime (tract, ndarray, rustfft, nom, tar, …)",
    /^(tract_[a-z_]+|ndarray|rustfft|primal_check|strength_reduce|transpose|nom|tar|half|downcast_rs|dyn_clone|dyn_hash|erased_serde|anyhow|itertools|num_[a-z]+|maybe_rayon|scan_fmt|liquid[a-z_]*)::/,
  ],
  ["the rest of pneumoscan", /^pneumoscan::/],
  ["the rest of image", /^image::/],
  ["Rust's standard library (core, alloc, std)", /^(core|alloc|std|compiler_builtins)::/],
];

function leb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(byte & 0x80)) return [value, at];
  }
}

/** {imports (functions), bodies: [Uint8Array], names: Map(index → name), data bytes}. */
function parse(bytes) {
  let at = 8;
  let importedFunctions = 0;
  const bodies = [];
  const names = new Map();
  let data = 0;
  while (at < bytes.length) {
    const id = bytes[at++];
    let size;
    [size, at] = leb(bytes, at);
    const end = at + size;
    if (id === 2) {
      let count;
      let p;
      [count, p] = leb(bytes, at);
      for (let i = 0; i < count; i++) {
        for (let s = 0; s < 2; s++) {
          let len;
          [len, p] = leb(bytes, p);
          p += len;
        }
        const kind = bytes[p++];
        if (kind === 0) {
          [, p] = leb(bytes, p);
          importedFunctions++;
        } else if (kind === 1) {
          p += 1;
          const flags = bytes[p++];
          [, p] = leb(bytes, p);
          if (flags & 1) [, p] = leb(bytes, p);
        } else if (kind === 2) {
          const flags = bytes[p++];
          [, p] = leb(bytes, p);
          if (flags & 1) [, p] = leb(bytes, p);
        } else if (kind === 3) p += 2;
        else throw new Error(`import kind ${kind}`);
      }
    } else if (id === 10) {
      let count;
      let p;
      [count, p] = leb(bytes, at);
      for (let i = 0; i < count; i++) {
        let len;
        [len, p] = leb(bytes, p);
        bodies.push(bytes.subarray(p, p + len));
        p += len;
      }
    } else if (id === 11) {
      data = size;
    } else if (id === 0) {
      let len;
      let p;
      [len, p] = leb(bytes, at);
      const name = new TextDecoder().decode(bytes.subarray(p, p + len));
      p += len;
      if (name === "name") {
        while (p < end) {
          const sub = bytes[p++];
          let subSize;
          [subSize, p] = leb(bytes, p);
          const subEnd = p + subSize;
          if (sub === 1) {
            let count;
            let q;
            [count, q] = leb(bytes, p);
            for (let i = 0; i < count; i++) {
              let index;
              let nameLen;
              [index, q] = leb(bytes, q);
              [nameLen, q] = leb(bytes, q);
              names.set(index, new TextDecoder().decode(bytes.subarray(q, q + nameLen)));
              q += nameLen;
            }
          }
          p = subEnd;
        }
      }
    }
    at = end;
  }
  return { importedFunctions, bodies, names, data };
}

/** A Rust symbol → its path without the hash: legacy `_ZN…E` mangling, or as it is. */
function demangle(name) {
  if (!name.startsWith("_ZN")) return name.replace(/^<+/, "");
  const parts = [];
  let at = 3;
  while (at < name.length && name[at] !== "E") {
    const digits = /^\d+/.exec(name.slice(at));
    if (!digits) break;
    at += digits[0].length;
    parts.push(name.slice(at, at + Number(digits[0])));
    at += Number(digits[0]);
  }
  const path = parts
    .filter((p) => !/^h[0-9a-f]{16}$/.test(p))
    .join("::")
    // `<image::codecs::tiff::TiffDecoder as image::ImageDecoder>::…` is mangled with $LT$…
    .replace(/^_?\$LT\$/, "")
    .replace(/\$u20\$/g, " ")
    .replace(/\.\./g, "::");
  // `<T as tract_linalg::…>::…`: a generic type (T, a reference, a tuple) goes with the
  // trait's crate, the one that wrote the code.
  const generic = /^(?:[A-Z]|\$RF\$|\$LP\$)[^:]* as (.*)$/.exec(path);
  return generic ? generic[1] : path;
}

function partOf(name) {
  const path = demangle(name);
  for (const [part, test] of PARTS) if (test.test(path)) return part;
  return "other crates";
}

function split(file) {
  const { importedFunctions, bodies, names, data } = parse(new Uint8Array(readFileSync(file)));
  if (!names.size) throw new Error(`${file} has no name section: use cargo's own output, before wasm-opt`);
  const groups = new Map();
  bodies.forEach((body, i) => {
    const part = partOf(names.get(importedFunctions + i) ?? "");
    const group = groups.get(part) ?? { functions: 0, chunks: [] };
    group.functions++;
    group.chunks.push(body);
    groups.set(part, group);
  });
  const rows = new Map();
  for (const [part, { functions, chunks }] of groups) {
    const raw = Buffer.concat(chunks);
    rows.set(part, { functions, bytes: raw.length, gzip: gzipSync(raw, { level: 9 }).length });
  }
  return { rows, data, total: readFileSync(file).length, totalGzip: gzipSync(readFileSync(file), { level: 9 }).length };
}

const [file, baseline] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/wasm-bytes.mjs MODULE.wasm [BASELINE.wasm]");
  process.exit(2);
}
const ours = split(file);
const base = baseline ? split(baseline) : null;
const fmt = (n) => n.toLocaleString("en-US");
const head = ["part", "functions", "code bytes", "code gzipped alone"];
if (base) head.push("code bytes in the baseline", "added bytes", "added gzipped");
console.log(`| ${head.join(" | ")} |\n| ${head.map(() => "---").join(" | ")} |`);
const order = [...PARTS.map(([p]) => p), "other crates"].filter((p) => ours.rows.has(p));
for (const part of order) {
  const row = ours.rows.get(part);
  const cells = [part, fmt(row.functions), fmt(row.bytes), fmt(row.gzip)];
  if (base) {
    const was = base.rows.get(part) ?? { bytes: 0, gzip: 0 };
    cells.push(fmt(was.bytes), fmt(row.bytes - was.bytes), fmt(row.gzip - was.gzip));
  }
  console.log(`| ${cells.join(" | ")} |`);
}
const dataCells = ["data segments (tables, strings: not attributed)", "", fmt(ours.data), ""];
if (base) dataCells.push(fmt(base.data), fmt(ours.data - base.data), "");
console.log(`| ${dataCells.join(" | ")} |`);
console.log(`\nwhole module: ${fmt(ours.total)} bytes, ${fmt(ours.totalGzip)} gzipped (with its name section)`);
if (base) console.log(`baseline: ${fmt(base.total)} bytes, ${fmt(base.totalGzip)} gzipped (with its name section)`);
