//! The class activation map: where in the image the network found evidence.
//!
//! The model exports the CAM (Zhou et al. 2016) in logit units on a coarse grid; its
//! mean is the image's logit. Front ends upsample [`Heatmap::intensity`] over the image.

use serde::ser::{Serialize, SerializeStruct, Serializer};

/// A coarse grid over the whole (squashed) image, row-major from the top-left.
///
/// Serialises as `{width, height, logits, intensity}`, so that every front end (the
/// browser, the server's JSON) shows the same [`Heatmap::intensity`] without
/// recomputing it.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// Cells across.
    pub width: usize,
    /// Cells down.
    pub height: usize,
    /// Evidence per cell in logit units: positive for pneumonia, negative for normal.
    pub logits: Vec<f32>,
}

impl Heatmap {
    /// Per-cell pneumonia evidence as a probability-like value in [0, 1] (sigmoid of the
    /// cell's logit), comparable between images, which min-max scaling would not be.
    pub fn intensity(&self) -> Vec<f32> {
        self.logits
            .iter()
            .map(|&v| 1.0 / (1.0 + (-v).exp()))
            .collect()
    }
}

impl Serialize for Heatmap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Heatmap", 4)?;
        s.serialize_field("width", &self.width)?;
        s.serialize_field("height", &self.height)?;
        s.serialize_field("logits", &self.logits)?;
        s.serialize_field("intensity", &self.intensity())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intensity_is_sigmoid_of_each_cell() {
        let map = Heatmap {
            width: 2,
            height: 1,
            logits: vec![0.0, 40.0],
        };
        assert_eq!(map.intensity(), vec![0.5, 1.0]);
    }

    #[test]
    fn serialises_intensity_beside_logits() {
        let map = Heatmap {
            width: 1,
            height: 1,
            logits: vec![0.0],
        };
        let json = serde_json::to_value(&map).expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({"width": 1, "height": 1, "logits": [0.0], "intensity": [0.5]})
        );
    }
}
