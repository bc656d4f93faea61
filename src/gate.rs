//! The out-of-distribution gate: "is this a chest X-ray at all?"
//!
//! Four checks, each with a plain-words reason and limits from the model card:
//! - colour: X-rays are grey;
//! - contrast: a blank image shows no anatomy;
//! - features: every conv block's channel means, compared with the training X-rays'
//!   (a Mahalanobis distance, the model's `ood_features` output): refuses photos,
//!   documents, textures, noise;
//! - layout: the image's 16x16 thumbnail, compared with the training X-rays'
//!   (the `ood_layout` output): refuses pictures whose dark and bright regions do not
//!   lie where a frontal chest X-ray has them.
//!
//! The first two need only pixels; the last two come with the model run that classifies
//! the image, at no extra cost. All limits were set on X-rays only (`training/train.py`).

use serde::Serialize;

use crate::card::GateParams;

/// The gate's measurements for one image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GateScores {
    /// Mean absolute difference between colour channels, in [0, 1].
    pub colourfulness: f32,
    /// Standard deviation of the grey image at the model's input size, in [0, 1].
    pub grey_std: f32,
    /// Distance of the image's CNN features from the training X-rays'.
    pub features_score: f32,
    /// Distance of the image's coarse layout from the training X-rays'.
    pub layout_score: f32,
}

/// Why the gate refused an image.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refusal {
    /// A colour image: X-rays are grey.
    Colour {
        /// Measured colourfulness.
        colourfulness: f32,
        /// Largest accepted.
        limit: f32,
    },
    /// Nearly uniform: no anatomy to look at.
    Blank {
        /// Measured contrast (grey standard deviation).
        grey_std: f32,
        /// Smallest accepted.
        limit: f32,
    },
    /// Content (textures, shapes) unlike any training X-ray.
    UnlikeXrayContent {
        /// Measured distance.
        score: f32,
        /// Largest accepted.
        limit: f32,
    },
    /// Bright and dark regions not where a frontal chest X-ray has them.
    UnlikeXrayLayout {
        /// Measured distance.
        score: f32,
        /// Largest accepted.
        limit: f32,
    },
}

impl Refusal {
    /// The stable machine-readable code of this reason (`snake_case`), beside the
    /// English message of [`Display`](std::fmt::Display).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Colour { .. } => "not_chest_xray_colour",
            Refusal::Blank { .. } => "not_chest_xray_blank",
            Refusal::UnlikeXrayContent { .. } => "not_chest_xray_content",
            Refusal::UnlikeXrayLayout { .. } => "not_chest_xray_layout",
        }
    }

    /// The refusal's own fields (the measurement and its limit) as a JSON object, each
    /// number written as its shortest decimal (`0.05`, not the f32's `0.0500000007…`).
    pub fn params(&self) -> serde_json::Value {
        let number = |value: f32| {
            value
                .to_string()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(serde_json::Value::Null, serde_json::Value::Number)
        };
        let (name, value, limit) = match *self {
            Refusal::Colour {
                colourfulness,
                limit,
            } => ("colourfulness", colourfulness, limit),
            Refusal::Blank { grey_std, limit } => ("grey_std", grey_std, limit),
            Refusal::UnlikeXrayContent { score, limit }
            | Refusal::UnlikeXrayLayout { score, limit } => ("score", score, limit),
        };
        let mut params = serde_json::Map::new();
        params.insert(name.to_string(), number(value));
        params.insert("limit".to_string(), number(limit));
        serde_json::Value::Object(params)
    }

    /// One refusal of every kind, in the order of the enum: the list of codes
    /// (`pneumoscan codes`) and the tests that keep codes distinct and translated.
    pub fn examples() -> Vec<Refusal> {
        vec![
            Refusal::Colour {
                colourfulness: 0.25,
                limit: 0.05,
            },
            Refusal::Blank {
                grey_std: 0.012,
                limit: 0.05,
            },
            Refusal::UnlikeXrayContent {
                score: 1234.0,
                limit: 300.0,
            },
            Refusal::UnlikeXrayLayout {
                score: 2048.0,
                limit: 1000.0,
            },
        ]
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Colour {
                colourfulness,
                limit,
            } => write!(
                f,
                "not a chest X-ray: this is a colour image (colour {colourfulness:.3}; X-rays are grey, limit {limit:.3})"
            ),
            Refusal::Blank { grey_std, limit } => write!(
                f,
                "not a chest X-ray: the image is nearly blank (contrast {grey_std:.3}, at least {limit:.3} needed)"
            ),
            Refusal::UnlikeXrayContent { score, limit } => write!(
                f,
                "not a chest X-ray: its content does not look like the frontal chest X-rays the model knows \
                 (distance {score:.0}, limit {limit:.0})"
            ),
            Refusal::UnlikeXrayLayout { score, limit } => write!(
                f,
                "not a chest X-ray: its layout does not match a frontal chest X-ray \
                 (distance {score:.0}, limit {limit:.0})"
            ),
        }
    }
}

/// Applies the card's limits; `None` means the image is accepted. NaN scores are refused.
pub fn check(params: &GateParams, scores: &GateScores) -> Option<Refusal> {
    let above = |value: f32, max: f32| value.is_nan() || value > max;
    let below = |value: f32, min: f32| value.is_nan() || value < min;
    if above(scores.colourfulness, params.max_colourfulness) {
        Some(Refusal::Colour {
            colourfulness: scores.colourfulness,
            limit: params.max_colourfulness,
        })
    } else if below(scores.grey_std, params.min_grey_std) {
        Some(Refusal::Blank {
            grey_std: scores.grey_std,
            limit: params.min_grey_std,
        })
    } else if above(scores.features_score, params.max_features_score) {
        Some(Refusal::UnlikeXrayContent {
            score: scores.features_score,
            limit: params.max_features_score,
        })
    } else if above(scores.layout_score, params.max_layout_score) {
        Some(Refusal::UnlikeXrayLayout {
            score: scores.layout_score,
            limit: params.max_layout_score,
        })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAMS: GateParams = GateParams {
        max_colourfulness: 0.05,
        min_grey_std: 0.05,
        max_features_score: 300.0,
        max_layout_score: 1000.0,
    };

    fn scores(
        colourfulness: f32,
        grey_std: f32,
        features_score: f32,
        layout_score: f32,
    ) -> GateScores {
        GateScores {
            colourfulness,
            grey_std,
            features_score,
            layout_score,
        }
    }

    #[test]
    fn accepts_within_limits() {
        assert_eq!(check(&PARAMS, &scores(0.0, 0.2, 120.0, 500.0)), None);
    }

    #[test]
    fn refuses_each_reason_in_order() {
        let refusal = |s| check(&PARAMS, &s);
        assert!(matches!(
            refusal(scores(0.2, 0.0, 1e6, 1e6)),
            Some(Refusal::Colour { .. })
        ));
        assert!(matches!(
            refusal(scores(0.0, 0.01, 1e6, 1e6)),
            Some(Refusal::Blank { .. })
        ));
        assert!(matches!(
            refusal(scores(0.0, 0.2, 301.0, 1e6)),
            Some(Refusal::UnlikeXrayContent { .. })
        ));
        assert!(matches!(
            refusal(scores(0.0, 0.2, 1.0, 1001.0)),
            Some(Refusal::UnlikeXrayLayout { .. })
        ));
    }

    #[test]
    fn every_reason_has_one_example_and_its_own_code() {
        // No wildcard: a new reason does not compile until it is given a place here.
        let position = |r: &Refusal| match r {
            Refusal::Colour { .. } => 0,
            Refusal::Blank { .. } => 1,
            Refusal::UnlikeXrayContent { .. } => 2,
            Refusal::UnlikeXrayLayout { .. } => 3,
        };
        let examples = Refusal::examples();
        let positions: Vec<usize> = examples.iter().map(position).collect();
        assert_eq!(positions, [0, 1, 2, 3]);
        let mut codes: Vec<&str> = examples.iter().map(Refusal::code).collect();
        codes.extend(crate::Error::examples().iter().map(crate::Error::code));
        let all = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all, "a refusal and an error share a code");
    }

    #[test]
    fn params_are_the_fields_without_the_tag() {
        let refusal = Refusal::Blank {
            grey_std: 0.012,
            limit: 0.05,
        };
        assert_eq!(refusal.code(), "not_chest_xray_blank");
        assert_eq!(
            refusal.params(),
            serde_json::json!({ "grey_std": 0.012, "limit": 0.05 })
        );
    }

    #[test]
    fn nan_scores_are_refused() {
        assert!(check(&PARAMS, &scores(0.0, 0.2, f32::NAN, 1.0)).is_some());
        assert!(check(&PARAMS, &scores(0.0, 0.2, 1.0, f32::NAN)).is_some());
    }
}
