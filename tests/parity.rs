//! The Rust path reproduces the training pipeline's probabilities, recorded by
//! `training/train.py` with onnxruntime in `model/parity.json`: within 1e-4 on
//! bit-identical pixels (synthetic patterns drawn the same way as
//! `training/data.py::synthetic_pattern`), and within `jpeg_tolerance` on validation
//! JPEGs, where Pillow's and `image`'s JPEG decoders differ by one grey level on a few
//! pixels.

mod common;

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageFormat, Luma};
use serde_json::Value;

fn parity() -> Value {
    serde_json::from_str(include_str!("../model/parity.json")).expect("parity.json")
}

/// Same integer formulas as `training/data.py::synthetic_pattern`.
fn synthetic_pattern(name: &str, size: i64) -> GrayImage {
    GrayImage::from_fn(size as u32, size as u32, |x, y| {
        let (x, y) = (i64::from(x), i64::from(y));
        let v = match name {
            "diagonal" => (x + y) * 255 / (2 * (size - 1)),
            "rings" => ((x - size / 2).pow(2) + (y - size / 2).pow(2)) / 50 % 256,
            "lungs" => {
                let lung =
                    |cx: i64| (x - cx).pow(2) * 4900 + (y - 110).pow(2) * 1600 <= 1600 * 4900;
                if lung(70) || lung(154) {
                    60 + y % 16
                } else {
                    190 + x % 32
                }
            }
            other => panic!("unknown pattern {other}"),
        };
        Luma([u8::try_from(v).expect("pattern values fit a byte")])
    })
}

fn check(what: &str, got: f64, want: f64, tolerance: f64) {
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: rust {got} vs python {want} (tolerance {tolerance})"
    );
}

#[test]
fn rust_matches_python_on_identical_pixels() {
    let parity = parity();
    let tolerance = parity["tolerance"].as_f64().expect("tolerance");
    let patterns = parity["synthetic"].as_array().expect("synthetic");
    assert!(patterns.len() >= 3);
    let classifier = common::classifier();
    for entry in patterns {
        let name = entry["pattern"].as_str().expect("pattern");
        let mut png = Cursor::new(Vec::new());
        DynamicImage::ImageLuma8(synthetic_pattern(name, 224))
            .write_to(&mut png, ImageFormat::Png)
            .expect("encodes");
        let p = classifier.classify(png.get_ref()).expect("classifies");
        check(
            name,
            p.probability,
            entry["probability"].as_f64().expect("probability"),
            tolerance,
        );
        check(
            name,
            f64::from(p.logit),
            entry["logit"].as_f64().expect("logit"),
            1e-3,
        );
    }
}

#[test]
fn rust_matches_python_on_validation_jpegs() {
    let Some(data) = common::data_dir("rust_matches_python_on_validation_jpegs") else {
        return;
    };
    let parity = parity();
    let tolerance = parity["jpeg_tolerance"].as_f64().expect("jpeg_tolerance");
    let files = parity["files"].as_array().expect("files");
    assert!(files.len() >= 10, "parity needs a real list of files");
    let classifier = common::classifier();
    let mut worst = 0.0f64;
    for entry in files {
        let file = entry["file"].as_str().expect("file");
        let bytes = std::fs::read(data.join("chest_xray").join(file)).expect("read parity file");
        let p = classifier.classify(&bytes).expect("classifies");
        let want = entry["probability"].as_f64().expect("probability");
        check(file, p.probability, want, tolerance);
        worst = worst.max((p.probability - want).abs());
    }
    eprintln!(
        "largest probability difference on {} JPEGs: {worst:.2e}",
        files.len()
    );
}
