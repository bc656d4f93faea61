//! The model's NNEF form, which the browser loads (`cargo xtask dist` has `pneumoscan
//! nnef` write it, through `pneumoscan::model::browser_form`), gives the ONNX model's
//! numbers on real X-rays, keeps the float16 weights, is the same bytes every time, and
//! a card that names no NNEF file, or the wrong digest, refuses it.

mod common;

use pneumoscan::{Classifier, Error, ModelCard};
use sha2::{Digest, Sha256};

const CARD: &str = include_str!("../model/model.json");
const ONNX: &[u8] = include_bytes!("../model/pneumonia.onnx");

/// The card with an `nnef` entry for `nnef`, as the bundle's card has it.
fn card_naming(nnef: &[u8]) -> String {
    let mut json: serde_json::Value = serde_json::from_str(CARD).expect("card is JSON");
    let sha: String = Sha256::digest(nnef)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    json["nnef"] =
        serde_json::json!({ "file": "pneumonia.nnef.tar", "sha256": sha, "bytes": nnef.len() });
    json.to_string()
}

fn nnef() -> Vec<u8> {
    let card = ModelCard::from_json(CARD).expect("card");
    pneumoscan::model::nnef_from_onnx(&card, ONNX).expect("converts")
}

#[test]
fn the_nnef_form_classifies_real_xrays_as_the_onnx_model_does() {
    let nnef = nnef();
    assert_eq!(nnef.get(257..262), Some(&b"ustar"[..]), "a tar file");
    let from_onnx = Classifier::new(CARD, ONNX).expect("ONNX loads");
    let from_nnef = Classifier::new(&card_naming(&nnef), &nnef).expect("NNEF loads");
    let Some(data) = common::data_dir("tests/nnef.rs") else {
        return;
    };
    let mut files: Vec<_> = ["NORMAL", "PNEUMONIA"]
        .iter()
        .flat_map(|c| {
            common::files_in(&data.join("originals").join(c))
                .into_iter()
                .take(5)
        })
        .collect();
    files.extend(
        common::files_in(&data.join("ood/non_xray"))
            .into_iter()
            .take(3),
    );
    assert!(files.len() >= 10, "{} files", files.len());
    for path in files {
        let bytes = std::fs::read(&path).expect("read");
        let (a, b) = match (from_onnx.classify(&bytes), from_nnef.classify(&bytes)) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(a), Err(b)) => {
                assert_eq!(a, b, "{}", path.display());
                continue;
            }
            (a, b) => panic!("{}: {a:?} against {b:?}", path.display()),
        };
        let d = (a.probability - b.probability).abs();
        assert!(d <= 1e-6, "{}: probability differs by {d}", path.display());
        assert_eq!(
            a.refusal.is_some(),
            b.refusal.is_some(),
            "{}",
            path.display()
        );
        assert_eq!(a.label, b.label, "{}", path.display());
    }
}

/// The training stores the convolution weights as float16 (`training/train.py`); the
/// NNEF form must keep them so, or the browser downloads nearly twice the weights.
#[test]
fn the_nnef_form_keeps_the_float16_weights() {
    let nnef = nnef();
    let mut archive = tar::Archive::new(nnef.as_slice());
    let mut half = 0usize;
    let mut single = 0usize;
    for entry in archive.entries().expect("tar entries") {
        let mut entry = entry.expect("tar entry");
        let path = entry.path().expect("path").display().to_string();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).expect("read entry");
        if !path.ends_with(".dat") {
            continue;
        }
        let dat = tract_nnef::tensors::read_tensor(bytes.as_slice()).expect(".dat tensor");
        match dat.datum_type() {
            tract_nnef::prelude::DatumType::F16 => half += dat.len(),
            tract_nnef::prelude::DatumType::F32 => single += dat.len(),
            _ => {}
        }
    }
    // 2.0.0's convolution weights are 261,328 values, all float16 in the ONNX; the gate's
    // directions and statistics (about 55,000 values) are float32 there and stay so.
    assert!(
        half >= 261_000 && single < 60_000,
        "{half} float16 and {single} float32 stored values"
    );
    assert!(
        nnef.len() < ONNX.len() * 11 / 10,
        "NNEF {} bytes against ONNX {}",
        nnef.len(),
        ONNX.len()
    );
}

/// What xtask runs: `pneumoscan nnef --out DIR` writes the card naming the tar and the
/// tar, the same bytes as the library gives (and so the same on every build).
#[test]
fn the_cli_writes_the_browser_form_and_its_card() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pneumoscan"))
        .arg("nnef")
        .arg("--out")
        .arg(dir.path())
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tar = std::fs::read(dir.path().join("pneumonia.nnef.tar")).expect("the tar");
    assert_eq!(tar, nnef(), "the same bytes as the library, every time");
    let card = std::fs::read_to_string(dir.path().join("model.json")).expect("the card");
    assert_eq!(card, card_naming_pretty(&tar));
    let from_nnef = Classifier::new(&card, &tar).expect("the written form loads");
    let from_onnx = Classifier::new(CARD, ONNX).expect("ONNX loads");
    let [_, _, h, w] = ModelCard::from_json(CARD)
        .expect("card")
        .preprocess
        .input_shape;
    let input: Vec<f32> = (0..h * w).map(|i| (i % 7) as f32 * 0.3 - 1.0).collect();
    let a = from_onnx.model().run(input.clone()).expect("runs");
    let b = from_nnef.model().run(input).expect("runs");
    assert!(
        (a.logit - b.logit).abs() <= 1e-5,
        "{} against {}",
        a.logit,
        b.logit
    );
}

/// [`card_naming`] as `pneumoscan nnef` writes it (pretty-printed).
fn card_naming_pretty(nnef: &[u8]) -> String {
    let json: serde_json::Value = serde_json::from_str(&card_naming(nnef)).expect("JSON");
    serde_json::to_string_pretty(&json).expect("prints")
}

#[test]
fn nnef_bytes_need_a_card_that_names_them() {
    let nnef = nnef();
    assert!(matches!(
        Classifier::new(CARD, &nnef),
        Err(Error::ModelCard(message)) if message.contains("NNEF")
    ));
    let mut other = nnef.clone();
    let last = other.len() - 1;
    other[last] ^= 1;
    assert!(matches!(
        Classifier::new(&card_naming(&nnef), &other),
        Err(Error::ModelMismatch { .. })
    ));
}
