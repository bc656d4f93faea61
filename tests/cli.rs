//! The `pneumoscan` binary as a user runs it: classify with mixed inputs, eval on the
//! committed validation list reproducing the model card, model selection.
#![cfg(feature = "native")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn pneumoscan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pneumoscan"))
        .args(args)
        .env_remove("PNEUMOSCAN_MODEL")
        .output()
        .expect("runs pneumoscan")
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn manifest(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn classify_json_reports_every_file_in_order() {
    let Some(data) = common::data_dir("classify_json_reports_every_file_in_order") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = dir.path().join("notes.jpg");
    std::fs::write(&garbage, b"this is not a JPEG").expect("write");
    let xray = data.join("originals/PNEUMONIA/person1177_bacteria_3125.jpeg");
    let photo = data.join("ood/non_xray/skimage_astronaut.png");
    let missing = dir.path().join("missing.png");
    let files = [&xray, &garbage, &photo, &missing];
    let args: Vec<&str> = ["classify", "--json"]
        .into_iter()
        .chain(files.iter().map(|p| p.to_str().expect("utf-8 path")))
        .collect();
    let output = pneumoscan(&args);
    assert_eq!(
        output.status.code(),
        Some(1),
        "an error among the files exits 1"
    );
    let results = json(&output);
    let results = results.as_array().expect("array");
    assert_eq!(results.len(), 4);
    for (result, file) in results.iter().zip(files) {
        assert_eq!(result["file"], file.to_str().expect("utf-8"));
    }
    assert_eq!(results[0]["status"], "ok");
    assert!(matches!(
        results[0]["prediction"].as_str(),
        Some("NORMAL" | "PNEUMONIA")
    ));
    let p = results[0]["probability"].as_f64().expect("probability");
    assert!((0.0..=1.0).contains(&p));
    assert!(results[0]["threshold"].as_f64().is_some());
    assert!(results[0]["message"].is_null());

    assert_eq!(results[1]["status"], "error");
    assert!(
        results[1]["message"]
            .as_str()
            .expect("message")
            .contains("text file")
    );
    assert!(results[1]["prediction"].is_null() && results[1]["probability"].is_null());

    assert_eq!(results[2]["status"], "refused");
    assert!(
        results[2]["message"]
            .as_str()
            .expect("message")
            .starts_with("not a chest X-ray")
    );
    assert!(results[2]["probability"].is_null());

    assert_eq!(results[3]["status"], "error");
    assert!(
        results[3]["message"]
            .as_str()
            .expect("message")
            .contains("cannot read")
    );

    // The same probability as the library gives for the same bytes.
    let bytes = std::fs::read(&xray).expect("read");
    let lib = common::classifier().classify(&bytes).expect("classifies");
    assert!((lib.probability - p).abs() < 1e-9);
}

#[test]
fn classify_exits_zero_when_everything_is_classified_or_refused() {
    let Some(data) = common::data_dir("classify_exits_zero") else {
        return;
    };
    let normal = data.join("originals/NORMAL/IM-0199-0001.jpeg");
    let photo = data.join("ood/non_xray/skimage_coffee.png");
    let output = pneumoscan(&[
        "classify",
        normal.to_str().expect("utf-8"),
        photo.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("IM-0199-0001.jpeg: "), "{text}");
    assert!(text.contains("refused — not a chest X-ray"), "{text}");
    assert!(text.contains("Not for clinical use"), "{text}");
}

#[test]
fn eval_reproduces_the_model_card_on_the_validation_list() {
    let Some(data) = common::data_dir("eval_reproduces_the_model_card") else {
        return;
    };
    let train = data.join("chest_xray/train");
    let list = manifest("model/val_files.txt");
    let output = pneumoscan(&[
        "eval",
        train.to_str().expect("utf-8"),
        "--list",
        list.to_str().expect("utf-8"),
        "--json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let got = json(&output);
    let card: Value = serde_json::from_str(include_str!("../model/model.json")).expect("card");
    let want = &card["validation"];
    for key in ["n", "tp", "fp", "tn", "fn"] {
        assert_eq!(got[key], want[key], "{key}");
    }
    for key in ["accuracy", "sensitivity", "specificity", "precision", "f1"] {
        let (g, w) = (
            got[key].as_f64().expect(key),
            want[key].as_f64().expect(key),
        );
        assert!((g - w).abs() < 1e-9, "{key}: eval {g} vs card {w}");
    }
    let (g, w) = (
        got["auc"].as_f64().expect("auc"),
        want["auc"].as_f64().expect("auc"),
    );
    assert!((g - w).abs() < 1e-3, "auc: eval {g} vs card {w}");
    let refused = got["refused"].as_u64().expect("refused");
    assert!(
        refused * 100 <= got["n"].as_u64().expect("n"),
        "the gate refuses {refused} validation X-rays"
    );
}

#[test]
fn model_flag_and_environment_select_a_card() {
    let Some(data) = common::data_dir("model_flag_and_environment_select_a_card") else {
        return;
    };
    let xray = data.join("originals/NORMAL/IM-0199-0001.jpeg");
    let card = manifest("model/model.json");
    let output = pneumoscan(&[
        "classify",
        "--json",
        "--model",
        card.to_str().expect("utf-8"),
        xray.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success());
    assert_eq!(json(&output)[0]["status"], "ok");

    let output = Command::new(env!("CARGO_BIN_EXE_pneumoscan"))
        .args(["classify", xray.to_str().expect("utf-8")])
        .env("PNEUMOSCAN_MODEL", "/nonexistent/model.json")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot read model file /nonexistent/model.json"),
        "{stderr}"
    );
}
