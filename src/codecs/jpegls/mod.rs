//! JPEG-LS decoder (ISO/IEC 14495-1): lossless and near-lossless, 2–16 bits per sample.
//!
//! Vendored from `dicom-toolkit-codec` 0.5.0 (`src/jpeg_ls/`, MIT OR Apache-2.0, a
//! pure-Rust port of CharLS), decoder side only. The crate itself is not a dependency:
//! it brings `inventory` (link-time registration, unreliable on wasm32), `uuid` and
//! `tracing-subscriber`, a DICOM data dictionary and a second JPEG stack into the
//! browser's WebAssembly for these ~2,700 lines, and no other pure-Rust JPEG-LS decoder
//! is published. Changes from upstream: its error type replaced by [`error`], the
//! encoder's entry point removed, [`frame_header`] added so that the size is checked
//! against the decode limits before anything is allocated, and four bugs fixed in the
//! context modelling, each of which made it fail on every real file we tried (CharLS via
//! GDCM, DCMTK, pydicom's test files) while its own encoder round-tripped:
//! the bias correction C never moved (a table lookup that always gave 0), the regular
//! mode's error correction flipped one bit instead of all (A.6.1), the contexts were
//! halved after N was incremented instead of before (A.6.1, A.7.2.2), and both
//! run-interruption contexts had RItype 0 and a Golomb parameter without the
//! `(N >> 1) * RItype` term (A.7.2.1). Grey images (one component) are what chest
//! radiographs use and what the tests cover; upstream's line-interleaved colour path is
//! kept as it is, and its sample-interleaved colour mode is not implemented.
#![allow(clippy::all, missing_docs, dead_code)]

pub mod bitstream;
pub mod context;
pub mod decoder;
pub mod error;
pub mod golomb;
pub mod marker;
pub mod params;
pub mod prediction;
pub mod sample;
pub mod scan;

pub use decoder::DecodedFrame;

/// Width, height, bits per sample and components of a JPEG-LS stream, from its frame
/// header, without decoding anything.
pub fn frame_header(data: &[u8]) -> Result<(u32, u32, u8, u8), String> {
    let info = marker::parse_markers(data).map_err(|e| e.to_string())?;
    let p = &info.params;
    Ok((p.width, p.height, p.bits_per_sample, p.components))
}

/// Decodes a JPEG-LS stream: samples interleaved, one byte each up to 8 bits, else two
/// (little endian).
pub fn decode(data: &[u8]) -> Result<DecodedFrame, String> {
    decoder::decode_jpeg_ls(data).map_err(|e| e.to_string())
}
