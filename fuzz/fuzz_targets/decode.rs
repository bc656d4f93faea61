//! Arbitrary bytes through decoding and preprocessing, and, for the formats the viewer
//! decodes otherwise (a JPEG 2000 image, alone or in DICOM, at its full resolution), the
//! viewer's decoding too: any input may be refused with an error, none may panic, hang
//! or exhaust memory.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pneumoscan::{ModelCard, input, preprocess, view};

fn card() -> &'static ModelCard {
    static CARD: OnceLock<ModelCard> = OnceLock::new();
    CARD.get_or_init(|| {
        ModelCard::from_json(include_str!("../../model/model.json")).expect("the model card")
    })
}

fuzz_target!(|data: &[u8]| {
    let params = &card().preprocess;
    if let Ok(decoded) = input::decode(data) {
        let grey = preprocess::to_grey(&decoded.image, params.grey_weights);
        let full_size = matches!(decoded.format, "JPEG 2000" | "DICOM");
        drop(decoded);
        if full_size && let Ok(view) = view::view(data, params.grey_weights) {
            assert_eq!(view.samples.len(), (view.width * view.height) as usize);
            assert!(view.bits == 8 || view.bits == 16);
            assert!(view.samples.iter().all(|&v| u32::from(v) < 1 << view.bits));
        }
        let input = preprocess::to_model_input(&grey.image, params);
        assert_eq!(
            input.values.len(),
            (params.resize.width * params.resize.height) as usize
        );
        assert!(input.values.iter().all(|v| v.is_finite()));
    }
});
