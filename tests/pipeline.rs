//! The core pipeline on files the tests make themselves: every supported encoding of one
//! picture gives the same probability, bad files give specific errors, the gate refuses
//! what is plainly not an X-ray.

mod common;

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageFormat, Luma};
use pneumoscan::{Error, Prediction, Refusal};

/// A smooth synthetic grey picture, `width` x `height`.
fn picture(width: u32, height: u32) -> GrayImage {
    GrayImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let v = 0.5 + 0.3 * (fx * 9.0).sin() * (fy * 7.0).cos() - 0.2 * (fx - 0.5).abs();
        Luma([(v.clamp(0.0, 1.0) * 255.0) as u8])
    })
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).expect("encodes");
    bytes.into_inner()
}

fn classify(bytes: &[u8]) -> Result<Prediction, Error> {
    common::classifier().classify(bytes)
}

#[test]
fn lossless_encodings_of_one_picture_agree() {
    let grey = picture(300, 250);
    let base = classify(&encode(
        &DynamicImage::ImageLuma8(grey.clone()),
        ImageFormat::Png,
    ))
    .expect("grey PNG");
    assert_eq!((base.image.width, base.image.height), (300, 250));
    assert!((0.0..=1.0).contains(&base.probability));

    let rgb = DynamicImage::ImageLuma8(grey.clone()).to_rgb8();
    let mut rgba = DynamicImage::ImageLuma8(grey.clone()).to_rgba8();
    for (i, pixel) in rgba.pixels_mut().enumerate() {
        pixel[3] = (i % 256) as u8; // alpha is ignored
    }
    let grey16 = DynamicImage::ImageLuma8(grey.clone()).to_luma16();
    let cases: Vec<(&str, Vec<u8>, f64)> = vec![
        (
            "16-bit grey PNG",
            encode(&DynamicImage::ImageLuma16(grey16), ImageFormat::Png),
            1e-6,
        ),
        (
            "RGB PNG",
            encode(&DynamicImage::ImageRgb8(rgb.clone()), ImageFormat::Png),
            1e-4,
        ),
        (
            "RGBA PNG",
            encode(&DynamicImage::ImageRgba8(rgba), ImageFormat::Png),
            1e-4,
        ),
        (
            "grey BMP",
            encode(&DynamicImage::ImageRgb8(rgb.clone()), ImageFormat::Bmp),
            1e-4,
        ),
        (
            "grey TIFF",
            encode(&DynamicImage::ImageLuma8(grey.clone()), ImageFormat::Tiff),
            1e-6,
        ),
        (
            "lossless WebP",
            encode(&DynamicImage::ImageRgb8(rgb), ImageFormat::WebP),
            1e-4,
        ),
    ];
    for (name, bytes, tolerance) in cases {
        let p = classify(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            (p.probability - base.probability).abs() <= tolerance,
            "{name}: {} vs {}",
            p.probability,
            base.probability
        );
        assert_eq!(
            p.heatmap.logits.len(),
            p.heatmap.width * p.heatmap.height,
            "{name}"
        );
    }
}

#[test]
fn jpeg_is_close_to_the_lossless_picture() {
    let grey = DynamicImage::ImageLuma8(picture(320, 256));
    let png = classify(&encode(&grey, ImageFormat::Png)).expect("PNG");
    let jpeg = classify(&encode(&grey, ImageFormat::Jpeg)).expect("JPEG");
    assert_eq!(jpeg.image.format, "JPEG");
    assert!(
        (jpeg.probability - png.probability).abs() < 0.02,
        "{} vs {}",
        jpeg.probability,
        png.probability
    );
}

#[test]
fn exif_orientation_turns_the_image_upright() {
    let upright = DynamicImage::ImageLuma8(picture(320, 256));
    // Stored turned 90° anticlockwise; orientation 6 says "rotate 90° clockwise to view".
    let stored = upright.rotate270();
    let tagged = common::corpus::with_exif_orientation(&encode(&stored, ImageFormat::Jpeg), 6);
    let p = classify(&tagged).expect("EXIF JPEG");
    assert_eq!((p.image.width, p.image.height), (320, 256));
    assert!(
        p.warnings.iter().any(|w| w.contains("EXIF")),
        "{:?}",
        p.warnings
    );
    let reference = classify(&encode(&upright, ImageFormat::Jpeg)).expect("upright JPEG");
    assert!((p.probability - reference.probability).abs() < 0.02);
}

#[test]
fn files_that_are_not_images_get_specific_errors() {
    assert_eq!(classify(b""), Err(Error::Empty));
    let cases: [(&[u8], &str); 4] = [
        (b"hello, this is just some text\n", "text file"),
        (b"%PDF-1.7\n1 0 obj << >> endobj", "PDF"),
        (b"<!DOCTYPE html><html><body>x</body></html>", "HTML"),
        (
            &[0x00, 0x9f, 0x92, 0x96, 0xff, 0x00, 0x13, 0x37, 0x80, 0x81],
            "not a known image format",
        ),
    ];
    for (bytes, needle) in cases {
        match classify(bytes) {
            Err(e @ Error::UnsupportedFormat(_)) => assert!(e.to_string().contains(needle), "{e}"),
            other => panic!("{needle}: expected UnsupportedFormat, got {other:?}"),
        }
    }
}

#[test]
fn truncated_png_is_reported_as_damaged() {
    let png = encode(
        &DynamicImage::ImageLuma8(picture(300, 250)),
        ImageFormat::Png,
    );
    match classify(&png[..png.len() / 2]) {
        Err(Error::Corrupt { format, .. }) => assert_eq!(format, "PNG"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header claims `width` x `height` (a decompression bomb's calling card),
/// followed by an empty IDAT and IEND.
fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit grey
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for chunk in [ihdr, b"IDAT".to_vec(), b"IEND".to_vec()] {
        png.extend_from_slice(&(chunk.len() as u32 - 4).to_be_bytes());
        png.extend_from_slice(&chunk);
        png.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    png
}

#[test]
fn oversized_and_tiny_images_are_refused_before_decoding() {
    let bomb = classify(&png_header_only(60_000, 60_000));
    assert!(matches!(bomb, Err(Error::TooLarge(_))), "{bomb:?}");
    let wide = classify(&png_header_only(16_000, 16_000));
    assert!(matches!(wide, Err(Error::TooLarge(_))), "{wide:?}");
    let tiny = encode(
        &DynamicImage::ImageLuma8(GrayImage::new(1, 1)),
        ImageFormat::Png,
    );
    assert!(matches!(classify(&tiny), Err(Error::TooSmall { .. })));
}

#[test]
fn gate_refuses_colour_and_blank_images() {
    let colour = image::RgbImage::from_fn(300, 300, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 40])
    });
    let p =
        classify(&encode(&DynamicImage::ImageRgb8(colour), ImageFormat::Png)).expect("colour PNG");
    assert!(
        matches!(p.refusal, Some(Refusal::Colour { .. })),
        "{:?}",
        p.refusal
    );

    let blank = GrayImage::from_pixel(300, 300, Luma([128]));
    let p =
        classify(&encode(&DynamicImage::ImageLuma8(blank), ImageFormat::Png)).expect("blank PNG");
    assert!(
        matches!(p.refusal, Some(Refusal::Blank { .. })),
        "{:?}",
        p.refusal
    );
}
