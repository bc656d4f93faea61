//! The model's NNEF form, the tar file the browser loads: written from the ONNX (native
//! side only, the `onnx` feature) by `pneumoscan nnef`, which `cargo xtask dist` calls.
//!
//! tract's NNEF writer folds every constant expression first, so the float16 weights
//! of the ONNX (`training/train.py` stores them so) and their casts become float32
//! tensors: 1,296,384 bytes instead of about 0.75 MB, 129 KB more over the wire gzipped.
//! [`store_half`] puts them back as float16 tensors, each followed by a cast to float32
//! in the graph: the same values, so the same outputs (checked by [`browser_form`]).

use std::collections::BTreeSet;
use std::io::Read;

use sha2::{Digest, Sha256};
use tract_nnef::internal::*;

use super::{Model, NNEF_FILE, check_digest, hex, typed_from_onnx};
use crate::card::ModelCard;
use crate::error::Error;

/// What the browser loads: the card `card_json` with an `nnef` entry (file name, sha256,
/// bytes) and the model's NNEF form ([`nnef_from_onnx`]). Both forms are run on one
/// structured input first; it fails unless every output agrees within 1e-5. Returns the
/// card's JSON, the NNEF bytes and the largest difference seen.
pub fn browser_form(card_json: &str, onnx: &[u8]) -> Result<(String, Vec<u8>, f32), Error> {
    let card = ModelCard::from_json(card_json)?;
    let nnef = nnef_from_onnx(&card, onnx)?;
    let bad = |e: serde_json::Error| Error::ModelCard(e.to_string());
    let mut json: serde_json::Value = serde_json::from_str(card_json).map_err(bad)?;
    json["nnef"] = serde_json::json!({
        "file": NNEF_FILE,
        "sha256": hex(&Sha256::digest(&nnef)),
        "bytes": nnef.len(),
    });
    let browser_card = serde_json::to_string_pretty(&json).map_err(bad)?;
    let from_onnx = Model::load(&card, onnx)?;
    let from_nnef = Model::load(&ModelCard::from_json(&browser_card)?, &nnef)?;
    let [_, _, height, width] = card.preprocess.input_shape;
    // A deterministic input with structure at every scale (not a flat one).
    let input: Vec<f32> = (0..height * width)
        .map(|i| ((i % width) as f32 * 0.37).sin() + ((i / width) as f32 * 0.11).cos())
        .collect();
    let a = from_onnx.run(input.clone())?;
    let b = from_nnef.run(input)?;
    let largest = a
        .cam
        .iter()
        .zip(&b.cam)
        .map(|(x, y)| (x - y).abs())
        .chain([
            (a.logit - b.logit).abs(),
            (a.features_score - b.features_score).abs(),
            (a.layout_score - b.layout_score).abs(),
        ])
        .fold(0.0f32, f32::max);
    if a.cam.len() != b.cam.len() || largest > 1e-5 {
        return Err(Error::ModelLoad(format!(
            "the NNEF model disagrees with the ONNX one (largest difference {largest:e})"
        )));
    }
    Ok((browser_card, nnef, largest))
}

/// tract's NNEF form of the card's ONNX model (a tar file): the ONNX model with the
/// card's input shape, typed but not decluttered (the browser declutters and optimises
/// it on load exactly as the ONNX path does), its float16 weights kept ([`store_half`]),
/// every file dated 1980-01-01 so that the same model always gives the same bytes (and
/// the bundle the same hashed name). Checks the ONNX bytes against the card first.
pub fn nnef_from_onnx(card: &ModelCard, onnx: &[u8]) -> Result<Vec<u8>, Error> {
    check_digest(&card.onnx.sha256, onnx)?;
    let typed = typed_from_onnx(card.preprocess.input_shape, onnx)?;
    let failed = |e: TractError| Error::ModelLoad(format!("cannot write the model as NNEF: {e:#}"));
    let tar = tract_nnef::nnef()
        .write_to_tar_with_config(&typed, Vec::new(), false, true)
        .map_err(failed)?;
    store_half(&tar).map_err(failed)
}

/// Float32 tensors shorter than this (biases, scalars) stay as they are.
const HALF_MIN_LEN: usize = 64;

/// The modification time of every file of the tar, as tract's deterministic writer sets
/// it (1980-01-01: some tools mishandle 0).
const MTIME: u64 = 315_532_800;

/// Rewrites an NNEF tar so that every float32 tensor of at least [`HALF_MIN_LEN`]
/// values that float16 holds exactly is stored as float16, and the graph casts it back:
/// `w = variable<scalar>(label = "L", …);` becomes `w_f16 = variable<scalar>(…);`
/// followed by `w = tract_core_cast(w_f16, to = "f32");`. Tensors that float16 cannot
/// hold exactly (the gate's float32 directions) are left alone.
fn store_half(tar: &[u8]) -> TractResult<Vec<u8>> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in tar::Archive::new(tar).entries()? {
        let mut entry = entry?;
        let path = entry.path()?.to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes)?;
        files.push((path, bytes));
    }
    let mut halved = BTreeSet::new();
    for (path, bytes) in files.iter_mut() {
        let Some(label) = path.strip_suffix(".dat") else {
            continue;
        };
        let tensor = tract_nnef::tensors::read_tensor(bytes.as_slice())?;
        if tensor.datum_type() != f32::datum_type() || tensor.len() < HALF_MIN_LEN {
            continue;
        }
        let half = tensor.cast_to::<f16>()?.into_owned();
        if *half.cast_to::<f32>()? != tensor {
            continue;
        }
        let mut written = Vec::new();
        tract_nnef::tensors::write_tensor(&mut written, &half)?;
        *bytes = written;
        halved.insert(relative(label).to_string());
    }
    let graph = files
        .iter_mut()
        .find(|(path, _)| path == "graph.nnef")
        .context("graph.nnef is missing from the NNEF tar")?;
    let text = String::from_utf8(graph.1.clone())?;
    let mut rewritten = String::with_capacity(text.len() + 64 * halved.len());
    let mut found = BTreeSet::new();
    for line in text.lines() {
        match variable(line) {
            Some((name, label)) if halved.contains(relative(label)) => {
                let indent = &line[..line.len() - line.trim_start().len()];
                let declaration = line.replacen(name, &format!("{name}_f16"), 1);
                rewritten.push_str(&format!(
                    "{declaration}\n{indent}{name} = tract_core_cast({name}_f16, to = \"f32\");\n"
                ));
                found.insert(relative(label).to_string());
            }
            _ => {
                rewritten.push_str(line);
                rewritten.push('\n');
            }
        }
    }
    ensure!(
        found == halved,
        "graph.nnef declares {} of the {} float16 tensors",
        found.len(),
        halved.len()
    );
    graph.1 = rewritten.into_bytes();
    let mut out = tar::Builder::new(Vec::new());
    for (path, bytes) in &files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(MTIME);
        out.append_data(&mut header, path, bytes.as_slice())?;
    }
    Ok(out.into_inner()?)
}

/// `(name, label)` of a graph line `name = variable<scalar>(label = "label", …);`.
fn variable(line: &str) -> Option<(&str, &str)> {
    let (name, rest) = line
        .trim_start()
        .split_once(" = variable<scalar>(label = \"")?;
    let (label, _) = rest.split_once('"')?;
    Some((name, label))
}

/// A tensor's label as its `.dat` path in the tar (tract writes `/a/b` as `./a/b.dat`,
/// which the tar stores as `a/b.dat`).
fn relative(label: &str) -> &str {
    label.trim_start_matches("./").trim_start_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variable_line_gives_its_name_and_label() {
        assert_eq!(
            variable(r#"  w_0 = variable<scalar>(label = "blocks.0.w", shape = [16, 1, 3, 3]);"#),
            Some(("w_0", "blocks.0.w"))
        );
        assert_eq!(variable("  x = conv(a, b);"), None);
        assert_eq!(relative("/blocks.0/Conv.bias"), "blocks.0/Conv.bias");
    }
}
