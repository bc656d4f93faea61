//! Pneumoscan: a pneumonia classifier for chest X-rays.
//!
//! One pipeline, three front ends. Everything here is plain Rust that knows nothing of
//! browsers or HTTP and compiles for `wasm32-unknown-unknown` as well as the host:
//!
//! bytes → [`input`] (decode) → [`preprocess`] (grey, squash, normalise) → [`model`]
//! (tract) → [`gate`] (is it a chest X-ray?) → [`Prediction`] with a [`heatmap`].
//! Beside it, [`view`]: the same decoding, for the viewer's full-size image.
//!
//! ```no_run
//! let card = std::fs::read_to_string("model/model.json")?;
//! let onnx = std::fs::read("model/pneumonia.onnx")?;
//! let classifier = pneumoscan::Classifier::new(&card, &onnx)?;
//! let prediction = classifier.classify(&std::fs::read("xray.jpeg")?)?;
//! println!("{} {:.3}", prediction.label.as_str(), prediction.probability);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod card;
pub mod classify;
#[cfg(feature = "codecs")]
pub mod codecs;
pub mod dicom;
pub mod error;
pub mod gate;
pub mod heatmap;
pub mod input;
pub mod limits;
pub mod metrics;
pub mod model;
pub mod preprocess;
pub mod sniff;
pub mod thumbnail;
pub mod view;

#[cfg(feature = "native")]
pub mod bundled;
#[cfg(feature = "native")]
pub mod server;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use card::ModelCard;
pub use classify::{Classifier, ImageInfo, Label, Prediction, Timings};
pub use dicom::DicomInfo;
pub use error::Error;
pub use gate::Refusal;
