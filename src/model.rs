//! The ONNX model, loaded and optimised once by tract, run once per image.

use sha2::{Digest, Sha256};
use tract_onnx::prelude::*;

use crate::card::ModelCard;
use crate::error::Error;

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
    /// Loads ONNX bytes, checking them against the card's sha256 first.
    pub fn load(card: &ModelCard, onnx: &[u8]) -> Result<Self, Error> {
        let found = hex(&Sha256::digest(onnx));
        if !found.eq_ignore_ascii_case(&card.onnx.sha256) {
            return Err(Error::ModelMismatch {
                expected: card.onnx.sha256.clone(),
                found,
            });
        }
        let input_shape = card.preprocess.input_shape;
        let plan = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(onnx))
            .and_then(|m| m.with_input_fact(0, f32::fact(input_shape).into()))
            .and_then(|m| m.into_optimized())
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
