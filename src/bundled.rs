//! Where native front ends get their model: the model compiled into the binary, or a
//! model card on disk (`--model PATH` / `PNEUMOSCAN_MODEL`) to swap models without a
//! rebuild.

use std::path::Path;

use crate::classify::Classifier;
use crate::error::Error;

/// The shipped model card, compiled in.
pub const MODEL_JSON: &str = include_str!("../model/model.json");
/// The shipped ONNX model, compiled in.
pub const MODEL_ONNX: &[u8] = include_bytes!("../model/pneumonia.onnx");

/// Loads the model card at `card_path` and the ONNX file it names (beside it), or the
/// compiled-in model when `card_path` is `None`.
pub fn load(card_path: Option<&Path>) -> Result<Classifier, Error> {
    let (card, onnx) = read(card_path)?;
    Classifier::new(&card, &onnx)
}

/// The model card's JSON and the ONNX bytes it names: from `card_path` and beside it, or
/// the compiled-in ones when `card_path` is `None`.
pub fn read(card_path: Option<&Path>) -> Result<(String, Vec<u8>), Error> {
    let Some(card_path) = card_path else {
        return Ok((MODEL_JSON.to_string(), MODEL_ONNX.to_vec()));
    };
    let read_error = |path: &Path, e: std::io::Error| Error::ModelRead {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let card = std::fs::read_to_string(card_path).map_err(|e| read_error(card_path, e))?;
    let parsed = crate::card::ModelCard::from_json(&card)?;
    let onnx_path = card_path
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(&parsed.onnx.file);
    let onnx = std::fs::read(&onnx_path).map_err(|e| read_error(&onnx_path, e))?;
    Ok((card, onnx))
}
