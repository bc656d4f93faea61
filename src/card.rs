//! The model card (`model/model.json`): the single source of truth shared by the
//! training pipeline and every front end. Preprocessing, labels, the decision threshold
//! and the gate's limits are read from here, never hard-coded a second time.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The parts of `model.json` that inference needs. Unknown fields (metrics, citation,
/// training details) are kept in [`ModelCard::raw`] for front ends that display them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelCard {
    /// Model name, e.g. `pneumoscan-pneumonia`.
    pub name: String,
    /// Model version; changes whenever the weights change.
    pub version: String,
    /// The ONNX file this card describes.
    pub onnx: OnnxFile,
    /// The same model in tract's NNEF form, which only the web bundle's card names
    /// (`cargo xtask dist` writes it beside the bundle's copy of the card).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nnef: Option<OnnxFile>,
    /// How an image becomes the model's input tensor.
    pub preprocess: Preprocess,
    /// Class names, index 0 is the negative class (`NORMAL`), index 1 the positive.
    pub labels: [String; 2],
    /// The decision threshold on the pneumonia probability.
    pub threshold: Threshold,
    /// Probabilities around the threshold where the label is not to be trusted alone;
    /// absent in cards from before 2.0.0 (then no result is borderline).
    #[serde(default)]
    pub borderline: Option<Borderline>,
    /// Limits of the out-of-distribution gate.
    pub gate: GateParams,
    /// "Not for clinical use" statement shown by every front end.
    pub not_for_clinical_use: String,
    /// The whole card as written by training, for display.
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// A model file's name (relative to the card) and its expected digest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OnnxFile {
    /// File name beside `model.json`.
    pub file: String,
    /// Lower-case hex sha256 of the file; loading refuses any other bytes.
    pub sha256: String,
}

/// Preprocessing facts, as used in training (`training/data.py`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Preprocess {
    /// Name of the ONNX input.
    pub input_name: String,
    /// Input shape, `[1, 1, height, width]`.
    pub input_shape: [usize; 4],
    /// Weights of R, G, B in the grey conversion.
    pub grey_weights: [f32; 3],
    /// Resize rule: the whole image is squashed to the input size, no crop.
    pub resize: Resize,
    /// Mean subtracted from grey values in [0, 1].
    pub mean: f32,
    /// Standard deviation the centred values are divided by.
    pub std: f32,
}

/// How the image is resized to the model's input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resize {
    /// Only `squash` (ignore the aspect ratio, as the training copies were made).
    pub mode: String,
    /// Target width in pixels.
    pub width: u32,
    /// Target height in pixels.
    pub height: u32,
    /// Only `triangle` (bilinear, antialiased when shrinking).
    pub filter: String,
}

/// The decision threshold and how it was chosen.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Threshold {
    /// Pneumonia probability at or above which the label is the positive class.
    pub probability: f64,
    /// The rule that chose it, in words.
    pub rule: String,
}

/// The borderline band: a probability in `[low, high]` still gets its label, but every
/// front end says it needs a reader (`training/train.py::choose_band` gives the rule).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Borderline {
    /// Lowest probability inside the band.
    pub low: f64,
    /// Highest probability inside the band.
    pub high: f64,
}

impl Borderline {
    /// Whether `probability` lies inside the band.
    pub fn contains(&self, probability: f64) -> bool {
        (self.low..=self.high).contains(&probability)
    }
}

/// Limits of the out-of-distribution gate (see [`crate::gate`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GateParams {
    /// Largest mean channel difference accepted; X-rays are grey.
    pub max_colourfulness: f32,
    /// Smallest grey standard deviation accepted; blank images carry no anatomy.
    pub min_grey_std: f32,
    /// Largest `ood_features` output accepted.
    pub max_features_score: f32,
    /// Largest `ood_layout` output accepted.
    pub max_layout_score: f32,
}

impl ModelCard {
    /// Parses and checks a model card.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        let raw: serde_json::Value =
            serde_json::from_str(json).map_err(|e| Error::ModelCard(e.to_string()))?;
        let mut card: ModelCard =
            serde_json::from_value(raw.clone()).map_err(|e| Error::ModelCard(e.to_string()))?;
        card.raw = raw;
        card.validate()?;
        Ok(card)
    }

    fn validate(&self) -> Result<(), Error> {
        let p = &self.preprocess;
        let [n, c, h, w] = p.input_shape;
        if n != 1 || c != 1 || h == 0 || w == 0 {
            return Err(Error::ModelCard(format!(
                "input_shape must be [1, 1, H, W], found {:?}",
                p.input_shape
            )));
        }
        if p.resize.mode != "squash" || p.resize.filter != "triangle" {
            return Err(Error::ModelCard(format!(
                "unsupported resize rule {} / {}",
                p.resize.mode, p.resize.filter
            )));
        }
        if (p.resize.width as usize, p.resize.height as usize) != (w, h) {
            return Err(Error::ModelCard(
                "resize size differs from the input shape".into(),
            ));
        }
        if !(p.std.is_finite() && p.std > 0.0 && p.mean.is_finite()) {
            return Err(Error::ModelCard(
                "mean and std must be finite, std > 0".into(),
            ));
        }
        if self.labels != ["NORMAL", "PNEUMONIA"] {
            return Err(Error::ModelCard(format!(
                "labels must be [\"NORMAL\", \"PNEUMONIA\"], found {:?}",
                self.labels
            )));
        }
        if !(0.0..=1.0).contains(&self.threshold.probability) {
            return Err(Error::ModelCard("threshold must be a probability".into()));
        }
        if let Some(band) = self.borderline
            && !(0.0 <= band.low
                && band.low <= self.threshold.probability
                && self.threshold.probability <= band.high
                && band.high <= 1.0)
        {
            return Err(Error::ModelCard(format!(
                "the borderline band [{}, {}] must be probabilities around the threshold {}",
                band.low, band.high, self.threshold.probability
            )));
        }
        Ok(())
    }

    /// Model input height and width.
    pub fn input_size(&self) -> (u32, u32) {
        (self.preprocess.resize.height, self.preprocess.resize.width)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../model/model.json");

    fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> Result<ModelCard, Error> {
        let mut json: serde_json::Value =
            serde_json::from_str(SHIPPED).expect("shipped card is JSON");
        edit(&mut json);
        ModelCard::from_json(&json.to_string())
    }

    #[test]
    fn shipped_card_is_valid() {
        let card = ModelCard::from_json(SHIPPED).expect("valid");
        assert_eq!(card.input_size(), (224, 224));
        assert!(
            card.not_for_clinical_use
                .starts_with("Not for clinical use")
        );
    }

    #[test]
    fn a_card_without_a_band_has_no_borderline() {
        let card = edited(|j| {
            j.as_object_mut().expect("object").remove("borderline");
        })
        .expect("valid");
        assert!(card.borderline.is_none());
        let old = ModelCard::from_json(include_str!("../model/1.0.0/model.json")).expect("1.0.0");
        assert_eq!(old.version, "1.0.0");
        assert!(old.borderline.is_none());
    }

    #[test]
    fn the_band_holds_its_ends() {
        let band = Borderline {
            low: 0.2,
            high: 0.6,
        };
        assert!(band.contains(0.2) && band.contains(0.4) && band.contains(0.6));
        assert!(!band.contains(0.19) && !band.contains(0.61));
    }

    #[test]
    fn inconsistent_cards_are_rejected() {
        assert!(edited(|j| j["labels"] = serde_json::json!(["PNEUMONIA", "NORMAL"])).is_err());
        assert!(edited(|j| j["preprocess"]["std"] = serde_json::json!(0.0)).is_err());
        assert!(edited(|j| j["preprocess"]["resize"]["mode"] = serde_json::json!("crop")).is_err());
        assert!(edited(|j| j["threshold"]["probability"] = serde_json::json!(1.5)).is_err());
        assert!(
            edited(|j| j["borderline"] = serde_json::json!({"low": 0.9, "high": 0.95})).is_err()
        );
        assert!(
            edited(|j| j["borderline"] = serde_json::json!({"low": -0.1, "high": 0.99})).is_err()
        );
        assert!(matches!(
            ModelCard::from_json("{"),
            Err(Error::ModelCard(_))
        ));
    }
}
