//! The model, loaded and optimised once by tract, run once per image.
//!
//! It comes in two forms of the same network: the ONNX file that training exports (what
//! native front ends read), and tract's own serialised form, NNEF with tract's
//! extensions, which `pneumoscan nnef` writes from the ONNX for `cargo xtask dist`
//! ([`browser_form`], [`nnef_from_onnx`]: the ONNX model as tract types it, its
//! float16 weights kept) and the browser loads. The browser's
//! WebAssembly is then built without the `onnx` feature: no ONNX or protobuf parser and
//! none of tract's inference-model analysis, a smaller download. Both forms become the
//! same optimised tract model, so both give the same numbers (the parity tests check).

use sha2::{Digest, Sha256};
use tract_nnef::prelude::*;

use crate::card::ModelCard;
use crate::error::Error;

#[cfg(feature = "onnx")]
mod nnef;
#[cfg(feature = "onnx")]
pub use nnef::{browser_form, nnef_from_onnx};

/// The file name of the model's NNEF form in the web bundle.
pub const NNEF_FILE: &str = "pneumonia.nnef.tar";

type Plan = Arc<TypedRunnableModel>;

/// A loaded, optimised model, ready to run many times.
pub struct Model {
    plan: Plan,
    input_shape: [usize; 4],
}

/// The model's four outputs for one image.
#[derive(Debug, Clone)]
pub struct ModelOutput {
    /// Pneumonia logit; probability = sigmoid(logit).
    pub logit: f32,
    /// Class activation map in logit units, row-major, `cam_width * cam_height` values.
    pub cam: Vec<f32>,
    /// Width of the activation map.
    pub cam_width: usize,
    /// Height of the activation map.
    pub cam_height: usize,
    /// Gate score: distance of every block's channel means from the training X-rays'.
    pub features_score: f32,
    /// Gate score: distance of the 16x16 thumbnail from the training X-rays'.
    pub layout_score: f32,
}

impl Model {
    /// Loads the model's bytes, ONNX or NNEF (a tar file, told apart by its content),
    /// checking them against the card's sha256 for that form first.
    pub fn load(card: &ModelCard, bytes: &[u8]) -> Result<Self, Error> {
        let nnef = is_tar(bytes);
        let expected = if nnef {
            &card
                .nnef
                .as_ref()
                .ok_or_else(|| {
                    Error::ModelCard(
                        "the model is in NNEF form but the card names no NNEF file".into(),
                    )
                })?
                .sha256
        } else {
            &card.onnx.sha256
        };
        check_digest(expected, bytes)?;
        let input_shape = card.preprocess.input_shape;
        let typed = if nnef {
            tract_nnef::nnef()
                .model_for_read(&mut std::io::Cursor::new(bytes))
                .map_err(|e| Error::ModelLoad(format!("{e:#}")))?
        } else {
            typed_from_onnx(input_shape, bytes)?
        };
        let plan = typed
            .into_optimized()
            .and_then(|m| m.into_runnable())
            .map_err(|e| Error::ModelLoad(format!("{e:#}")))?;
        Ok(Model { plan, input_shape })
    }

    /// Runs the model on one normalised input (`height * width` values).
    pub fn run(&self, values: Vec<f32>) -> Result<ModelOutput, Error> {
        let failed = |e: TractError| Error::Inference(format!("{e:#}"));
        let input = Tensor::from_shape(&self.input_shape, &values).map_err(failed)?;
        let outputs = self.plan.run(tvec!(input.into())).map_err(failed)?;
        if outputs.len() != 4 {
            return Err(Error::Inference(format!(
                "expected 4 outputs (logit, cam, ood_features, ood_layout), found {}",
                outputs.len()
            )));
        }
        let values = |t: &TValue| -> Result<Vec<f32>, Error> {
            Ok(t.to_plain_array_view::<f32>()
                .map_err(failed)?
                .iter()
                .copied()
                .collect())
        };
        let scalar = |t: &TValue| -> Result<f32, Error> {
            values(t)?
                .first()
                .copied()
                .ok_or_else(|| Error::Inference("empty output".into()))
        };
        let cam = &outputs[1];
        let shape = cam.shape();
        let (cam_height, cam_width) = match shape {
            [1, 1, h, w] => (*h, *w),
            other => return Err(Error::Inference(format!("unexpected CAM shape {other:?}"))),
        };
        Ok(ModelOutput {
            logit: scalar(&outputs[0])?,
            cam: values(cam)?,
            cam_width,
            cam_height,
            features_score: scalar(&outputs[2])?,
            layout_score: scalar(&outputs[3])?,
        })
    }
}

/// The ONNX model with its input fact set, typed (then optimised by [`Model::load`]).
#[cfg(feature = "onnx")]
pub(crate) fn typed_from_onnx(input_shape: [usize; 4], onnx: &[u8]) -> Result<TypedModel, Error> {
    use tract_onnx::prelude::{Framework, InferenceModelExt};
    tract_onnx::onnx()
        .model_for_read(&mut std::io::Cursor::new(onnx))
        .and_then(|m| m.with_input_fact(0, f32::fact(input_shape).into()))
        .and_then(|m| m.into_typed())
        .map_err(|e| Error::ModelLoad(format!("{e:#}")))
}

/// Without the `onnx` feature (the browser's WebAssembly) only the NNEF form loads.
#[cfg(not(feature = "onnx"))]
fn typed_from_onnx(_input_shape: [usize; 4], _onnx: &[u8]) -> Result<TypedModel, Error> {
    Err(Error::ModelLoad(
        "this build reads the model in tract's NNEF form only, which `cargo xtask dist` writes"
            .into(),
    ))
}

/// True for a tar file (the NNEF form): `ustar` at offset 257. An ONNX file is protobuf.
fn is_tar(bytes: &[u8]) -> bool {
    bytes.get(257..262) == Some(b"ustar")
}

pub(crate) fn check_digest(expected: &str, bytes: &[u8]) -> Result<(), Error> {
    let found = hex(&Sha256::digest(bytes));
    if found.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(Error::ModelMismatch {
            expected: expected.to_string(),
            found,
        })
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
