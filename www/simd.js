// Which of the bundle's WebAssembly builds this browser runs (cargo xtask dist makes
// them). The first module reads PNG and JPEG only (a quarter smaller): the one with
// relaxed SIMD, whose fused multiply-add speeds up tract's matmul kernels, where the
// engine validates a relaxed-SIMD instruction; else the plain SIMD 128 one. `full` is the
// module with every decoder (DICOM, TIFF, JPEG 2000…), which the worker fetches the first
// time a file needs it. A classic script that sets one global, so that the module worker
// (import) and the service worker (importScripts: it precaches only the first module)
// decide alike. `bytes`: each file's size, which cargo xtask dist fills in.
// In a function, so that nothing but the one global leaks into the importing script.
(() => {
  const BYTES = {}; // __WASM_BYTES__
  const relaxed =
    typeof WebAssembly === "object" &&
    WebAssembly.validate(
      // (module (func (result v128)
      //   i32.const 1 i8x16.splat i32.const 2 i8x16.splat i8x16.relaxed_swizzle))
      new Uint8Array([
        0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253,
        15, 253, 128, 2, 11,
      ]),
    );
  const first = relaxed
    ? { file: "./pneumoscan_relaxed_bg.wasm", simd: "relaxed" }
    : { file: "./pneumoscan_bg.wasm", simd: "simd128" };
  self.PNEUMOSCAN_WASM = {
    ...first,
    bytes: BYTES[first.file] ?? 0,
    full: {
      glue: "./pneumoscan_full.js",
      file: "./pneumoscan_full_bg.wasm",
      bytes: BYTES["./pneumoscan_full_bg.wasm"] ?? 0,
    },
  };
})();
