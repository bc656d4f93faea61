//! Arbitrary bytes through the whole pipeline, as every front end calls it: an error or
//! a prediction (with a probability in [0, 1]), never a panic, a hang or a memory blowup.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pneumoscan::Classifier;

fn classifier() -> &'static Classifier {
    static CLASSIFIER: OnceLock<Classifier> = OnceLock::new();
    CLASSIFIER.get_or_init(|| {
        Classifier::new(
            include_str!("../../model/model.json"),
            include_bytes!("../../model/pneumonia.onnx"),
        )
        .expect("the shipped model loads")
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(prediction) = classifier().classify(data) {
        assert!((0.0..=1.0).contains(&prediction.probability));
        assert_eq!(
            prediction.heatmap.logits.len(),
            prediction.heatmap.width * prediction.heatmap.height
        );
    }
});
