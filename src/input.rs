//! Bytes → decoded image: format sniffing, decoding limits against bombs, EXIF
//! orientation. Any bit depth and colour type `image` reads comes out as a
//! [`DynamicImage`]; turning it grey is preprocessing's job. DICOM files (recognised by
//! content, `DICM` at offset 128) go to [`crate::dicom`], under the same limits.

use std::io::Cursor;

use image::error::{ImageError, LimitErrorKind};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

#[cfg(feature = "codecs")]
use crate::codecs::jpeg2000;
#[cfg(feature = "codecs")]
use crate::dicom;
use crate::dicom::DicomInfo;
use crate::error::Error;
pub use crate::limits::Resolution;
use crate::limits::{check_size, too_much_memory};

pub use crate::limits::{MAX_DECODER_ALLOC, MAX_PIXELS, MAX_SIDE, MIN_SIDE};

/// A decoded image and what we learnt while decoding it.
#[derive(Debug)]
pub struct Decoded {
    /// Pixels, already turned upright by the EXIF orientation.
    pub image: DynamicImage,
    /// Format name, e.g. `JPEG`.
    pub format: &'static str,
    /// True when an EXIF orientation other than upright was applied.
    pub rotated: bool,
    /// What a DICOM file says about its image; `None` for other formats.
    pub dicom: Option<DicomInfo>,
    /// Things the user should know that did not stop decoding (e.g. a multi-frame DICOM
    /// file of which only the first frame is used).
    pub warnings: Vec<String>,
    /// Width and height of the image as stored (upright): larger than `image` when a
    /// JPEG 2000 image was decoded at a reduced resolution level for the model.
    pub size: (u32, u32),
}

/// Decodes an image file held in memory, a JPEG 2000 image (standalone or in DICOM) at
/// the resolution level the model needs ([`Resolution::ForModel`]).
pub fn decode(bytes: &[u8]) -> Result<Decoded, Error> {
    decode_at(bytes, Resolution::ForModel)
}

/// [`decode`], with a JPEG 2000 image decoded at `resolution` (the viewer asks for
/// [`Resolution::Full`]); every other format is always decoded whole.
#[cfg_attr(not(feature = "codecs"), allow(unused_variables))]
pub fn decode_at(bytes: &[u8], resolution: Resolution) -> Result<Decoded, Error> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    // The browser's first module (built without `codecs`): its worker loads the module
    // with every decoder on this error and classifies the file there.
    #[cfg(not(feature = "codecs"))]
    if let Some(format) = crate::sniff::needs_codecs(bytes) {
        return Err(Error::DecoderNotLoaded {
            format: format.into(),
        });
    }
    // Before image's sniffing: a DICOM preamble may hold another format's header.
    #[cfg(feature = "codecs")]
    if dicom::is_dicom(bytes) {
        let decoded = dicom::decode_at(bytes, resolution)?;
        return Ok(Decoded {
            image: decoded.image,
            format: "DICOM",
            rotated: false,
            dicom: Some(decoded.info),
            warnings: decoded.warnings,
            size: decoded.size,
        });
    }
    #[cfg(feature = "codecs")]
    if jpeg2000::is_jpeg2000(bytes) {
        let samples = jpeg2000::decode(bytes, resolution, "JPEG 2000")?;
        let components = samples.components;
        let image = samples.into_image().ok_or_else(|| {
            Error::UnsupportedFormat(format!("JPEG 2000 with {components} components per pixel"))
        })?;
        let (width, height, _) = jpeg2000::dimensions(bytes, "JPEG 2000")?;
        return Ok(Decoded {
            image,
            format: "JPEG 2000",
            rotated: false,
            dicom: None,
            warnings: Vec::new(),
            size: (width, height),
        });
    }
    let format =
        image::guess_format(bytes).map_err(|_| Error::UnsupportedFormat(describe(bytes)))?;
    let name = format_name(format);
    #[cfg(feature = "codecs")]
    if format == ImageFormat::Tiff {
        check_tiff_layout(bytes)?;
    }
    let corrupt = |e: ImageError| map_error(name, e);

    // The headers are read under the memory limit alone, so that a size beyond the
    // limits is reported in pixels (by `check_size`) rather than as a decoder error.
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut header_limits = Limits::default();
    header_limits.max_alloc = Some(MAX_DECODER_ALLOC);
    reader.limits(header_limits);
    let mut decoder = reader.into_decoder().map_err(|e| {
        // Some decoders refuse a huge size as they read the header, with their own
        // message (on wasm32, PNG and BMP do): say it in pixels, as everywhere else.
        match claimed_size(format, bytes).map(|(w, h)| check_size(w, h)) {
            Some(Err(size)) => size,
            _ => corrupt(e),
        }
    })?;
    let (width, height) = decoder.dimensions();
    check_size(width, height)?;
    let jpeg = (format == ImageFormat::Jpeg).then(|| jpeg_layout(bytes));
    check_memory(width, height, decoder.total_bytes(), jpeg.as_ref())?;
    decoder.set_limits(limits()).map_err(corrupt)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    let mut warnings = Vec::new();
    if jpeg.is_some_and(|j| !j.complete) {
        warnings.push(truncated_jpeg(&image)?);
    }
    let rotated = orientation != Orientation::NoTransforms;
    image.apply_orientation(orientation);
    Ok(Decoded {
        size: (image.width(), image.height()),
        image,
        format: name,
        rotated,
        dicom: None,
        warnings,
    })
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODER_ALLOC);
    limits
}

/// Refuses an image whose decoding would take more than [`MAX_DECODER_ALLOC`]: the
/// decoded pixels (`image` allocates them whatever its limits say), plus, for a
/// progressive JPEG, the coefficients the decoder keeps for the whole image (two bytes
/// per sample of every component; zune-jpeg takes no memory limit).
fn check_memory(
    width: u32,
    height: u32,
    pixel_bytes: u64,
    jpeg: Option<&JpegLayout>,
) -> Result<(), Error> {
    let coefficients = jpeg.filter(|j| j.progressive).map_or(0, |j| {
        // Blocks are 8x8, padded up to 16x16 for subsampled components.
        let padded = |side: u32| u64::from(side).div_ceil(16) * 16;
        padded(width) * padded(height) * u64::from(j.components) * 2
    });
    let needed = pixel_bytes.saturating_add(coefficients);
    if needed > MAX_DECODER_ALLOC {
        return Err(Error::TooLarge(format!(
            "{width}x{height} pixels, which would take {} MiB to decode (at most {} MiB may be used)",
            needed.div_ceil(1 << 20),
            MAX_DECODER_ALLOC >> 20
        )));
    }
    Ok(())
}

/// Largest share of a truncated JPEG's rows that may be missing for it still to be
/// classified (with a warning); more missing is an error.
pub const MAX_MISSING_ROWS: f64 = 0.10;

/// What a walk over a JPEG's markers tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct JpegLayout {
    /// The frame is progressive (SOF2, SOF6, SOF10, SOF14).
    progressive: bool,
    /// Components in the frame (1 grey, 3 colour, 4 CMYK).
    components: u8,
    /// The data ends with the end-of-image marker, so nothing was cut off.
    complete: bool,
}

/// Walks the JPEG's segments and entropy-coded data up to its end-of-image marker
/// (segments are skipped by their lengths, so a thumbnail inside EXIF data does not
/// count; bytes after the marker are ignored).
fn jpeg_layout(bytes: &[u8]) -> JpegLayout {
    let mut layout = JpegLayout {
        progressive: false,
        components: 0,
        complete: false,
    };
    let mut i = 2; // after SOI
    while i + 1 < bytes.len() {
        if bytes[i] != 0xFF {
            i += 1; // stray bytes between segments
            continue;
        }
        let marker = bytes[i + 1];
        match marker {
            0xD9 => {
                layout.complete = true;
                return layout;
            }
            // Fill byte, stuffed zero, restart markers, TEM: no length follows.
            0xFF => {
                i += 1;
                continue;
            }
            0x00 | 0x01 | 0xD0..=0xD7 => {
                i += 2;
                continue;
            }
            _ => {}
        }
        let Some(&[high, low]) = bytes.get(i + 2..i + 4) else {
            return layout;
        };
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            layout.progressive |= matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
            layout.components = bytes.get(i + 9).copied().unwrap_or(0);
        }
        i += 2 + usize::from(u16::from_be_bytes([high, low]));
        if marker == 0xDA {
            // Entropy-coded data runs to the next marker that is not a stuffed zero or
            // a restart marker.
            let at_marker =
                |i: usize| bytes[i] == 0xFF && !matches!(bytes[i + 1], 0x00 | 0xD0..=0xD7 | 0xFF);
            while i + 1 < bytes.len() && !at_marker(i) {
                i += 1;
            }
        }
    }
    layout
}

/// The policy for a JPEG that ends before its end-of-image marker (a cut-off download or
/// copy). The decoder fills what is missing with mid-grey (128) from the first row it
/// could not decode: when at most [`MAX_MISSING_ROWS`] of the rows are missing, the image
/// is classified with a warning; otherwise it is an error. `image` is the decoded image,
/// before any EXIF orientation.
fn truncated_jpeg(image: &DynamicImage) -> Result<String, Error> {
    let bytes = image.as_bytes();
    let height = image.height() as usize;
    let row = bytes.len() / height.max(1);
    let filled = if row == 0 {
        height
    } else {
        bytes
            .chunks_exact(row)
            .rev()
            .take_while(|r| r.iter().all(|&b| b == 128))
            .count()
    };
    let missing = filled as f64 / height.max(1) as f64;
    let percent = (missing * 100.0).ceil();
    if missing > MAX_MISSING_ROWS {
        return Err(Error::Corrupt {
            format: "JPEG".into(),
            message: format!(
                "the file ends early and {percent}% of the image is missing (at most {}% may be)",
                MAX_MISSING_ROWS * 100.0
            ),
        });
    }
    Ok(if filled == 0 {
        "the file looks truncated: it ends before the JPEG end marker, so the image may be incomplete or blurred".into()
    } else {
        format!(
            "the file looks truncated: the bottom {percent}% of the image is missing (shown as grey)"
        )
    })
}

/// Refuses TIFF layouts that the `tiff` crate (0.11.3) cannot decode without panicking,
/// before it sees them: tiles whose colour planes are stored separately
/// (PlanarConfiguration 2), which trip an assertion in its chunk reader for every bit
/// depth and compression (`tests/tiff.rs` makes such files). A file whose first
/// directory cannot be read is left to the decoder, which reports it.
#[cfg(feature = "codecs")]
fn check_tiff_layout(bytes: &[u8]) -> Result<(), Error> {
    use tiff::decoder::{ChunkType, Decoder};
    use tiff::tags::Tag;
    let Ok(mut decoder) = Decoder::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let planar = decoder
        .find_tag_unsigned::<u16>(Tag::PlanarConfiguration)
        .ok()
        .flatten()
        .unwrap_or(1);
    let samples = decoder
        .find_tag_unsigned::<u16>(Tag::SamplesPerPixel)
        .ok()
        .flatten()
        .unwrap_or(1);
    if planar == 2 && samples > 1 && decoder.get_chunk_type() == ChunkType::Tile {
        return Err(Error::UnsupportedFormat(
            "TIFF variant not supported (tiles with separate colour planes, PlanarConfiguration 2); save it as an ordinary TIFF, PNG or JPEG".into(),
        ));
    }
    Ok(())
}

/// The size a PNG or BMP header claims, read from its fixed place.
fn claimed_size(format: ImageFormat, bytes: &[u8]) -> Option<(u32, u32)> {
    let u32_at = |at: usize, from: fn([u8; 4]) -> u32| {
        bytes
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(from)
    };
    match format {
        ImageFormat::Png if bytes.get(12..16) == Some(b"IHDR") => Some((
            u32_at(16, u32::from_be_bytes)?,
            u32_at(20, u32::from_be_bytes)?,
        )),
        // BITMAPINFOHEADER and later (at least 40 bytes): signed 32-bit width and height
        // (a negative height means top-down rows).
        ImageFormat::Bmp if u32_at(14, u32::from_le_bytes)? >= 40 => {
            let signed = |v: u32| i32::from_le_bytes(v.to_le_bytes()).unsigned_abs();
            Some((
                signed(u32_at(18, u32::from_le_bytes)?),
                signed(u32_at(22, u32::from_le_bytes)?),
            ))
        }
        _ => None,
    }
}

fn map_error(format: &'static str, error: ImageError) -> Error {
    match error {
        ImageError::Limits(ref e) => match e.kind() {
            LimitErrorKind::DimensionError | LimitErrorKind::InsufficientMemory => {
                too_much_memory()
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
        ImageFormat::Pnm => "PNM",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claimed_size_reads_png_and_bmp_headers() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&60_000u32.to_be_bytes());
        png.extend_from_slice(&50_000u32.to_be_bytes());
        assert_eq!(claimed_size(ImageFormat::Png, &png), Some((60_000, 50_000)));
        let mut bmp = b"BM".to_vec();
        bmp.extend_from_slice(&[0; 12]);
        bmp.extend_from_slice(&40u32.to_le_bytes());
        bmp.extend_from_slice(&60_000i32.to_le_bytes());
        bmp.extend_from_slice(&(-50_000i32).to_le_bytes());
        assert_eq!(claimed_size(ImageFormat::Bmp, &bmp), Some((60_000, 50_000)));
        assert_eq!(claimed_size(ImageFormat::Bmp, &bmp[..20]), None);
        assert_eq!(claimed_size(ImageFormat::Gif, &bmp), None);
    }

    #[test]
    fn jpeg_layout_finds_the_end_marker_past_segments_and_scans() {
        // SOI, an APP1 holding a stray EOI, SOF2 with 3 components, SOS, scan data with a
        // stuffed 0xFF and a restart marker, EOI, trailing bytes.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD9, 0x00, 0x00];
        jpeg.extend_from_slice(&[0xFF, 0xC2, 0x00, 0x11, 8, 0, 32, 0, 32, 3]);
        jpeg.extend_from_slice(&[0; 9]);
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 63, 0]);
        jpeg.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        let cut = jpeg_layout(&jpeg);
        assert_eq!(
            cut,
            JpegLayout {
                progressive: true,
                components: 3,
                complete: false
            }
        );
        jpeg.extend_from_slice(&[0xFF, 0xD9, 1, 2, 3]);
        assert!(jpeg_layout(&jpeg).complete);
    }
}
