//! The pipeline every front end calls: bytes → decode → grey → resize and normalise →
//! model → gate and decision, with timings.

use serde::Serialize;
use web_time::Instant;

use crate::card::ModelCard;
use crate::dicom::DicomInfo;
use crate::error::Error;
use crate::gate::{self, GateScores, Refusal};
use crate::heatmap::Heatmap;
use crate::model::Model;
use crate::thumbnail::{self, Thumbnail};
use crate::{input, preprocess};

/// A model card and its loaded model: build once, classify many files.
pub struct Classifier {
    card: ModelCard,
    model: Model,
}

/// Which side of the threshold the probability fell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Label {
    /// Below the threshold.
    Normal,
    /// At or above the threshold.
    Pneumonia,
}

impl Label {
    /// The label as written in the model card and every output (`NORMAL`, `PNEUMONIA`).
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Normal => "NORMAL",
            Label::Pneumonia => "PNEUMONIA",
        }
    }
}

/// Milliseconds spent in each stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Timings {
    /// Format sniffing and decoding.
    pub decode_ms: f64,
    /// Grey conversion, resize and normalisation.
    pub preprocess_ms: f64,
    /// The model run.
    pub inference_ms: f64,
    /// All of it.
    pub total_ms: f64,
}

/// Facts about the decoded file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageInfo {
    /// Format name, e.g. `JPEG`.
    pub format: &'static str,
    /// Width as stored, after EXIF orientation (a JPEG 2000 image decoded at a reduced
    /// resolution level for the model still reports its full size).
    pub width: u32,
    /// Height as stored, after EXIF orientation.
    pub height: u32,
}

/// Everything the model says about one image.
///
/// The model's output is always present, also for an image the gate refuses (so that
/// evaluation sees every prediction); front ends show [`Prediction::refusal`] instead of
/// the label when there is one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The label the threshold gives.
    pub label: Label,
    /// Pneumonia probability, sigmoid of the logit.
    pub probability: f64,
    /// The card's decision threshold.
    pub threshold: f64,
    /// The probability lies in the card's borderline band: the label is given, but the
    /// result needs a reader before anyone acts on it.
    pub borderline: bool,
    /// The model's logit.
    pub logit: f32,
    /// Why the gate refused the image; `None` when it is accepted.
    pub refusal: Option<Refusal>,
    /// The gate's measurements.
    pub gate: GateScores,
    /// Where the network found evidence.
    pub heatmap: Heatmap,
    /// The decoded file.
    pub image: ImageInfo,
    /// For a DICOM file: modality, view position and the like (never anything that
    /// identifies the patient); `null` for other formats.
    pub dicom: Option<DicomInfo>,
    /// Things worth telling the user that did not stop classification.
    pub warnings: Vec<String>,
    /// Time per stage.
    pub timings: Timings,
}

impl Classifier {
    /// Loads a model from its card (JSON text) and ONNX bytes.
    pub fn new(card_json: &str, onnx: &[u8]) -> Result<Self, Error> {
        let card = ModelCard::from_json(card_json)?;
        let model = Model::load(&card, onnx)?;
        Ok(Classifier { card, model })
    }

    /// The model card in use.
    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    /// The loaded model, for running it alone (benchmarks: `bench/`).
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// [`Classifier::classify`], with a panic anywhere in decoding or inference turned
    /// into [`Error::Internal`] for this file alone: what the native front ends call,
    /// so that one file that trips a bug in a codec costs only its own result (the
    /// panic message still goes to stderr through the panic hook, for the bug report).
    /// In WebAssembly a panic aborts the instance instead, and the page's worker
    /// restarts (`www/client.js`).
    pub fn classify_guarded(&self, bytes: &[u8]) -> Result<Prediction, Error> {
        // Unwind safety: a classification shares nothing mutable with the next one
        // (the model's state and every buffer are made per call), so nothing broken
        // can be seen after a caught panic.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.classify(bytes)))
            .unwrap_or_else(|panic| Err(Error::Internal(panic_message(panic.as_ref()))))
    }

    /// Classifies one image file held in memory.
    pub fn classify(&self, bytes: &[u8]) -> Result<Prediction, Error> {
        self.classify_with_thumbnail(bytes, 0)
            .map(|(prediction, _)| prediction)
    }

    /// [`Classifier::classify`], and the file's thumbnail made from the model's input
    /// ([`crate::thumbnail`]), its longer side `longest` pixels at most; no thumbnail when
    /// `longest` is 0. The browser's result cards show it instead of decoding the file
    /// again.
    pub fn classify_with_thumbnail(
        &self,
        bytes: &[u8],
        longest: u32,
    ) -> Result<(Prediction, Option<Thumbnail>), Error> {
        let start = Instant::now();
        let mut decoded = input::decode(bytes)?;
        let decoded_at = Instant::now();

        let params = &self.card.preprocess;
        let image = ImageInfo {
            format: decoded.format,
            width: decoded.size.0,
            height: decoded.size.1,
        };
        let mut warnings = Vec::new();
        if decoded.rotated {
            warnings.push("turned upright using the file's EXIF orientation".to_string());
        }
        warnings.append(&mut decoded.warnings);
        let dicom = decoded.dicom.take();
        let decoded_size = decoded.size;
        let grey = preprocess::to_grey(&decoded.image, params.grey_weights);
        drop(decoded);
        let input = preprocess::to_model_input(&grey.image, params);
        drop(grey.image);
        let thumbnail = match longest {
            0 => None,
            _ => thumbnail::thumbnail(&input.values, params, decoded_size, longest),
        };
        let preprocessed_at = Instant::now();

        let output = self.model.run(input.values)?;
        let inferred_at = Instant::now();

        let gate = GateScores {
            colourfulness: grey.colourfulness,
            grey_std: input.grey_std,
            features_score: output.features_score,
            layout_score: output.layout_score,
        };
        let probability = sigmoid(f64::from(output.logit));
        let threshold = self.card.threshold.probability;
        let label = if probability >= threshold {
            Label::Pneumonia
        } else {
            Label::Normal
        };
        let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1000.0;
        let prediction = Prediction {
            label,
            probability,
            threshold,
            borderline: self
                .card
                .borderline
                .is_some_and(|band| band.contains(probability)),
            logit: output.logit,
            refusal: gate::check(&self.card.gate, &gate),
            gate,
            heatmap: Heatmap {
                width: output.cam_width,
                height: output.cam_height,
                logits: output.cam,
            },
            image,
            dicom,
            warnings,
            timings: Timings {
                decode_ms: ms(start, decoded_at),
                preprocess_ms: ms(decoded_at, preprocessed_at),
                inference_ms: ms(preprocessed_at, inferred_at),
                total_ms: ms(start, Instant::now()),
            },
        };
        Ok((prediction, thumbnail))
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The text a panic was raised with (`panic!("…")`, an assertion, an index out of
/// bounds), or a placeholder for other payloads.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "the decoder stopped unexpectedly".to_string()
    }
}
