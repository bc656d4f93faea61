//! DICOM input, on DICOM files the tests write themselves with dicom-object: every
//! supported encoding of one picture gives the picture's probability, the rendering steps
//! (bits stored, MONOCHROME1, rescale and window, first frame) do what a viewer does, bad
//! files get specific errors and never a panic, a DICOM made from a real X-ray classifies
//! like the X-ray itself, and the CLI and `POST /predict` read DICOM without extension.
//!
//! With `PNEUMOSCAN_WRITE_FIXTURES=DIR`, [`write_e2e_fixtures`] writes the DICOM file the
//! browser end-to-end test drops (`tests/run.sh` does this before `e2e/`).

mod common;

use std::io::Cursor;

use dicom_core::value::{PixelFragmentSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemElement;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use image::{DynamicImage, GrayImage, ImageFormat, Luma};
use pneumoscan::{Error, Prediction};

const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
const RLE: &str = "1.2.840.10008.1.2.5";
const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";
/// JPEG 2000 Part 2 (multi-component): still not read.
const JPEG_2000_PART_2: &str = "1.2.840.10008.1.2.4.92";
/// MPEG-2 video: not an image codec for radiographs.
const MPEG2: &str = "1.2.840.10008.1.2.4.100";
/// Digital X-Ray Image Storage - For Presentation.
const DX_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.1.1";

// ---- writing DICOM files --------------------------------------------------------------------

/// How the pixel data is stored.
enum Pixels {
    /// Uncompressed samples, little endian (8 or 16 bits allocated).
    Native(Vec<u8>),
    /// Encapsulated fragments (RLE, JPEG, …), one per frame.
    Fragments(Vec<Vec<u8>>),
    /// No Pixel Data element at all.
    Absent,
}

/// A DICOM image to write: the attributes that matter here, with sensible defaults.
struct Dicom {
    syntax: &'static str,
    width: u16,
    height: u16,
    bits_allocated: u16,
    bits_stored: u16,
    photometric: &'static str,
    frames: u32,
    pixels: Pixels,
    /// Further elements (rescale, window, …).
    extra: Vec<InMemElement>,
}

impl Dicom {
    fn new(syntax: &'static str, width: u32, height: u32, pixels: Pixels) -> Self {
        Dicom {
            syntax,
            width: width as u16,
            height: height as u16,
            bits_allocated: 8,
            bits_stored: 8,
            photometric: "MONOCHROME2",
            frames: 1,
            pixels,
            extra: Vec::new(),
        }
    }

    fn bits(mut self, allocated: u16, stored: u16) -> Self {
        self.bits_allocated = allocated;
        self.bits_stored = stored;
        self
    }

    fn photometric(mut self, photometric: &'static str) -> Self {
        self.photometric = photometric;
        self
    }

    fn frames(mut self, frames: u32) -> Self {
        self.frames = frames;
        self
    }

    /// Adds a text element (DS, CS, IS, …).
    fn with(mut self, tag: Tag, vr: VR, value: &str) -> Self {
        self.extra
            .push(DataElement::new(tag, vr, PrimitiveValue::from(value)));
        self
    }

    /// The file's bytes: preamble, `DICM`, file meta group, data set.
    fn write(self) -> Vec<u8> {
        let us = |tag: Tag, v: u16| -> InMemElement {
            DataElement::new(tag, VR::US, PrimitiveValue::from(v))
        };
        let text = |tag: Tag, vr: VR, v: &str| -> InMemElement {
            DataElement::new(tag, vr, PrimitiveValue::from(v))
        };
        let mut elements = vec![
            text(tags::SOP_CLASS_UID, VR::UI, DX_STORAGE),
            text(
                tags::SOP_INSTANCE_UID,
                VR::UI,
                "1.2.826.0.1.3680043.9.7433.1.1",
            ),
            // Identifying elements: they must never come out of Pneumoscan.
            text(tags::PATIENT_NAME, VR::PN, "Doe^Jane"),
            text(tags::PATIENT_ID, VR::LO, "PID-31415926"),
            text(tags::PATIENT_BIRTH_DATE, VR::DA, "19700101"),
            text(tags::INSTITUTION_NAME, VR::LO, "St Example Hospital"),
            text(tags::MODALITY, VR::CS, "CR"),
            text(tags::BODY_PART_EXAMINED, VR::CS, "CHEST"),
            text(tags::VIEW_POSITION, VR::CS, "PA"),
            us(tags::SAMPLES_PER_PIXEL, 1),
            text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, self.photometric),
            us(tags::ROWS, self.height),
            us(tags::COLUMNS, self.width),
            us(tags::BITS_ALLOCATED, self.bits_allocated),
            us(tags::BITS_STORED, self.bits_stored),
            us(tags::HIGH_BIT, self.bits_stored - 1),
            us(tags::PIXEL_REPRESENTATION, 0),
        ];
        if self.frames > 1 {
            elements.push(text(
                tags::NUMBER_OF_FRAMES,
                VR::IS,
                &self.frames.to_string(),
            ));
        }
        elements.extend(self.extra);
        let vr = if self.bits_allocated > 8 {
            VR::OW
        } else {
            VR::OB
        };
        match self.pixels {
            Pixels::Native(bytes) => elements.push(DataElement::new(
                tags::PIXEL_DATA,
                vr,
                PrimitiveValue::from(bytes),
            )),
            Pixels::Fragments(fragments) => elements.push(DataElement::new(
                tags::PIXEL_DATA,
                VR::OB,
                Value::from(PixelFragmentSequence::new(Vec::<u32>::new(), fragments)),
            )),
            Pixels::Absent => {}
        }
        let file = InMemDicomObject::from_element_iter(elements)
            .with_meta(FileMetaTableBuilder::new().transfer_syntax(self.syntax))
            .expect("meta table");
        let mut bytes = Vec::new();
        file.write_all(&mut bytes).expect("writes DICOM");
        bytes
    }
}

/// 16-bit samples as little-endian bytes.
fn le16(values: impl IntoIterator<Item = u16>) -> Vec<u8> {
    values.into_iter().flat_map(u16::to_le_bytes).collect()
}

/// PackBits, as RLE Lossless uses it (PS3.5 G.3.1).
fn packbits(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let mut run = 1;
        while i + run < data.len() && run < 128 && data[i + run] == data[i] {
            run += 1;
        }
        if run >= 3 {
            out.push((1 - run as i16) as i8 as u8);
            out.push(data[i]);
            i += run;
        } else {
            let start = i;
            while i < data.len()
                && i - start < 128
                && !(i + 2 < data.len() && data[i] == data[i + 1] && data[i] == data[i + 2])
            {
                i += 1;
            }
            out.push((i - start - 1) as u8);
            out.extend_from_slice(&data[start..i]);
        }
    }
    if out.len() % 2 == 1 {
        out.push(0x80); // no-op, to an even length
    }
    out
}

/// One RLE Lossless frame of `bytes_per_sample`-byte grey samples (little endian in).
fn rle_frame(samples: &[u8], bytes_per_sample: usize) -> Vec<u8> {
    // Segments hold the most significant byte first.
    let segments: Vec<Vec<u8>> = (0..bytes_per_sample)
        .rev()
        .map(|byte| {
            let plane: Vec<u8> = samples
                .iter()
                .skip(byte)
                .step_by(bytes_per_sample)
                .copied()
                .collect();
            packbits(&plane)
        })
        .collect();
    let mut frame = vec![0u8; 64];
    frame[..4].copy_from_slice(&(segments.len() as u32).to_le_bytes());
    let mut offset = 64u32;
    for (i, segment) in segments.iter().enumerate() {
        frame[4 + 4 * i..8 + 4 * i].copy_from_slice(&offset.to_le_bytes());
        offset += segment.len() as u32;
    }
    for segment in segments {
        frame.extend_from_slice(&segment);
    }
    frame
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).expect("encodes");
    bytes.into_inner()
}

/// A smooth synthetic grey picture using the whole 0..=255 range (so that the min–max
/// rendering of a DICOM without a window gives back exactly these values).
fn picture(width: u32, height: u32) -> GrayImage {
    let mut picture = GrayImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let v = 0.5 + 0.3 * (fx * 9.0).sin() * (fy * 7.0).cos() - 0.2 * (fx - 0.5).abs();
        Luma([(v.clamp(0.0, 1.0) * 255.0) as u8])
    });
    picture.put_pixel(0, 0, Luma([0]));
    picture.put_pixel(1, 0, Luma([255]));
    picture
}

/// A one-component (grey) baseline JPEG.
fn grey_jpeg(picture: &GrayImage, quality: u8) -> Vec<u8> {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality)
        .encode(
            picture.as_raw(),
            picture.width(),
            picture.height(),
            image::ExtendedColorType::L8,
        )
        .expect("JPEG");
    jpeg
}

fn classify(bytes: &[u8]) -> Result<Prediction, Error> {
    common::classifier().classify(bytes)
}

fn assert_close(name: &str, p: &Prediction, reference: &Prediction, tolerance: f64) {
    assert!(
        (p.probability - reference.probability).abs() <= tolerance,
        "{name}: {} vs {}",
        p.probability,
        reference.probability
    );
}

// ---- the supported encodings ------------------------------------------------------------

#[test]
fn every_supported_encoding_gives_the_pictures_probability() {
    let (w, h) = (300, 250);
    let grey = picture(w, h);
    let png = classify(&encode(
        &DynamicImage::ImageLuma8(grey.clone()),
        ImageFormat::Png,
    ))
    .expect("PNG");
    let raw = grey.as_raw().clone();
    // 12 bits stored in 16: the picture × 16, with junk in the 4 unused high bits.
    let twelve = le16(raw.iter().map(|&v| (u16::from(v) << 4) | 0xA000));
    let cases = [
        (
            "explicit VR little endian, 8 bits",
            Dicom::new(EXPLICIT_LE, w, h, Pixels::Native(raw.clone())),
            "Explicit VR Little Endian",
        ),
        (
            "implicit VR little endian, 8 bits",
            Dicom::new(IMPLICIT_LE, w, h, Pixels::Native(raw.clone())),
            "Implicit VR Little Endian",
        ),
        (
            "explicit VR little endian, 12 bits stored in 16",
            Dicom::new(EXPLICIT_LE, w, h, Pixels::Native(twelve.clone())).bits(16, 12),
            "Explicit VR Little Endian",
        ),
        (
            "implicit VR little endian, 12 bits stored in 16",
            Dicom::new(IMPLICIT_LE, w, h, Pixels::Native(twelve.clone())).bits(16, 12),
            "Implicit VR Little Endian",
        ),
        (
            "RLE Lossless, 8 bits",
            Dicom::new(RLE, w, h, Pixels::Fragments(vec![rle_frame(&raw, 1)])),
            "RLE Lossless",
        ),
        (
            "RLE Lossless, 12 bits stored in 16",
            Dicom::new(RLE, w, h, Pixels::Fragments(vec![rle_frame(&twelve, 2)])).bits(16, 12),
            "RLE Lossless",
        ),
    ];
    for (name, dicom, syntax) in cases {
        let bits_stored = dicom.bits_stored;
        let p = classify(&dicom.write()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(p.image.format, "DICOM", "{name}");
        assert_eq!((p.image.width, p.image.height), (w, h), "{name}");
        assert_close(name, &p, &png, 1e-6);
        let info = p.dicom.as_ref().expect("DICOM facts");
        assert_eq!(info.transfer_syntax, syntax, "{name}");
        assert_eq!(info.bits_stored, bits_stored, "{name}");
        assert_eq!(info.modality.as_deref(), Some("CR"));
        assert_eq!(info.view_position.as_deref(), Some("PA"));
        assert_eq!(info.body_part_examined.as_deref(), Some("CHEST"));
        assert_eq!(info.photometric_interpretation, "MONOCHROME2");
        assert_eq!(info.frames, 1);
        assert!(p.warnings.is_empty(), "{name}: {:?}", p.warnings);
    }
}

#[test]
fn jpeg_baseline_matches_the_same_jpeg_read_directly() {
    let jpeg = grey_jpeg(&picture(320, 256), 95);
    let direct = classify(&jpeg).expect("JPEG file");
    let mut fragment = jpeg.clone();
    if fragment.len() % 2 == 1 {
        fragment.push(0);
    }
    // The identity window: JPEG's ringing moves the picture's minimum and maximum, so a
    // min–max stretch would change it.
    let dicom = Dicom::new(JPEG_BASELINE, 320, 256, Pixels::Fragments(vec![fragment]))
        .with(tags::WINDOW_CENTER, VR::DS, "128")
        .with(tags::WINDOW_WIDTH, VR::DS, "256")
        .write();
    let p = classify(&dicom).expect("JPEG baseline DICOM");
    assert_eq!(
        p.dicom.as_ref().expect("facts").transfer_syntax,
        "JPEG Baseline (Process 1)"
    );
    // Two JPEG decoders (zune-jpeg for the file, jpeg-decoder in dicom-rs) may differ in
    // rounding, hardly more.
    assert_close("JPEG baseline", &p, &direct, 2e-3);
}

#[test]
fn monochrome1_is_inverted() {
    let grey = picture(300, 250);
    let reference = classify(&encode(
        &DynamicImage::ImageLuma8(grey.clone()),
        ImageFormat::Png,
    ))
    .expect("PNG");
    let inverted: Vec<u8> = grey.as_raw().iter().map(|&v| 255 - v).collect();
    let p = classify(
        &Dicom::new(EXPLICIT_LE, 300, 250, Pixels::Native(inverted))
            .photometric("MONOCHROME1")
            .write(),
    )
    .expect("MONOCHROME1");
    assert_close("MONOCHROME1", &p, &reference, 1e-6);
    assert_eq!(
        p.dicom.expect("facts").photometric_interpretation,
        "MONOCHROME1"
    );
}

#[test]
fn rescale_then_the_first_window_is_applied() {
    let grey = picture(300, 250);
    let reference = classify(&encode(
        &DynamicImage::ImageLuma8(grey.clone()),
        ImageFormat::Png,
    ))
    .expect("PNG");
    // Stored: v × 4 (10 bits); rescaled: 0.5 × stored − 100 = 2v − 100, in −100..=410.
    // The first window (centre 155.5, width 511) maps that range linearly onto the
    // display range, giving back v; the second would clip almost everything.
    let stored = le16(grey.as_raw().iter().map(|&v| u16::from(v) * 4));
    let dicom = Dicom::new(EXPLICIT_LE, 300, 250, Pixels::Native(stored))
        .bits(16, 10)
        .with(tags::RESCALE_SLOPE, VR::DS, "0.5")
        .with(tags::RESCALE_INTERCEPT, VR::DS, "-100")
        .with(tags::WINDOW_CENTER, VR::DS, "155.5\\40")
        .with(tags::WINDOW_WIDTH, VR::DS, "511\\80");
    let p = classify(&dicom.write()).expect("rescaled and windowed");
    assert_close("rescale + window", &p, &reference, 1e-4);

    // Without a window: min–max of the rescaled values, so the same picture again.
    let stored = le16(grey.as_raw().iter().map(|&v| u16::from(v) * 4));
    let dicom = Dicom::new(EXPLICIT_LE, 300, 250, Pixels::Native(stored))
        .bits(16, 10)
        .with(tags::RESCALE_SLOPE, VR::DS, "0.5")
        .with(tags::RESCALE_INTERCEPT, VR::DS, "-100");
    let p = classify(&dicom.write()).expect("rescaled");
    assert_close("rescale, min–max", &p, &reference, 1e-4);
}

#[test]
fn multi_frame_gives_the_first_frame_with_a_warning() {
    let grey = picture(300, 250);
    let reference = classify(&encode(
        &DynamicImage::ImageLuma8(grey.clone()),
        ImageFormat::Png,
    ))
    .expect("PNG");
    let mut frames = grey.as_raw().clone();
    frames.extend(grey.as_raw().iter().map(|&v| 255 - v));
    frames.extend(std::iter::repeat_n(0u8, grey.as_raw().len()));
    for (name, dicom) in [
        (
            "native",
            Dicom::new(EXPLICIT_LE, 300, 250, Pixels::Native(frames.clone())).frames(3),
        ),
        (
            "RLE",
            Dicom::new(
                RLE,
                300,
                250,
                Pixels::Fragments(frames.chunks(300 * 250).map(|f| rle_frame(f, 1)).collect()),
            )
            .frames(3),
        ),
    ] {
        let p = classify(&dicom.write()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_close(name, &p, &reference, 1e-6);
        assert_eq!(p.dicom.as_ref().expect("facts").frames, 3);
        assert!(
            p.warnings
                .iter()
                .any(|w| w.contains("3 frames") && w.contains("first frame")),
            "{name}: {:?}",
            p.warnings
        );
    }
}

#[test]
fn nothing_identifying_comes_out() {
    let p = classify(
        &Dicom::new(
            EXPLICIT_LE,
            64,
            64,
            Pixels::Native(picture(64, 64).into_raw()),
        )
        .write(),
    )
    .expect("DICOM");
    let json = serde_json::to_string(&p).expect("serialises");
    for secret in [
        "Doe",
        "Jane",
        "PID-31415926",
        "19700101",
        "St Example",
        "1.2.826",
    ] {
        assert!(!json.contains(secret), "{secret} leaked: {json}");
    }
    let dicom = serde_json::to_value(&p).expect("value")["dicom"].clone();
    assert_eq!(
        dicom,
        serde_json::json!({
            "modality": "CR",
            "view_position": "PA",
            "body_part_examined": "CHEST",
            "photometric_interpretation": "MONOCHROME2",
            "bits_stored": 8,
            "frames": 1,
            "transfer_syntax": "Explicit VR Little Endian",
        })
    );
    // Other formats say so with null.
    let png = classify(&encode(
        &DynamicImage::ImageLuma8(picture(64, 64)),
        ImageFormat::Png,
    ))
    .expect("PNG");
    assert!(serde_json::to_value(&png).expect("value")["dicom"].is_null());
}

// ---- errors -------------------------------------------------------------------------------

#[test]
fn dicom_without_pixel_data_is_a_specific_error() {
    let bytes = Dicom::new(EXPLICIT_LE, 64, 64, Pixels::Absent).write();
    let error = classify(&bytes).expect_err("no pixel data");
    assert_eq!(error, Error::DicomNoPixelData);
    assert!(error.to_string().contains("no image"), "{error}");
}

#[test]
fn unsupported_transfer_syntaxes_are_named() {
    // A JPEG 2000 code stream's start; never decoded.
    let j2k = vec![0xFF, 0x4F, 0xFF, 0x51, 0, 0];
    for (uid, name) in [(JPEG_2000_PART_2, "JPEG 2000"), (MPEG2, "MPEG")] {
        let bytes = Dicom::new(uid, 64, 64, Pixels::Fragments(vec![j2k.clone()])).write();
        match classify(&bytes) {
            Err(e @ Error::DicomTransferSyntax { .. }) => {
                let message = e.to_string();
                assert!(message.contains(name) && message.contains(uid), "{message}");
            }
            other => panic!("{uid}: expected DicomTransferSyntax, got {other:?}"),
        }
    }
    // A transfer syntax no one knows.
    let bytes = Dicom::new(EXPLICIT_LE, 64, 64, Pixels::Native(vec![0; 64 * 64])).write();
    let bytes = replace_uid(&bytes, EXPLICIT_LE, "1.2.840.10008.9.9.9");
    match classify(&bytes) {
        Err(e @ Error::DicomTransferSyntax { .. }) => {
            assert!(e.to_string().contains("1.2.840.10008.9.9.9"), "{e}")
        }
        other => panic!("expected DicomTransferSyntax, got {other:?}"),
    }
}

/// The file with the transfer syntax UID `from` replaced by `to` of the same padded
/// length (so that no length changes).
fn replace_uid(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let padded = |s: &str| {
        let mut b = s.as_bytes().to_vec();
        if b.len() % 2 == 1 {
            b.push(0);
        }
        b
    };
    let (from, to) = (padded(from), padded(to));
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("UID in the file");
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(&to);
    out
}

#[test]
fn truncated_and_damaged_dicom_are_reported_as_damaged() {
    let bytes = Dicom::new(
        EXPLICIT_LE,
        300,
        250,
        Pixels::Native(picture(300, 250).into_raw()),
    )
    .write();
    match classify(&bytes[..bytes.len() / 2]) {
        Err(Error::Corrupt { format, message }) => {
            assert_eq!(format, "DICOM");
            assert!(message.contains("truncated"), "{message}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    // Only the preamble and the magic.
    assert!(matches!(
        classify(&bytes[..132]),
        Err(Error::Corrupt { .. })
    ));
    // A tiny file whose element claims 4 GiB must not make anyone allocate it.
    let mut bomb = bytes[..bytes.len() - 300 * 250].to_vec();
    let n = bomb.len();
    bomb[n - 4..].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    match classify(&bomb) {
        Err(Error::Corrupt { message, .. }) => assert!(message.contains("declares"), "{message}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn dicom_limits_are_the_image_limits() {
    // Rows × Columns over the pixel limit: refused before any pixel is read.
    let mut big = Dicom::new(EXPLICIT_LE, 64, 64, Pixels::Native(vec![0; 64 * 64]));
    big.width = 16_000;
    big.height = 16_000;
    assert!(matches!(classify(&big.write()), Err(Error::TooLarge(_))));
    let small = Dicom::new(EXPLICIT_LE, 16, 16, Pixels::Native(vec![0; 256])).write();
    assert!(matches!(classify(&small), Err(Error::TooSmall { .. })));
}

/// Every prefix and many single-byte changes of small DICOM files in each encoding:
/// errors, never a panic (`input::decode` only: the model is not needed).
#[test]
fn damaged_dicom_never_panics() {
    let (w, h) = (40, 36);
    let raw = picture(w, h).into_raw();
    let sixteen = le16(raw.iter().map(|&v| u16::from(v) << 4));
    let mut jpeg = grey_jpeg(&picture(w, h), 90);
    if jpeg.len() % 2 == 1 {
        jpeg.push(0);
    }
    let files = [
        Dicom::new(EXPLICIT_LE, w, h, Pixels::Native(raw.clone())).write(),
        Dicom::new(IMPLICIT_LE, w, h, Pixels::Native(sixteen.clone()))
            .bits(16, 12)
            .write(),
        Dicom::new(RLE, w, h, Pixels::Fragments(vec![rle_frame(&sixteen, 2)]))
            .bits(16, 12)
            .write(),
        Dicom::new(JPEG_BASELINE, w, h, Pixels::Fragments(vec![jpeg])).write(),
    ];
    for file in &files {
        pneumoscan::input::decode(file).expect("the intact file decodes");
        for cut in 0..file.len() {
            let _ = pneumoscan::input::decode(&file[..cut]);
        }
        let mut state = 0x2545_F491_u32;
        for _ in 0..3000 {
            // xorshift: which byte, and what to put there.
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let mut damaged = file.clone();
            let at = 128 + state as usize % (file.len() - 128);
            damaged[at] = match state >> 28 {
                0 => 0xFF,
                1 => 0x00,
                _ => (state >> 20) as u8,
            };
            let _ = pneumoscan::input::decode(&damaged);
        }
    }
}

// ---- a real X-ray -------------------------------------------------------------------------

/// A real chest X-ray stored the way computed radiography stores it: 12 bits in 16,
/// MONOCHROME1, RLE Lossless, with a window giving back the original grey levels; modality
/// CR, view PA.
fn real_xray_dicom(xray: &GrayImage) -> Vec<u8> {
    // Stored x = (255 − v) × 16 + 8 in 8..=4088; the window maps 8..=4088 onto the
    // display range and MONOCHROME1 inverts it: v / 255 again.
    let stored = le16(xray.as_raw().iter().map(|&v| u16::from(255 - v) * 16 + 8));
    Dicom::new(
        RLE,
        xray.width(),
        xray.height(),
        Pixels::Fragments(vec![rle_frame(&stored, 2)]),
    )
    .bits(16, 12)
    .photometric("MONOCHROME1")
    .with(tags::WINDOW_CENTER, VR::DS, "2048.5")
    .with(tags::WINDOW_WIDTH, VR::DS, "4081")
    .write()
}

fn first_original(data: &std::path::Path) -> std::path::PathBuf {
    common::files_in(&data.join("originals/PNEUMONIA"))
        .into_iter()
        .next()
        .expect("an original X-ray")
}

#[test]
fn dicom_made_from_a_real_xray_classifies_like_the_xray() {
    let Some(data) = common::data_dir("dicom_made_from_a_real_xray_classifies_like_the_xray")
    else {
        return;
    };
    let classifier = common::classifier();
    for path in [
        first_original(&data),
        common::files_in(&data.join("originals/NORMAL"))
            .into_iter()
            .next()
            .expect("an original X-ray"),
    ] {
        let bytes = std::fs::read(&path).expect("read X-ray");
        let xray = image::load_from_memory(&bytes).expect("decode").to_luma8();
        let original = classifier.classify(&bytes).expect("X-ray");
        let p = classifier
            .classify(&real_xray_dicom(&xray))
            .expect("DICOM X-ray");
        assert!(p.refusal.is_none(), "{}: {:?}", path.display(), p.refusal);
        assert_eq!(p.label, original.label, "{}", path.display());
        assert_close(&path.display().to_string(), &p, &original, 0.03);

        // And an 8-bit explicit VR copy, windowed 0..=255.
        let explicit = Dicom::new(
            EXPLICIT_LE,
            xray.width(),
            xray.height(),
            Pixels::Native(xray.as_raw().clone()),
        )
        .with(tags::WINDOW_CENTER, VR::DS, "128")
        .with(tags::WINDOW_WIDTH, VR::DS, "256")
        .write();
        let p = classifier.classify(&explicit).expect("8-bit DICOM X-ray");
        assert_close(&path.display().to_string(), &p, &original, 0.03);
    }
}

/// Writes `chest_pa` (a DICOM file without extension, made from a real X-ray) into
/// `$PNEUMOSCAN_WRITE_FIXTURES`, for the browser end-to-end test; does nothing without it.
#[test]
fn write_e2e_fixtures() {
    let Some(dir) = std::env::var_os("PNEUMOSCAN_WRITE_FIXTURES") else {
        return;
    };
    let data = common::data_dir("write_e2e_fixtures").expect("the data set, for the fixture");
    let xray = image::open(first_original(&data))
        .expect("decode X-ray")
        .to_luma8();
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("fixture folder");
    std::fs::write(dir.join("chest_pa"), real_xray_dicom(&xray)).expect("write fixture");
}

// ---- the CLI and the server ---------------------------------------------------------------

#[cfg(feature = "native")]
mod front_ends {
    use std::process::Command;

    use reqwest::multipart::{Form, Part};
    use serde_json::Value;

    use super::*;

    #[test]
    fn cli_classifies_dicom_without_extension() {
        let Some(data) = common::data_dir("cli_classifies_dicom_without_extension") else {
            return;
        };
        let xray = image::open(first_original(&data))
            .expect("X-ray")
            .to_luma8();
        let dir = tempfile::tempdir().expect("tempdir");
        let dicom = dir.path().join("chest_pa");
        std::fs::write(&dicom, real_xray_dicom(&xray)).expect("write");
        let no_pixels = dir.path().join("report");
        std::fs::write(
            &no_pixels,
            Dicom::new(EXPLICIT_LE, 64, 64, Pixels::Absent).write(),
        )
        .expect("write");

        let output = Command::new(env!("CARGO_BIN_EXE_pneumoscan"))
            .args(["classify", "--json"])
            .args([&dicom, &no_pixels])
            .env_remove("PNEUMOSCAN_MODEL")
            .output()
            .expect("runs pneumoscan");
        assert_eq!(output.status.code(), Some(1), "one error among the files");
        let results: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let library = common::classifier()
            .classify(&std::fs::read(&dicom).expect("read"))
            .expect("library");
        assert_eq!(results[0]["status"], "ok");
        let p = results[0]["probability"].as_f64().expect("probability");
        assert!((p - library.probability).abs() < 1e-9);
        assert_eq!(results[1]["status"], "error");
        assert!(
            results[1]["message"]
                .as_str()
                .expect("message")
                .contains("no image")
        );

        // The human line names the modality and the view.
        let output = Command::new(env!("CARGO_BIN_EXE_pneumoscan"))
            .args(["classify"])
            .arg(&dicom)
            .env_remove("PNEUMOSCAN_MODEL")
            .output()
            .expect("runs pneumoscan");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("DICOM CR, view PA"), "{text}");
    }

    #[test]
    fn predict_accepts_dicom() {
        let Some(data) = common::data_dir("predict_accepts_dicom") else {
            return;
        };
        let xray = image::open(first_original(&data))
            .expect("X-ray")
            .to_luma8();
        let bytes = real_xray_dicom(&xray);
        let library = common::classifier().classify(&bytes).expect("library");

        let (runtime, base) = common::serve();

        let post = |name: &str, bytes: Vec<u8>| {
            runtime.block_on(async {
                let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
                let response = reqwest::Client::new()
                    .post(format!("{base}/predict"))
                    .multipart(form)
                    .send()
                    .await
                    .expect("request");
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.expect("JSON"))
            })
        };
        let (status, body) = post("chest_pa", bytes);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "ok");
        assert!((body["probability"].as_f64().expect("p") - library.probability).abs() < 1e-9);
        assert_eq!(body["image"]["format"], "DICOM");
        assert_eq!(body["dicom"]["modality"], "CR");
        assert_eq!(body["dicom"]["view_position"], "PA");
        assert_eq!(body["dicom"]["transfer_syntax"], "RLE Lossless");
        assert!(!body.to_string().contains("Doe"));

        let j2k = Dicom::new(
            JPEG_2000_PART_2,
            64,
            64,
            Pixels::Fragments(vec![vec![0xFF, 0x4F]]),
        );
        let (status, body) = post("j2k", j2k.write());
        assert_eq!(status, 415, "{body}");
        assert!(body["error"].as_str().expect("error").contains("JPEG 2000"));
    }
}

// ---- the fuzzing seeds --------------------------------------------------------------------

/// Small DICOM files, one per supported encoding and rendering path, plus one without
/// pixel data: the seeds from which `tests/fuzz.sh` mutates DICOM input (a fuzzer would
/// not find the `DICM` magic and a valid file meta group on its own).
fn fuzz_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let (w, h) = (40, 36);
    let raw = picture(w, h).into_raw();
    let twelve = le16(raw.iter().map(|&v| u16::from(v) << 4));
    let mut jpeg = grey_jpeg(&picture(w, h), 90);
    if jpeg.len() % 2 == 1 {
        jpeg.push(0);
    }
    let mut frames = raw.clone();
    frames.extend(raw.iter().map(|&v| 255 - v));
    vec![
        (
            "explicit.dcm",
            Dicom::new(EXPLICIT_LE, w, h, Pixels::Native(raw.clone())).write(),
        ),
        (
            "implicit12.dcm",
            Dicom::new(IMPLICIT_LE, w, h, Pixels::Native(twelve.clone()))
                .bits(16, 12)
                .with(tags::RESCALE_SLOPE, VR::DS, "2")
                .with(tags::RESCALE_INTERCEPT, VR::DS, "-100")
                .write(),
        ),
        (
            "rle-monochrome1.dcm",
            Dicom::new(RLE, w, h, Pixels::Fragments(vec![rle_frame(&twelve, 2)]))
                .bits(16, 12)
                .photometric("MONOCHROME1")
                .with(tags::WINDOW_CENTER, VR::DS, "2048")
                .with(tags::WINDOW_WIDTH, VR::DS, "4096")
                .write(),
        ),
        (
            "jpeg-baseline.dcm",
            Dicom::new(JPEG_BASELINE, w, h, Pixels::Fragments(vec![jpeg])).write(),
        ),
        (
            "multiframe.dcm",
            Dicom::new(EXPLICIT_LE, w, h, Pixels::Native(frames))
                .frames(2)
                .write(),
        ),
        (
            "no-pixels.dcm",
            Dicom::new(EXPLICIT_LE, w, h, Pixels::Absent).write(),
        ),
    ]
}

/// The committed seeds in `fuzz/seeds/` are exactly what [`fuzz_seeds`] writes, and each
/// gets its expected answer. `PNEUMOSCAN_WRITE_FUZZ_SEEDS=1` writes them afresh.
#[test]
fn fuzz_seeds_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    for (name, bytes) in fuzz_seeds() {
        let decoded = pneumoscan::input::decode(&bytes);
        if name == "no-pixels.dcm" {
            assert!(matches!(decoded, Err(Error::DicomNoPixelData)), "{name}");
        } else {
            decoded.unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let path = dir.join(name);
        if std::env::var_os("PNEUMOSCAN_WRITE_FUZZ_SEEDS").is_some() {
            std::fs::write(&path, &bytes).expect("write seed");
        }
        let committed = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run PNEUMOSCAN_WRITE_FUZZ_SEEDS=1 cargo test --test dicom fuzz_seeds",
                path.display()
            )
        });
        assert!(
            committed == bytes,
            "{} is stale; run PNEUMOSCAN_WRITE_FUZZ_SEEDS=1 cargo test --test dicom fuzz_seeds",
            path.display()
        );
    }
}
