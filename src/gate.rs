//! The out-of-distribution gate: "is this a chest X-ray at all?"
//!
//! Three checks, each with its own plain-words reason, limits from the model card:
//! colour (X-rays are grey), contrast (a blank image shows no anatomy), and the
//! distance of the image's CNN features from those of the training X-rays (the model's
//! `ood` output, a squared Mahalanobis distance), which refuses photos, documents,
//! screenshots and noise. The first two need only pixels; the third comes free with the
//! same model run that classifies the image.

use serde::Serialize;

use crate::card::GateParams;

/// The gate's measurements for one image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GateScores {
    /// Mean absolute difference between colour channels, in [0, 1].
    pub colourfulness: f32,
    /// Standard deviation of the grey image at the model's input size, in [0, 1].
    pub grey_std: f32,
    /// Squared Mahalanobis distance of the image's features from the training X-rays.
    pub ood_score: f32,
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
    /// Features unlike any training X-ray.
    NotChestXray {
        /// Measured distance.
        ood_score: f32,
        /// Largest accepted.
        limit: f32,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Colour {
                colourfulness,
                limit,
            } => write!(
                f,
                "not a chest X-ray: this is a colour image (colour {colourfulness:.3}, X-rays are grey: limit {limit:.3})"
            ),
            Refusal::Blank { grey_std, limit } => write!(
                f,
                "not a chest X-ray: the image is nearly blank (contrast {grey_std:.3}, at least {limit:.3} needed)"
            ),
            Refusal::NotChestXray { ood_score, limit } => write!(
                f,
                "not a chest X-ray: the image does not look like the frontal chest X-rays the model knows \
                 (distance {ood_score:.0}, limit {limit:.0})"
            ),
        }
    }
}

/// Applies the card's limits; `None` means the image is accepted.
pub fn check(params: &GateParams, scores: &GateScores) -> Option<Refusal> {
    if !(scores.colourfulness <= params.max_colourfulness) {
        Some(Refusal::Colour {
            colourfulness: scores.colourfulness,
            limit: params.max_colourfulness,
        })
    } else if !(scores.grey_std >= params.min_grey_std) {
        Some(Refusal::Blank {
            grey_std: scores.grey_std,
            limit: params.min_grey_std,
        })
    } else if !(scores.ood_score <= params.max_ood_score) {
        Some(Refusal::NotChestXray {
            ood_score: scores.ood_score,
            limit: params.max_ood_score,
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
        max_ood_score: 300.0,
    };

    fn scores(colourfulness: f32, grey_std: f32, ood_score: f32) -> GateScores {
        GateScores {
            colourfulness,
            grey_std,
            ood_score,
        }
    }

    #[test]
    fn accepts_within_limits() {
        assert_eq!(check(&PARAMS, &scores(0.0, 0.2, 120.0)), None);
    }

    #[test]
    fn refuses_each_reason_in_order() {
        assert!(matches!(
            check(&PARAMS, &scores(0.2, 0.0, 1e6)),
            Some(Refusal::Colour { .. })
        ));
        assert!(matches!(
            check(&PARAMS, &scores(0.0, 0.01, 1e6)),
            Some(Refusal::Blank { .. })
        ));
        assert!(matches!(
            check(&PARAMS, &scores(0.0, 0.2, 301.0)),
            Some(Refusal::NotChestXray { .. })
        ));
    }

    #[test]
    fn nan_scores_are_refused() {
        assert!(check(&PARAMS, &scores(0.0, 0.2, f32::NAN)).is_some());
    }
}
