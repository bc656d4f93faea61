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
    assert!(results[0]["code"].is_null() && results[0]["params"].is_null());

    assert_eq!(results[1]["status"], "error");
    assert!(
        results[1]["message"]
            .as_str()
            .expect("message")
            .contains("text file")
    );
    assert_eq!(results[1]["code"], "unsupported_format");
    assert_eq!(results[1]["params"]["detail"], "this is a text file");
    assert!(results[1]["prediction"].is_null() && results[1]["probability"].is_null());

    assert_eq!(results[2]["status"], "refused");
    assert!(
        results[2]["message"]
            .as_str()
            .expect("message")
            .starts_with("not a chest X-ray")
    );
    assert!(results[2]["probability"].is_null());
    let refusal = common::classifier()
        .classify(&std::fs::read(&photo).expect("read"))
        .expect("decodes")
        .refusal
        .expect("refused");
    assert_eq!(results[2]["code"], refusal.code());
    assert!(
        results[2]["params"]["limit"].as_f64().is_some(),
        "{}",
        results[2]
    );

    assert_eq!(results[3]["status"], "error");
    assert!(
        results[3]["message"]
            .as_str()
            .expect("message")
            .contains("cannot read")
    );
    assert_eq!(results[3]["code"], "file_unreadable");
    assert_eq!(
        results[3]["params"]["path"],
        missing.to_str().expect("utf-8")
    );

    // The same probability as the library gives for the same bytes.
    let bytes = std::fs::read(&xray).expect("read");
    let lib = common::classifier().classify(&bytes).expect("classifies");
    assert!((lib.probability - p).abs() < 1e-9);
}

#[test]
fn codes_lists_every_code_once_with_an_example() {
    let output = pneumoscan(&["codes", "--json"]);
    assert!(output.status.success());
    let list = json(&output);
    let list = list.as_array().expect("array");
    let codes: Vec<&str> = list
        .iter()
        .map(|entry| entry["code"].as_str().expect("code"))
        .collect();
    // The core's refusals and errors, then the CLI's and the server's own.
    let mut want: Vec<&str> = pneumoscan::Refusal::examples()
        .iter()
        .map(pneumoscan::Refusal::code)
        .chain(
            pneumoscan::Error::examples()
                .iter()
                .map(pneumoscan::Error::code),
        )
        .collect();
    want.push("file_unreadable");
    for code in ["not_multipart", "server_busy", "upload_too_large"] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    assert_eq!(codes[..want.len()], want[..]);
    let mut distinct = codes.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        codes.len(),
        "a code listed twice: {codes:?}"
    );
    for entry in list {
        assert!(entry["params"].is_object(), "{entry}");
        assert!(
            entry["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{entry}"
        );
        assert!(
            matches!(entry["kind"].as_str(), Some("refusal" | "error")),
            "{entry}"
        );
    }
    // The text listing needs no model either.
    let text = pneumoscan(&["codes", "--model", "/nonexistent/model.json"]);
    assert!(text.status.success());
    assert!(String::from_utf8_lossy(&text.stdout).contains("not_chest_xray_colour"));
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
    // The shipped card (2.0.0) and the previous one, still loadable with --model.
    for card in ["model/model.json", "model/1.0.0/model.json"] {
        eval_reproduces(card);
    }
}

fn eval_reproduces(card_path: &str) {
    let Some(data) = common::data_dir("eval_reproduces_the_model_card") else {
        return;
    };
    let train = data.join("chest_xray/train");
    let list = manifest("model/val_files.txt");
    let card_file = manifest(card_path);
    let output = pneumoscan(&[
        "eval",
        train.to_str().expect("utf-8"),
        "--list",
        list.to_str().expect("utf-8"),
        "--model",
        card_file.to_str().expect("utf-8"),
        "--json",
    ]);
    assert!(
        output.status.success(),
        "{card_path}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let got = json(&output);
    let card: Value =
        serde_json::from_str(&std::fs::read_to_string(&card_file).expect("card")).expect("card");
    let want = &card["validation"];
    for key in ["n", "tp", "fp", "tn", "fn"] {
        assert_eq!(got[key], want[key], "{card_path}: {key}");
    }
    for key in ["accuracy", "sensitivity", "specificity", "precision", "f1"] {
        let (g, w) = (
            got[key].as_f64().expect(key),
            want[key].as_f64().expect(key),
        );
        assert!(
            (g - w).abs() < 1e-9,
            "{card_path}: {key}: eval {g} vs card {w}"
        );
    }
    let (g, w) = (
        got["auc"].as_f64().expect("auc"),
        want["auc"].as_f64().expect("auc"),
    );
    assert!(
        (g - w).abs() < 1e-3,
        "{card_path}: auc: eval {g} vs card {w}"
    );
    if card.get("borderline").is_some() {
        assert_eq!(
            got["borderline"], want["borderline"],
            "{card_path}: borderline count"
        );
        assert!(got["outside_band"]["n"].as_u64().is_some(), "{got}");
    } else {
        assert_eq!(got["borderline"], 0, "{card_path}: no band, no borderline");
    }
    let refused = got["refused"].as_u64().expect("refused");
    assert!(
        refused * 100 <= got["n"].as_u64().expect("n"),
        "{card_path}: the gate refuses {refused} validation X-rays"
    );
}

#[test]
fn a_probability_inside_the_band_is_borderline_and_keeps_its_label() {
    let Some(data) = common::data_dir("a_probability_inside_the_band_is_borderline") else {
        return;
    };
    let xray = data.join("originals/NORMAL/IM-0199-0001.jpeg");
    let xray = xray.to_str().expect("utf-8");
    let first = json(&pneumoscan(&["classify", "--json", xray]));
    let probability = first[0]["probability"].as_f64().expect("probability");
    let label = first[0]["prediction"].as_str().expect("label").to_string();

    // The shipped card with its band widened to take this file's probability in, and
    // with the band moved away from it: the same model, the same label either way.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        manifest("model/pneumonia.onnx"),
        dir.path().join("pneumonia.onnx"),
    )
    .expect("copy");
    let mut card: Value = serde_json::from_str(include_str!("../model/model.json")).expect("card");
    let threshold = card["threshold"]["probability"]
        .as_f64()
        .expect("threshold");
    for (low, high, borderline) in [
        (
            probability.min(threshold) / 2.0,
            (probability.max(threshold) + 1.0) / 2.0,
            true,
        ),
        (threshold, threshold, false),
    ] {
        card["borderline"] = serde_json::json!({ "low": low, "high": high });
        let card_path = dir.path().join("model.json");
        std::fs::write(&card_path, card.to_string()).expect("write card");
        let card_arg = card_path.to_str().expect("utf-8");
        let got = json(&pneumoscan(&[
            "classify", "--json", "--model", card_arg, xray,
        ]));
        assert_eq!(got[0]["status"], "ok");
        assert_eq!(got[0]["prediction"], label.as_str());
        assert_eq!(got[0]["borderline"], borderline, "band [{low}, {high}]");
        let human = pneumoscan(&["classify", "--model", card_arg, xray]);
        let text = String::from_utf8_lossy(&human.stdout);
        assert_eq!(
            text.contains(&format!("borderline — needs a reader (leans {label})")),
            borderline,
            "{text}"
        );
    }
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
