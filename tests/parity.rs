//! The Rust path reproduces the training pipeline's probabilities (recorded by
//! `training/train.py` in `model/parity.json` with onnxruntime) on the same files.

mod common;

use serde_json::Value;

#[test]
fn rust_matches_the_python_pipeline() {
    let Some(data) = common::data_dir("rust_matches_the_python_pipeline") else {
        return;
    };
    let parity: Value =
        serde_json::from_str(include_str!("../model/parity.json")).expect("parity.json");
    let tolerance = parity["tolerance"].as_f64().expect("tolerance");
    let files = parity["files"].as_array().expect("files");
    assert!(files.len() >= 10, "parity needs a real list of files");
    let classifier = common::classifier();
    for entry in files {
        let file = entry["file"].as_str().expect("file");
        let bytes = std::fs::read(data.join("chest_xray").join(file)).expect("read parity file");
        let p = classifier.classify(&bytes).expect("classifies");
        let want = entry["probability"].as_f64().expect("probability");
        assert!(
            (p.probability - want).abs() <= tolerance,
            "{file}: rust {} vs python {want} (tolerance {tolerance})",
            p.probability
        );
        let want_logit = entry["logit"].as_f64().expect("logit");
        eprintln!("{file}: logit rust {} python {want_logit}", p.logit);
    }
}
