//! What a file is, from its first bytes, before any decoder runs: DICOM (read as
//! tolerantly as the most-used toolkits), JPEG 2000, and which formats need the decoders
//! of the `codecs` feature.
//!
//! The browser's first WebAssembly module is built without that feature (PNG and JPEG
//! only, the formats nearly every dropped file is in): it still recognises every other
//! format here and answers [`crate::Error::DecoderNotLoaded`], upon which the worker
//! fetches the second module, built with every decoder, and classifies the file there
//! (`www/worker.js`). Natively, `codecs` is always on.

/// Where the `DICM` magic of a DICOM Part 10 file lies: after the 128-byte preamble.
pub const MAGIC_AT: usize = 128;

/// True when `bytes` start like DICOM: a Part 10 file (preamble and `DICM`), `DICM`
/// without the preamble, or, as the most-used toolkits also read, a bare file meta group
/// (group 0002, explicit VR) or a bare data set whose first element is in group 0008
/// with a plausible explicit VR or implicit length.
pub fn is_dicom(bytes: &[u8]) -> bool {
    if bytes.get(MAGIC_AT..MAGIC_AT + 4) == Some(b"DICM") || bytes.starts_with(b"DICM") {
        return true;
    }
    let Some(&[g0, g1, e0, e1, v0, v1, l0, l1]) = bytes.get(..8) else {
        return false;
    };
    let group = u16::from_le_bytes([g0, g1]);
    let element = u16::from_le_bytes([e0, e1]);
    let explicit = is_vr([v0, v1]);
    // A bare explicit VR big endian data set (retired, but still met).
    if u16::from_be_bytes([g0, g1]) == 0x0008 && explicit {
        return u16::from_be_bytes([e0, e1]) <= 0x0020;
    }
    match group {
        0x0002 => explicit && element <= 0x0100,
        0x0008 => {
            // Implicit VR: a 32-bit length that fits the file.
            let implicit_len = u32::from_le_bytes([v0, v1, l0, l1]) as usize;
            element <= 0x0020 && (explicit || implicit_len <= bytes.len())
        }
        _ => false,
    }
}

/// True for the two bytes of a value representation (PS3.5 6.2).
pub(crate) fn is_vr(vr: [u8; 2]) -> bool {
    const VRS: [&[u8; 2]; 34] = [
        b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FD", b"FL", b"IS", b"LO", b"LT", b"OB",
        b"OD", b"OF", b"OL", b"OV", b"OW", b"PN", b"SH", b"SL", b"SQ", b"SS", b"ST", b"SV", b"TM",
        b"UC", b"UI", b"UL", b"UN", b"UR", b"US", b"UT", b"UV",
    ];
    VRS.contains(&&vr)
}

/// True when `bytes` start with the JP2 signature box or a codestream's SOC and SIZ
/// markers.
pub fn is_jpeg2000(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x00\x00\x00\x0C\x6A\x50\x20\x20") || bytes.starts_with(b"\xFF\x4F\xFF\x51")
}

/// The name of the format of `bytes` when it is one that only the decoders of the
/// `codecs` feature read (DICOM, JPEG 2000, TIFF, PNM, BMP, GIF, WebP), else `None`
/// (PNG, JPEG, or not an image at all: the decoders say which).
pub fn needs_codecs(bytes: &[u8]) -> Option<&'static str> {
    use image::ImageFormat;
    if is_dicom(bytes) {
        return Some("DICOM");
    }
    if is_jpeg2000(bytes) {
        return Some("JPEG 2000");
    }
    match image::guess_format(bytes).ok()? {
        ImageFormat::Png | ImageFormat::Jpeg => None,
        ImageFormat::Tiff => Some("TIFF"),
        ImageFormat::Pnm => Some("PNM"),
        ImageFormat::Bmp => Some("BMP"),
        ImageFormat::Gif => Some("GIF"),
        ImageFormat::WebP => Some("WebP"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_beyond_png_and_jpeg_are_named() {
        let mut dicom = vec![0u8; 132];
        dicom[128..].copy_from_slice(b"DICM");
        assert_eq!(needs_codecs(&dicom), Some("DICOM"));
        assert_eq!(needs_codecs(b"\xFF\x4F\xFF\x51\0\0"), Some("JPEG 2000"));
        assert_eq!(needs_codecs(b"II*\0\x08\0\0\0"), Some("TIFF"));
        assert_eq!(needs_codecs(b"P5\n2 2\n255\n\0\0\0\0"), Some("PNM"));
        assert_eq!(needs_codecs(b"GIF89a\x01\0\x01\0"), Some("GIF"));
        assert_eq!(needs_codecs(b"\x89PNG\r\n\x1a\n"), None);
        assert_eq!(needs_codecs(b"\xFF\xD8\xFF\xE0"), None);
        assert_eq!(needs_codecs(b"%PDF-1.7"), None);
    }
}
