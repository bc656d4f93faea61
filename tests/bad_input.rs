//! The bad-input corpus (`tests/common/corpus.rs`) through every native front end: the
//! library, the real `pneumoscan classify` binary (one process per file, its peak memory
//! measured and held under 1 GiB) and the HTTP server on loopback. Each valid file is
//! classified (or refused by the gate), each invalid one gets status `error` with a
//! specific message, nothing panics, and the server answers no 5xx.
//!
//! With `PNEUMOSCAN_WRITE_FIXTURES=DIR`, `write_fixtures_for_the_browser` also writes the
//! corpus to `DIR/bad-input/` with a `manifest.json` for `e2e/bad-input.test.js`.
#![cfg(feature = "native")]

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use common::corpus::{self, Case, Corpus, Expect};
use image::{DynamicImage, ImageFormat};
use pneumoscan::server::{Limits, app};
use pneumoscan::{Classifier, Error, Prediction};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

/// Most memory one `pneumoscan classify` run may use on any corpus file.
const MAX_RSS_BYTES: u64 = 1 << 30;

/// The corpus, built once per test binary.
fn the_corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(corpus::corpus)
}

fn classifier() -> &'static Classifier {
    static CLASSIFIER: OnceLock<Classifier> = OnceLock::new();
    CLASSIFIER.get_or_init(common::classifier)
}

/// Checks one answer (`status`, `message`, `warnings`) against the case's expectation.
fn check(
    corpus: &Corpus,
    case: &Case,
    status: &str,
    message: Option<&str>,
    warnings: &[String],
) -> Result<(), String> {
    let name = case.name;
    let allowed = corpus.statuses(case);
    if !allowed.contains(&status) {
        return Err(format!(
            "{name}: status {status} ({}), expected one of {allowed:?}",
            message.unwrap_or("no message")
        ));
    }
    match case.expect {
        Expect::Error { message: want, .. } => {
            let got = message.unwrap_or_default();
            if !got.contains(want) {
                return Err(format!("{name}: message {got:?} does not say {want:?}"));
            }
        }
        Expect::XRay {
            warning: Some(want),
        } => {
            if status == "ok" && !warnings.iter().any(|w| w.contains(want)) {
                return Err(format!(
                    "{name}: no warning saying {want:?} in {warnings:?}"
                ));
            }
        }
        Expect::XRay { warning: None } | Expect::Decodes => {}
    }
    Ok(())
}

/// The library's answer as (status, message, warnings), as every front end shows it.
fn library_answer(
    result: &Result<Prediction, Error>,
) -> (&'static str, Option<String>, Vec<String>) {
    match result {
        Ok(p) => match &p.refusal {
            None => ("ok", None, p.warnings.clone()),
            Some(r) => ("refused", Some(r.to_string()), p.warnings.clone()),
        },
        Err(e) => ("error", Some(e.to_string()), Vec::new()),
    }
}

fn fail_on(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} corpus file(s) went wrong:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[test]
fn the_corpus_is_what_it_claims() {
    let corpus = the_corpus();
    let names: std::collections::BTreeSet<_> = corpus.cases.iter().map(|c| c.name).collect();
    assert_eq!(names.len(), corpus.cases.len(), "file names are unique");
    for case in &corpus.cases {
        let is_image = image::guess_format(&case.bytes).is_ok();
        match case.expect {
            Expect::Error { http: 415, .. } => assert!(!is_image, "{}", case.name),
            _ => assert!(is_image, "{}: sniffed as an image", case.name),
        }
    }
    // The zero bomb inflates to 512 MiB but is small enough to upload.
    let bomb = corpus
        .cases
        .iter()
        .find(|c| c.name.starts_with("bomb-8192"))
        .expect("zero bomb");
    assert!(bomb.bytes.len() < 4 << 20, "{} bytes", bomb.bytes.len());
    let huge = corpus
        .cases
        .iter()
        .find(|c| c.name.starts_with("huge-"))
        .expect("huge JPEG");
    let image = image::load_from_memory(&huge.bytes).expect("decodes");
    assert_eq!((image.width(), image.height()), (9000, 7000));
}

#[test]
fn the_library_gives_every_corpus_file_its_expected_outcome() {
    let corpus = the_corpus();
    let classifier = classifier();
    let mut failures = Vec::new();
    for case in &corpus.cases {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            classifier.classify(&case.bytes)
        }));
        let Ok(result) = result else {
            failures.push(format!("{}: PANIC", case.name));
            continue;
        };
        let (status, message, warnings) = library_answer(&result);
        if let Err(e) = check(corpus, case, status, message.as_deref(), &warnings) {
            failures.push(e);
        }
    }
    fail_on(failures);
}

/// Writes the corpus into `dir`, one file per case.
fn write_corpus(corpus: &Corpus, dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("creates the corpus folder");
    corpus
        .cases
        .iter()
        .map(|case| {
            let path = dir.join(case.name);
            std::fs::write(&path, &case.bytes).expect("writes a corpus file");
            path
        })
        .collect()
}

fn cli_answer(report: &Value) -> (String, Option<String>, Vec<String>) {
    let status = report["status"].as_str().unwrap_or("missing").to_string();
    let message = report["message"].as_str().map(str::to_string);
    let warnings = report["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (status, message, warnings)
}

#[test]
fn the_cli_gives_every_corpus_file_its_expected_outcome_in_under_1_gib() {
    let corpus = the_corpus();
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = write_corpus(corpus, dir.path());
    let mut failures = Vec::new();
    let mut peaks = Vec::new();
    for (case, path) in corpus.cases.iter().zip(&paths) {
        let (code, stdout, stderr, peak) =
            common::run_measured(&["classify".as_ref(), "--json".as_ref(), path.as_os_str()]);
        peaks.push(format!("{} {} MiB", case.name, peak >> 20));
        if peak >= MAX_RSS_BYTES {
            failures.push(format!(
                "{}: peak RSS {} MiB, over 1 GiB",
                case.name,
                peak >> 20
            ));
        }
        let Ok(reports) = serde_json::from_slice::<Value>(&stdout) else {
            failures.push(format!(
                "{}: exit {code}, stdout is not JSON; stderr: {stderr}",
                case.name
            ));
            continue;
        };
        let (status, message, warnings) = cli_answer(&reports[0]);
        let want_code = if status == "error" { 1 } else { 0 };
        if code != want_code {
            failures.push(format!(
                "{}: exit {code} for status {status}; stderr: {stderr}",
                case.name
            ));
        }
        if let Err(e) = check(corpus, case, &status, message.as_deref(), &warnings) {
            failures.push(e);
        }
    }
    eprintln!("peak RSS per corpus file: {}", peaks.join(", "));
    fail_on(failures);

    // All of them in one run, as a user would: every file reported, in order, exit 1.
    let mut args: Vec<&std::ffi::OsStr> = vec!["classify".as_ref(), "--json".as_ref()];
    args.extend(paths.iter().map(|p| p.as_os_str()));
    let (code, stdout, stderr, _) = common::run_measured(&args);
    assert_eq!(
        code, 1,
        "an error among the files exits 1; stderr: {stderr}"
    );
    let reports: Value = serde_json::from_slice(&stdout).expect("JSON");
    let reports = reports.as_array().expect("an array");
    assert_eq!(reports.len(), corpus.cases.len());
    let mut failures = Vec::new();
    for ((case, path), report) in corpus.cases.iter().zip(&paths).zip(reports) {
        assert_eq!(report["file"], path.to_str().expect("utf-8"), "input order");
        let (status, message, warnings) = cli_answer(report);
        if let Err(e) = check(corpus, case, &status, message.as_deref(), &warnings) {
            failures.push(e);
        }
    }
    fail_on(failures);
}

#[test]
fn the_server_answers_every_corpus_file_with_its_expected_status() {
    let corpus = the_corpus();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let router = app(
        Arc::new(common::classifier()),
        &Limits {
            max_concurrent: 1,
            ..Limits::default()
        },
    );
    runtime.spawn(async move { axum::serve(listener, router).await });
    let client = reqwest::Client::new();
    let mut failures = Vec::new();
    for case in &corpus.cases {
        let form = Form::new().part(
            "file",
            Part::bytes(case.bytes.clone()).file_name(case.name.to_string()),
        );
        let (http, body) = runtime.block_on(async {
            let response = client
                .post(format!("{base}/predict"))
                .multipart(form)
                .send()
                .await
                .expect("request");
            let http = response.status().as_u16();
            (http, response.json::<Value>().await.unwrap_or(Value::Null))
        });
        let (status, message) = match http {
            200 => ("ok", None),
            422 => ("refused", body["message"].as_str()),
            _ => ("error", body["error"].as_str()),
        };
        let warnings: Vec<String> = body["warnings"]
            .as_array()
            .map(|w| {
                w.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if http >= 500 {
            failures.push(format!("{}: HTTP {http} {body}", case.name));
            continue;
        }
        if let Expect::Error { http: want, .. } = case.expect
            && http != want
        {
            failures.push(format!(
                "{}: HTTP {http}, expected {want}: {body}",
                case.name
            ));
        }
        if status != "ok" && body["filename"] != case.name {
            failures.push(format!(
                "{}: filename {} in {body}",
                case.name, body["filename"]
            ));
        }
        if let Err(e) = check(corpus, case, status, message, &warnings) {
            failures.push(e);
        }
    }
    fail_on(failures);
    let healthy = runtime.block_on(async {
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    assert_eq!(healthy.ok(), Some(200));
}

/// With `PNEUMOSCAN_WRITE_FIXTURES=DIR`: the corpus in `DIR/bad-input/`, and
/// `DIR/bad-input/manifest.json` listing each file with the statuses the browser may
/// show, the text its message or warning must contain, and the native library's own
/// answer (the browser runs the same core, so it must give the same). Without the
/// variable it does nothing.
#[test]
fn write_fixtures_for_the_browser() {
    let Some(root) = std::env::var_os("PNEUMOSCAN_WRITE_FIXTURES") else {
        return;
    };
    let dir = PathBuf::from(root).join("bad-input");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("clears the old fixtures");
    }
    let corpus = the_corpus();
    write_corpus(corpus, &dir);
    let classifier = classifier();
    let files: Vec<Value> = corpus
        .cases
        .iter()
        .map(|case| {
            let result = classifier.classify(&case.bytes);
            let (status, message, _) = library_answer(&result);
            // The refusal's or the error's stable code, which the page puts in data-code.
            let code = match &result {
                Ok(p) => p.refusal.as_ref().map(pneumoscan::Refusal::code),
                Err(e) => Some(e.code()),
            };
            let (message_contains, warning_contains) = match case.expect {
                Expect::Error { message, .. } => (Some(message), None),
                Expect::XRay { warning } => (None, warning),
                Expect::Decodes => (None, None),
            };
            json!({
                "name": case.name,
                "statuses": corpus.statuses(case),
                "message_contains": message_contains,
                "warning_contains": warning_contains,
                "native": { "status": status, "message": message, "code": code },
            })
        })
        .collect();
    let manifest = json!({ "from_xray": corpus.from_xray, "files": files });
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).expect("serialises"),
    )
    .expect("writes the manifest");
    eprintln!(
        "wrote {} bad-input fixtures to {}",
        corpus.cases.len(),
        dir.display()
    );
}

// ---- the truncated-JPEG policy -------------------------------------------------------

fn jpeg_of_the_source() -> Vec<u8> {
    let (grey, _) = corpus::source();
    corpus::encode(&DynamicImage::ImageLuma8(grey), ImageFormat::Jpeg)
}

#[test]
fn a_jpeg_cut_near_its_end_is_classified_with_a_warning() {
    let jpeg = jpeg_of_the_source();
    let whole = classifier().classify(&jpeg).expect("the whole JPEG");
    assert!(whole.warnings.is_empty(), "{:?}", whole.warnings);
    // Only the end-of-image marker missing: nothing of the image is lost.
    let no_eoi = classifier()
        .classify(&jpeg[..jpeg.len() - 2])
        .expect("classified");
    assert!(
        no_eoi
            .warnings
            .iter()
            .any(|w| w.contains("looks truncated")),
        "{:?}",
        no_eoi.warnings
    );
    assert!((no_eoi.probability - whole.probability).abs() < 1e-9);
    // The last few percent of the data missing: the bottom rows are grey, and said so.
    let cut = classifier()
        .classify(&corpus::truncate_scan(&jpeg, 0.97))
        .expect("classified");
    let warning = cut
        .warnings
        .iter()
        .find(|w| w.contains("looks truncated"))
        .expect("a truncation warning");
    assert!(warning.contains("% of the image is missing"), "{warning}");
    // Bytes after the end marker (some cameras append data) are no truncation.
    let mut appended = jpeg.clone();
    appended.extend_from_slice(b"\0\0trailing data");
    let p = classifier().classify(&appended).expect("classified");
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn a_jpeg_cut_early_is_an_error_that_says_how_much_is_missing() {
    let jpeg = jpeg_of_the_source();
    for fraction in [0.0, 0.1, 0.5, 0.75] {
        match classifier().classify(&corpus::truncate_scan(&jpeg, fraction)) {
            Err(Error::Corrupt { format, message }) => {
                assert_eq!(format, "JPEG");
                assert!(
                    message.contains("of the image is missing") || fraction == 0.0,
                    "{fraction}: {message}"
                );
            }
            other => panic!("cut at {fraction}: expected a Corrupt error, got {other:?}"),
        }
    }
    // A progressive JPEG cut inside its first (DC) scan lacks whole rows too; cut in a
    // later scan, it is all there but blurred, and is classified with a warning.
    let (grey, _) = corpus::source();
    let progressive = corpus::progressive_jpeg(&grey);
    let early = classifier().classify(&corpus::truncate_scan(&progressive, 0.02));
    assert!(
        matches!(&early, Err(Error::Corrupt { message, .. }) if message.contains("missing")),
        "{early:?}"
    );
    let late = classifier()
        .classify(&corpus::truncate_scan(&progressive, 0.6))
        .expect("classified");
    assert!(
        late.warnings.iter().any(|w| w.contains("looks truncated")),
        "{:?}",
        late.warnings
    );
}

/// With `PNEUMOSCAN_WRITE_FUZZ_SEEDS=DIR`: the fuzzers' seed corpus, into `DIR` (the
/// committed one is `fuzz/seeds/`). Without the variable it does nothing.
#[test]
fn write_fuzz_seeds() {
    let Some(dir) = std::env::var_os("PNEUMOSCAN_WRITE_FUZZ_SEEDS") else {
        return;
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("creates the seed folder");
    for (name, bytes) in corpus::fuzz_seeds() {
        assert!(bytes.len() <= 16 << 10, "{name}: {} bytes", bytes.len());
        std::fs::write(dir.join(name), bytes).expect("writes a seed");
    }
}

#[test]
fn the_fuzz_seeds_decode_or_fail_cleanly() {
    for (name, bytes) in corpus::fuzz_seeds() {
        let result = classifier().classify(&bytes);
        if let Ok(p) = &result {
            assert!(p.probability.is_finite(), "{name}: {}", p.probability);
        }
        eprintln!(
            "{name}: {} bytes, {:?}",
            bytes.len(),
            library_answer(&result).0
        );
    }
}

/// A float TIFF whose samples are NaN or infinite must not give a NaN probability (which
/// would read as NORMAL): non-finite samples count as black (NaN) or are clamped (±inf).
#[test]
fn a_float_tiff_with_nan_and_infinite_samples_gets_a_finite_probability() {
    let mut image = DynamicImage::ImageLuma8(corpus::picture(64, 64)).to_rgb32f();
    for (i, pixel) in image.pixels_mut().enumerate() {
        match i % 3 {
            0 => pixel.0 = [f32::NAN; 3],
            1 => pixel.0[0] = f32::INFINITY,
            _ => pixel.0[2] = f32::NEG_INFINITY,
        }
    }
    let tiff = corpus::encode(&DynamicImage::ImageRgb32F(image), ImageFormat::Tiff);
    let p = classifier().classify(&tiff).expect("decodes");
    assert!(p.probability.is_finite(), "probability {}", p.probability);
    assert!(p.logit.is_finite());
    assert!(p.gate.colourfulness.is_finite() && p.gate.grey_std.is_finite());
}
