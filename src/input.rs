//! Bytes → decoded image: format sniffing, decoding limits against bombs, EXIF
//! orientation. Any bit depth and colour type `image` reads comes out as a
//! [`DynamicImage`]; turning it grey is preprocessing's job.

use std::io::Cursor;

use image::error::{ImageError, LimitErrorKind};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::error::Error;

/// Largest width or height accepted, in pixels.
pub const MAX_SIDE: u32 = 16_384;
/// Largest pixel count accepted (64 Mpx: a 9000 x 7000 scan fits).
pub const MAX_PIXELS: u64 = 64 * 1024 * 1024;
/// Largest allocation the decoder may make, in bytes.
pub const MAX_DECODER_ALLOC: u64 = 512 * 1024 * 1024;
/// Smallest width or height accepted, in pixels.
pub const MIN_SIDE: u32 = 32;

/// A decoded image and what we learnt while decoding it.
#[derive(Debug)]
pub struct Decoded {
    /// Pixels, already turned upright by the EXIF orientation.
    pub image: DynamicImage,
    /// Format name, e.g. `JPEG`.
    pub format: &'static str,
    /// True when an EXIF orientation other than upright was applied.
    pub rotated: bool,
}

/// Decodes an image file held in memory.
pub fn decode(bytes: &[u8]) -> Result<Decoded, Error> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    let format =
        image::guess_format(bytes).map_err(|_| Error::UnsupportedFormat(describe(bytes)))?;
    let name = format_name(format);
    let corrupt = |e: ImageError| map_error(name, e);

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    check_size(width, height)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    let rotated = orientation != Orientation::NoTransforms;
    image.apply_orientation(orientation);
    Ok(Decoded {
        image,
        format: name,
        rotated,
    })
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODER_ALLOC);
    limits
}

fn check_size(width: u32, height: u32) -> Result<(), Error> {
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

fn too_large(width: u32, height: u32) -> Error {
    Error::TooLarge(format!("{width}x{height} pixels"))
}

fn map_error(format: &'static str, error: ImageError) -> Error {
    match error {
        ImageError::Limits(ref e) => match e.kind() {
            LimitErrorKind::DimensionError | LimitErrorKind::InsufficientMemory => {
                Error::TooLarge(format!(
                    "decoding it would need more than {} MiB",
                    MAX_DECODER_ALLOC >> 20
                ))
            }
            _ => Error::Corrupt {
                format: format.into(),
                message: error.to_string(),
            },
        },
        ImageError::Unsupported(e) => {
            Error::UnsupportedFormat(format!("{format} variant not supported ({e})"))
        }
        other => Error::Corrupt {
            format: format.into(),
            message: other.to_string(),
        },
    }
}

fn format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::Gif => "GIF",
        ImageFormat::WebP => "WebP",
        ImageFormat::Tiff => "TIFF",
        ImageFormat::Bmp => "BMP",
        other => other.extensions_str().first().copied().unwrap_or("image"),
    }
}

/// A plain-words guess at what a non-image file is, for the error message.
fn describe(bytes: &[u8]) -> String {
    let start = &bytes[..bytes.len().min(512)];
    let lower = String::from_utf8_lossy(start).to_ascii_lowercase();
    let trimmed = lower.trim_start();
    if start.starts_with(b"%PDF") {
        "this is a PDF document".into()
    } else if bytes.len() > 132 && &bytes[128..132] == b"DICM" {
        "this is a DICOM file, which is not supported yet".into()
    } else if trimmed.starts_with("<!doctype html") || trimmed.starts_with("<html") {
        "this is an HTML page".into()
    } else if trimmed.starts_with("<svg")
        || (trimmed.starts_with("<?xml") && lower.contains("<svg"))
    {
        "this is an SVG drawing".into()
    } else if start.starts_with(b"PK\x03\x04") {
        "this is a ZIP archive (or an office document)".into()
    } else if std::str::from_utf8(start)
        .is_ok_and(|s| s.chars().all(|c| !c.is_control() || c.is_whitespace()))
    {
        "this is a text file".into()
    } else {
        "the file's contents are not a known image format".into()
    }
}
