//! Helpers shared by the integration tests: the shipped model and the data folder.

#![allow(dead_code)]

use std::path::PathBuf;

use pneumoscan::Classifier;

pub mod corpus;

/// The shipped model, from `model/`.
pub fn classifier() -> Classifier {
    Classifier::new(
        include_str!("../../model/model.json"),
        include_bytes!("../../model/pneumonia.onnx"),
    )
    .expect("the shipped model loads")
}

/// `../shared/data`, or `$PNEUMOSCAN_DATA`; `None` (after saying so loudly) when absent.
pub fn data_dir(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("PNEUMOSCAN_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    if dir.join("chest_xray").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "\n*** SKIPPED {test}: data set not found at {} (set PNEUMOSCAN_DATA) ***\n",
            dir.display()
        );
        if std::env::var_os("CI").is_some() {
            panic!("{test}: CI must have the data set at {}", dir.display());
        }
        None
    }
}

/// Every file in a folder, sorted.
pub fn files_in(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}
