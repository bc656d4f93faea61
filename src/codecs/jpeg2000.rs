//! JPEG 2000 (ISO/IEC 15444-1, and High-Throughput JPEG 2000, 15444-15) → [`Samples`],
//! through `dicom-toolkit-jpeg2000` (a pure-Rust decoder, forked from hayro-jpeg2000 to
//! keep samples above 8 bits, with OpenJPH's HTJ2K block decoder ported to Rust).
//!
//! A radiograph far larger than the model's input is decoded at a reduced resolution
//! level, as viewers do for thumbnails: the wavelet's lower levels are the image at
//! half, a quarter… of its size, so decoding stops there and skips most of the work.
//! [`REDUCED_MIN_SIDE`] keeps the result at least twice the model's 224-pixel input on
//! its shorter side (preprocessing then squashes it to 224 with an antialiasing filter);
//! `tests/codecs.rs` measures on real X-rays of both classes that the probability stays
//! within 0.01 of a full decode. At four times the input (896) a 3000×3000 radiograph
//! took 363–394 ms in the browser (bench/CODECS.md), over the 300 ms goal.

use super::Samples;
use crate::error::Error;
use crate::limits::{MAX_DECODER_ALLOC, check_size, too_much_memory};
use dicom_toolkit_jpeg2000::{DecodeSettings, Image};

/// The shorter side a reduced-resolution decode keeps at least, in pixels.
pub const REDUCED_MIN_SIDE: u32 = 448;

/// Bytes the decoder holds per sample while decoding: a 32-bit float per component in
/// the tile buffers, the wavelet's working copy, and the output.
const DECODE_BYTES_PER_SAMPLE: u64 = 12;

pub use crate::sniff::is_jpeg2000;

pub use crate::limits::Resolution;

/// Decodes a JPEG 2000 codestream or JP2 file, after checking its size against the
/// decode limits. `format` names the container in error messages (`JPEG 2000`,
/// `DICOM`).
pub fn decode(bytes: &[u8], resolution: Resolution, format: &str) -> Result<Samples, Error> {
    let corrupt = |e: dicom_toolkit_jpeg2000::DecodeError| Error::Corrupt {
        format: format.into(),
        message: format!("JPEG 2000: {e}"),
    };
    let settings = DecodeSettings {
        resolve_palette_indices: false,
        strict: false,
        target_resolution: None,
    };
    let full = Image::new(bytes, &settings).map_err(corrupt)?;
    let (width, height) = (full.width(), full.height());
    check_size(width, height)?;
    let components = u64::from(components_of(&full).max(1));
    if u64::from(width) * u64::from(height) * components * DECODE_BYTES_PER_SAMPLE
        > MAX_DECODER_ALLOC
    {
        return Err(too_much_memory());
    }
    let image = match resolution {
        Resolution::ForModel if width.min(height) >= 2 * REDUCED_MIN_SIDE => {
            // The decoder drops log2(size / target) levels: ask for the size whose
            // shorter side is REDUCED_MIN_SIDE, keeping the aspect ratio.
            let scale = f64::from(width.min(height)) / f64::from(REDUCED_MIN_SIDE);
            let target = (
                ((f64::from(width) / scale) as u32).max(1),
                ((f64::from(height) / scale) as u32).max(1),
            );
            let reduced = DecodeSettings {
                target_resolution: Some(target),
                ..settings
            };
            Image::new(bytes, &reduced).map_err(corrupt)?
        }
        _ => full,
    };
    let raw = image.decode_native().map_err(corrupt)?;
    let samples = Samples {
        width: raw.width,
        height: raw.height,
        bits: raw.bit_depth.clamp(1, 16),
        components: raw.num_components,
        signed: first_component_signed(bytes),
        data: raw.data,
    };
    if raw.bit_depth > 16 || !samples.is_complete() || samples.components == 0 {
        return Err(Error::Corrupt {
            format: format.into(),
            message: format!(
                "JPEG 2000: {} bits and {} component(s) per pixel are not supported",
                raw.bit_depth, raw.num_components
            ),
        });
    }
    Ok(samples)
}

/// Width, height and components of a JPEG 2000 codestream or JP2 file, from its header.
pub fn dimensions(bytes: &[u8], format: &str) -> Result<(u32, u32, u8), Error> {
    let settings = DecodeSettings {
        resolve_palette_indices: false,
        strict: false,
        target_resolution: None,
    };
    let image = Image::new(bytes, &settings).map_err(|e| Error::Corrupt {
        format: format.into(),
        message: format!("JPEG 2000: {e}"),
    })?;
    Ok((image.width(), image.height(), components_of(&image)))
}

/// Components per pixel: the colour space's, plus alpha.
fn components_of(image: &Image<'_>) -> u8 {
    image.color_space().num_channels() + u8::from(image.has_alpha())
}

/// Whether the first component's samples are signed: bit 7 of its Ssiz in the SIZ
/// marker (ISO/IEC 15444-1 A.5.1), found in a codestream or inside a JP2 file. The
/// decoder adds half the range to every sample whatever the sign (its DC level shift),
/// so signed samples come out offset; callers that need two's complement flip the top
/// bit.
pub fn first_component_signed(bytes: &[u8]) -> bool {
    let Some(soc) = bytes.windows(4).position(|w| w == b"\xFF\x4F\xFF\x51") else {
        return false;
    };
    // SOC, SIZ marker, Lsiz, Rsiz, 8 x 32-bit sizes and offsets, Csiz, then Ssiz.
    bytes.get(soc + 42).is_some_and(|&ssiz| ssiz & 0x80 != 0)
}
