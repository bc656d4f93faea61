//! The decoding limits every format shares (ordinary images and DICOM alike), in one
//! place that [`crate::input`], [`crate::dicom`] and [`crate::error`] all read, so that
//! none of them imports another for them.

use crate::error::Error;

/// Largest width or height accepted, in pixels.
pub const MAX_SIDE: u32 = 16_384;
/// Largest pixel count accepted (64 Mpx: a 9000 x 7000 scan fits).
pub const MAX_PIXELS: u64 = 64 * 1024 * 1024;
/// Largest allocation the decoder may make, in bytes.
pub const MAX_DECODER_ALLOC: u64 = 512 * 1024 * 1024;
/// Smallest width or height accepted, in pixels.
pub const MIN_SIDE: u32 = 32;

/// How much of an image to decode. Only JPEG 2000 (standalone or in DICOM) can decode
/// less than all of it: its resolution levels are a pyramid of halved sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Every resolution level: the image at its full size (the viewer).
    Full,
    /// The smallest resolution level whose shorter side is still at least
    /// `codecs::jpeg2000::REDUCED_MIN_SIDE` (the full image when it is not larger than
    /// that): all the model needs, as viewers decode thumbnails.
    ForModel,
}

/// Checks a decoded size against [`MAX_SIDE`], [`MAX_PIXELS`] and [`MIN_SIDE`], before
/// any pixel is decoded.
pub fn check_size(width: u32, height: u32) -> Result<(), Error> {
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(too_large(width, height));
    }
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(Error::TooSmall {
            width,
            height,
            min_side: MIN_SIDE,
        });
    }
    Ok(())
}

/// The error for an image whose size is beyond [`MAX_SIDE`] or [`MAX_PIXELS`].
pub fn too_large(width: u32, height: u32) -> Error {
    Error::TooLarge(format!("{width}x{height} pixels"))
}

/// The error for decoded samples that would take more than [`MAX_DECODER_ALLOC`].
pub fn too_much_memory() -> Error {
    Error::TooLarge(format!(
        "decoding it would need more than {} MiB",
        MAX_DECODER_ALLOC >> 20
    ))
}
