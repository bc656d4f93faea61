//! Arbitrary bytes through the whole pipeline, as the browser calls it (with the card's
//! thumbnail; the CLI and the server call the same code without one): an error or a
//! prediction (with a probability in [0, 1]) and a thumbnail no larger than asked for,
//! never a panic, a hang or a memory blowup.
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
    if let Ok((prediction, thumbnail)) = classifier().classify_with_thumbnail(data, 224) {
        assert!((0.0..=1.0).contains(&prediction.probability));
        assert_eq!(
            prediction.heatmap.logits.len(),
            prediction.heatmap.width * prediction.heatmap.height
        );
        // None only for an image without pixels (a zero side): the page shows the file.
        let Some(thumbnail) = thumbnail else { return };
        assert!(thumbnail.width.max(thumbnail.height) <= 224);
        assert_eq!(
            thumbnail.pixels.len(),
            (thumbnail.width * thumbnail.height) as usize
        );
        assert!(thumbnail.png().starts_with(b"\x89PNG"));
    }
});
