//! The pixel codecs' guards and adapters: checks that keep dicom-rs's RLE and JPEG
//! decoders from panicking or ballooning, and the codecs dicom-rs lacks in pure Rust
//! (JPEG 2000, HTJ2K, JPEG-LS, 12-bit JPEG: [`crate::codecs`]), which decode to the native frame that
//! the rest of the path treats as uncompressed.

use super::decode::{corrupt, unsupported_syntax};
use super::render::Header;
use crate::error::Error;
use crate::limits::Resolution;

// ---- codec guards ---------------------------------------------------------------------------

/// RLE Lossless (PS3.5 annex G): a 64-byte header with one segment per byte of each
/// sample, each segment PackBits-decoding to Rows × Columns bytes. dicom-rs's decoder
/// panics on a short segment and decodes a long one whole, so both are refused.
pub(super) fn check_rle(frame: &[u8], header: &Header) -> Result<(), Error> {
    let word = |i: usize| -> Option<usize> {
        let b = frame.get(4 * i..4 * i + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let count = word(0).ok_or_else(|| corrupt("the RLE header is truncated"))?;
    let expected = usize::from(header.samples) * usize::from(header.bits_allocated / 8);
    if frame.len() < 64 || count != expected {
        return Err(corrupt(format!(
            "the RLE header lists {count} segments, {expected} expected"
        )));
    }
    let pixels = usize::from(header.rows) * usize::from(header.columns);
    for i in 0..count {
        let start = word(i + 1).unwrap_or(usize::MAX);
        let end = if i + 1 < count {
            word(i + 2).unwrap_or(usize::MAX)
        } else {
            frame.len()
        };
        let segment = frame
            .get(start..end)
            .filter(|_| start >= 64)
            .ok_or_else(|| corrupt(format!("RLE segment {} lies outside the frame", i + 1)))?;
        let decoded = packbits_len(segment);
        // Encoders may pad a segment; anything far longer is a decompression bomb.
        if decoded < pixels || decoded > 2 * pixels + 1024 {
            return Err(corrupt(format!(
                "RLE segment {} decodes to {decoded} bytes, {pixels} expected",
                i + 1
            )));
        }
    }
    Ok(())
}

/// How many bytes a PackBits segment decodes to, without decoding it.
pub(super) fn packbits_len(segment: &[u8]) -> usize {
    let (mut i, mut len) = (0usize, 0usize);
    while i < segment.len() {
        let n = segment[i] as i8;
        i += 1;
        if n >= 0 {
            let run = usize::from(n as u8) + 1;
            len += run.min(segment.len() - i);
            i += run;
        } else if n != -128 {
            if i < segment.len() {
                len += (1 - isize::from(n)) as usize;
            }
            i += 1;
        }
    }
    len
}

/// The JPEG codecs: the first frame's own header (SOF) must describe what the DICOM
/// header says (size, components, sample size), or dicom-rs's decoder panics or
/// allocates for a picture far larger than the limits.
pub(super) fn check_jpeg(
    frame: &[u8],
    header: &Header,
    uid: &str,
    name: &str,
) -> Result<(), Error> {
    let sof = jpeg_frame_header(frame).map_err(corrupt)?;
    if sof.arithmetic || (!sof.lossless && sof.precision != 8) {
        let what = if sof.arithmetic {
            "arithmetic coding".to_string()
        } else {
            format!("{}-bit samples", sof.precision)
        };
        return Err(unsupported_syntax(
            uid,
            Some(&format!("{name} with {what}")),
        ));
    }
    let sample_bytes = if sof.precision <= 8 { 1 } else { 2 };
    if sof.width != header.columns
        || sof.height != header.rows
        || u16::from(sof.components) != header.samples
        || sample_bytes != header.bits_allocated / 8
    {
        return Err(corrupt(format!(
            "the JPEG frame is {}x{} with {} component(s) of {} bits, the DICOM header says {}x{} with {} sample(s) of {} bits",
            sof.width,
            sof.height,
            sof.components,
            sof.precision,
            header.columns,
            header.rows,
            header.samples,
            header.bits_allocated
        )));
    }
    Ok(())
}

/// The facts of a JPEG frame header (SOFn).
pub(super) struct JpegFrame {
    precision: u8,
    height: u16,
    width: u16,
    components: u8,
    lossless: bool,
    arithmetic: bool,
    /// Sequential DCT with Huffman coding (SOF0, SOF1).
    sequential: bool,
}

/// Finds the first frame header of a JPEG stream.
pub(super) fn jpeg_frame_header(data: &[u8]) -> Result<JpegFrame, String> {
    let byte = |i: usize| data.get(i).copied().ok_or("the JPEG data is truncated");
    let word = |i: usize| Ok::<u16, &str>(u16::from_be_bytes([byte(i)?, byte(i + 1)?]));
    if data.get(..2) != Some(&[0xFF, 0xD8][..]) {
        return Err("the pixel data is not a JPEG stream".into());
    }
    let mut pos = 2;
    loop {
        if byte(pos)? != 0xFF {
            return Err(format!("the JPEG data is damaged at byte {pos}"));
        }
        // Fill bytes may precede a marker.
        while byte(pos + 1)? == 0xFF {
            pos += 1;
        }
        let marker = byte(pos + 1)?;
        pos += 2;
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                return Ok(JpegFrame {
                    precision: byte(pos + 2)?,
                    height: word(pos + 3)?,
                    width: word(pos + 5)?,
                    components: byte(pos + 7)?,
                    lossless: matches!(marker, 0xC3 | 0xC7 | 0xCB | 0xCF),
                    arithmetic: marker >= 0xC9,
                    sequential: matches!(marker, 0xC0 | 0xC1),
                });
            }
            0x01 | 0xD0..=0xD8 => {}
            0xD9 | 0xDA => return Err("the JPEG data has no frame header".into()),
            _ => pos += usize::from(word(pos)?),
        }
    }
}

/// Whether a JPEG frame is sequential DCT with Huffman coding and more than 8 bits per
/// sample (12-bit JPEG Extended), which dicom-rs's decoder (jpeg-decoder) refuses and
/// [`crate::codecs::jpeg12`] reads.
pub(super) fn is_deep_sequential_jpeg(frame: &[u8]) -> bool {
    jpeg_frame_header(frame).is_ok_and(|sof| sof.sequential && sof.precision != 8)
}

/// A 12-bit sequential DCT JPEG frame → its samples as an uncompressed frame of
/// `header`'s layout, by [`crate::codecs::jpeg12`]. `uid` and `name` are the transfer
/// syntax's, for a stream it does not read.
pub(super) fn jpeg12(
    frame: &[u8],
    header: &Header,
    uid: &str,
    name: &str,
) -> Result<Vec<u8>, Error> {
    use crate::codecs::jpeg12::{self, Jpeg12Error};
    let failed = |e: Jpeg12Error| match e {
        Jpeg12Error::Unsupported(what) => {
            unsupported_syntax(uid, Some(&format!("{name} with {what}")))
        }
        Jpeg12Error::Corrupt(_) => corrupt(e.to_string()),
        Jpeg12Error::Limits(e) => e,
    };
    let sof = jpeg12::frame_header(frame).map_err(failed)?;
    check_frame(header, (sof.width, sof.height, sof.components), "JPEG")?;
    let mut samples = jpeg12::decode(frame).map_err(failed)?;
    if samples.bits > 8 {
        // Into Bits Stored and at High Bit, as render reads them (a 12-bit stream in a
        // file with fewer bits stored: a lossy overshoot must saturate, not wrap).
        clamp_to_stored_bits(&mut samples, header);
    }
    native_frame(samples, header, "JPEG")
}

/// A JPEG 2000 or HTJ2K frame → its samples as an uncompressed frame of `header`'s
/// layout. With [`Resolution::ForModel`], a frame far larger than the model's input is
/// decoded at a reduced resolution level, and `header`'s size becomes the decoded one.
pub(super) fn jpeg2000(
    frame: &[u8],
    header: &mut Header,
    resolution: Resolution,
) -> Result<Vec<u8>, Error> {
    use crate::codecs::jpeg2000;
    let (width, height, components) = jpeg2000::dimensions(frame, "DICOM")?;
    check_frame(header, (width, height, components), "JPEG 2000")?;
    let mut samples = jpeg2000::decode(frame, resolution, "DICOM")?;
    let (Ok(columns), Ok(rows)) = (u16::try_from(samples.width), u16::try_from(samples.height))
    else {
        return Err(corrupt(
            "the JPEG 2000 frame is larger than its header says",
        ));
    };
    header.columns = columns;
    header.rows = rows;
    if samples.signed {
        // Offset samples → two's complement, and the codestream's sign wins over a
        // Pixel Representation that disagrees with it (as pydicom and GDCM read them).
        let top = 1u16 << (samples.bits - 1);
        flip_top_bit(&mut samples, top);
        header.signed = true;
    } else {
        header.signed = false;
    }
    if samples.bits > 8 && u16::from(samples.bits) > header.bits_stored {
        clamp_to_stored_bits(&mut samples, header);
    }
    if header.samples == 3 {
        // The decoder undoes the colour transform (YBR_RCT, YBR_ICT): the samples are RGB.
        header.photometric = "RGB".into();
        header.planar = 0;
    }
    native_frame(samples, header, "JPEG 2000")
}

/// Samples coded with more bits than Bits Stored (GDCM writes a 12-bit image as a
/// 16-bit codestream) → clamped into Bits Stored, where [`super::render`] reads them:
/// a lossy codec's overshoot past 4095 must saturate, not wrap to black.
fn clamp_to_stored_bits(samples: &mut crate::codecs::Samples, header: &Header) {
    let bits = u32::from(samples.bits);
    let stored = u32::from(header.bits_stored.clamp(1, 16));
    let (lo, hi) = if header.signed {
        (-(1i32 << (stored - 1)), (1i32 << (stored - 1)) - 1)
    } else {
        (0, (1i32 << stored) - 1)
    };
    // Where the stored bits lie, as render's `stored_bits` reads them (a High Bit that
    // contradicts Bits Stored or Bits Allocated counts as Bits Stored - 1).
    let high_bit = u32::from(header.high_bit);
    let shift = if high_bit + 1 >= stored && high_bit < u32::from(header.bits_allocated) {
        high_bit + 1 - stored
    } else {
        0
    };
    let mask = (1u32 << stored) - 1;
    for pair in samples.data.chunks_exact_mut(2) {
        let raw = u32::from(u16::from_le_bytes([pair[0], pair[1]]));
        let value = if header.signed && raw >= 1 << (bits - 1) {
            raw as i32 - (1i32 << bits)
        } else {
            raw as i32
        };
        let stored_value = ((value.clamp(lo, hi) as u32) & mask) << shift;
        pair.copy_from_slice(&(stored_value as u16).to_le_bytes());
    }
}

/// Flips bit `top` of every sample (offset binary ↔ two's complement).
fn flip_top_bit(samples: &mut crate::codecs::Samples, top: u16) {
    if samples.sample_bytes() == 1 {
        for v in &mut samples.data {
            *v ^= top as u8;
        }
    } else {
        for pair in samples.data.chunks_exact_mut(2) {
            let v = u16::from_le_bytes([pair[0], pair[1]]) ^ top;
            pair.copy_from_slice(&v.to_le_bytes());
        }
    }
}

/// A JPEG-LS frame → its samples as an uncompressed frame of `header`'s layout.
pub(super) fn jpegls(frame: &[u8], header: &Header) -> Result<Vec<u8>, Error> {
    use crate::codecs::{Samples, jpegls};
    let (width, height, bits, components) =
        jpegls::frame_header(frame).map_err(|e| corrupt(format!("JPEG-LS: {e}")))?;
    check_frame(header, (width, height, components), "JPEG-LS")?;
    if !(2..=16).contains(&bits) {
        return Err(corrupt(format!("JPEG-LS: {bits} bits per sample")));
    }
    let decoded = jpegls::decode(frame).map_err(|e| corrupt(format!("JPEG-LS: {e}")))?;
    let samples = Samples {
        width: decoded.width,
        height: decoded.height,
        bits: decoded.bits_per_sample,
        components: decoded.components,
        signed: false,
        data: decoded.pixels,
    };
    if !samples.is_complete() {
        return Err(corrupt("JPEG-LS: the decoded frame is incomplete"));
    }
    native_frame(samples, header, "JPEG-LS")
}

/// The codestream's own size and components must be the DICOM header's.
fn check_frame(
    header: &Header,
    (width, height, components): (u32, u32, u8),
    codec: &str,
) -> Result<(), Error> {
    if width != u32::from(header.columns)
        || height != u32::from(header.rows)
        || u16::from(components) != header.samples
    {
        return Err(corrupt(format!(
            "the {codec} frame is {width}x{height} with {components} component(s), the DICOM header says {}x{} with {} sample(s)",
            header.columns, header.rows, header.samples
        )));
    }
    Ok(())
}

/// Decoded samples → the bytes of an uncompressed frame with `header`'s Bits Allocated
/// (8-bit samples widened for a 16-bit frame).
fn native_frame(
    samples: crate::codecs::Samples,
    header: &Header,
    codec: &str,
) -> Result<Vec<u8>, Error> {
    match (samples.sample_bytes(), header.bits_allocated) {
        (1, 8) | (2, 16) => Ok(samples.data),
        (1, 16) => Ok(samples
            .data
            .iter()
            .flat_map(|&v| u16::from(v).to_le_bytes())
            .collect()),
        _ => Err(corrupt(format!(
            "the {codec} frame has {}-bit samples but Bits Allocated is {}",
            samples.bits, header.bits_allocated
        ))),
    }
}
