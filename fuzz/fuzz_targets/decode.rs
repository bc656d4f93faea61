//! Arbitrary bytes through decoding and preprocessing: any input may be refused with an
//! error, none may panic, hang or exhaust memory.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pneumoscan::{ModelCard, input, preprocess};

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
        drop(decoded);
        let input = preprocess::to_model_input(&grey.image, params);
        assert_eq!(
            input.values.len(),
            (params.resize.width * params.resize.height) as usize
        );
        assert!(input.values.iter().all(|v| v.is_finite()));
    }
});
