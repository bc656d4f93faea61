//! The regression corpus of real files written by other tools (`tests/real-files.sh`
//! gathers them: pydicom's test files from PyPI, the sample images inside the codec
//! crates in the cargo registry, Debian's GDCM example), through the real CLI in one
//! batch: every file gets the status `tests/real-files.tsv` lists for it (ok, refused or
//! error, with a message), none is an internal error (a caught panic), the batch
//! reports every file, and peak memory stays under 1 GiB.
//!
//! The corpus folder is `$PNEUMOSCAN_REAL_FILES`, else `real-files/` in cargo's target
//! directory, made by `tests/real-files.sh` (which `tests/run.sh` runs first).

mod common;

use std::path::PathBuf;

/// Where the corpus lies.
fn corpus_dir() -> PathBuf {
    std::env::var_os("PNEUMOSCAN_REAL_FILES").map_or_else(
        || {
            // The test binary lies in <target>/debug/deps.
            let exe = std::env::current_exe().expect("test binary path");
            exe.ancestors()
                .nth(3)
                .expect("target directory")
                .join("real-files")
        },
        PathBuf::from,
    )
}

/// (path in the corpus, expected status, a fragment of the message or "").
fn expected() -> Vec<(String, String, String)> {
    include_str!("real-files.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut cols = l.split('\t');
            let mut next = || cols.next().unwrap_or_default().to_string();
            (next(), next(), next())
        })
        .collect()
}

#[test]
fn every_real_file_gets_its_listed_outcome_and_none_crashes() {
    let dir = corpus_dir();
    let list = expected();
    if !dir.join(&list[0].0).is_file() {
        eprintln!(
            "\n*** SKIPPED: the real-file corpus is not at {} (bash tests/real-files.sh DIR) ***\n",
            dir.display()
        );
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have the real-file corpus"
        );
        return;
    }
    let mut args: Vec<std::ffi::OsString> = vec!["classify".into(), "--json".into()];
    args.extend(
        list.iter()
            .map(|(path, _, _)| dir.join(path).into_os_string()),
    );
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let (code, stdout, stderr, peak) = common::run_measured(&refs);
    assert!(code == 0 || code == 1, "exit {code}: {stderr}");
    let reports: serde_json::Value = serde_json::from_slice(&stdout).expect("JSON");
    let reports = reports.as_array().expect("an array");
    assert_eq!(reports.len(), list.len(), "every file is reported");
    let mut wrong = Vec::new();
    for ((path, status, fragment), report) in list.iter().zip(reports) {
        let got = report["status"].as_str().unwrap_or("missing");
        let message = report["message"].as_str().unwrap_or_default();
        if message.contains("internal error") {
            wrong.push(format!("{path}: PANIC {message}"));
        } else if got != status || !message.contains(fragment.as_str()) {
            wrong.push(format!(
                "{path}: expected {status} ({fragment:?}), got {got}: {message}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} files:\n{}",
        wrong.len(),
        list.len(),
        wrong.join("\n")
    );
    eprintln!("{} real files, peak RSS {} MiB", list.len(), peak >> 20);
    assert!(peak < 1 << 30, "peak RSS {} MiB", peak >> 20);
}
