//! The one error type of the core. Every front end shows these messages as they are,
//! so they are written for the person who dropped the file; beside each message goes a
//! stable machine-readable [`Error::code`] with the [`Error::params`] the message uses,
//! from which the web app writes the message in the user's language.

use serde_json::{Value, json};
use thiserror::Error;

/// Why a file could not be classified, or why the model could not be loaded.
///
/// A file the gate refuses is not an error: it is a [`crate::Verdict::Refused`].
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// Zero bytes.
    #[error("the file is empty")]
    Empty,
    /// The bytes are not in an image format Pneumoscan reads.
    #[error(
        "not a supported image: {0}; use JPEG, PNG, JPEG 2000, WebP, TIFF, BMP, GIF, PGM/PPM or DICOM"
    )]
    UnsupportedFormat(String),
    /// The header claims a size beyond the decoding limits (a decompression bomb, or a
    /// scan far larger than any X-ray).
    #[error("image too large: {0}; Pneumoscan reads images up to {max_side} pixels per side and {max_mpx} megapixels", max_side = crate::limits::MAX_SIDE, max_mpx = crate::limits::MAX_PIXELS / (1024 * 1024))]
    TooLarge(String),
    /// The image is too small to hold a readable X-ray.
    #[error(
        "image too small: {width}x{height} pixels; at least {min_side} pixels per side are needed"
    )]
    TooSmall {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// Smallest side accepted.
        min_side: u32,
    },
    /// The format was recognised but the data is damaged or truncated.
    #[error("the {format} file is damaged or truncated: {message}")]
    Corrupt {
        /// Format name, e.g. `JPEG`.
        format: String,
        /// What the decoder reported.
        message: String,
    },
    /// A DICOM file whose transfer syntax (the encoding of its data set or pixel data)
    /// Pneumoscan cannot decode, e.g. progressive JPEG or JPEG XL.
    #[error(
        "the DICOM file uses {name} (transfer syntax {uid}), which Pneumoscan cannot decode; it reads uncompressed DICOM (implicit or explicit VR little endian, explicit VR big endian), deflated, RLE Lossless, JPEG (baseline, extended 8- and 12-bit, lossless), JPEG-LS and JPEG 2000 (HTJ2K included)"
    )]
    DicomTransferSyntax {
        /// The transfer syntax's name, e.g. `JPEG 2000 Image Compression`.
        name: String,
        /// Its UID, e.g. `1.2.840.10008.1.2.4.91`.
        uid: String,
    },
    /// A DICOM file with no image in it (a structured report, a DICOMDIR, a
    /// presentation state…).
    #[error(
        "the DICOM file holds no image (it has no Pixel Data): it may be a report, a DICOMDIR or another non-image object"
    )]
    DicomNoPixelData,
    /// A DICOM image of a kind Pneumoscan does not render (e.g. palette colour, 32 bits
    /// per sample).
    #[error("this DICOM image is not supported: {0}")]
    DicomUnsupported(String),
    /// A bug: the decoder or the model panicked on this file. Natively the panic is
    /// caught per file ([`crate::Classifier::classify_guarded`]), so the other files of
    /// a batch and the server's other requests are not affected.
    #[error("internal error while reading this file: {0}")]
    Internal(String),
    /// The model card is missing fields or inconsistent.
    #[error("invalid model card: {0}")]
    ModelCard(String),
    /// The ONNX bytes are not the ones the card describes.
    #[error("model file does not match its card: expected sha256 {expected}, found {found}")]
    ModelMismatch {
        /// Digest in the card.
        expected: String,
        /// Digest of the bytes given.
        found: String,
    },
    /// A model file could not be read from disk.
    #[error("cannot read model file {path}: {message}")]
    ModelRead {
        /// The path tried.
        path: String,
        /// What the OS said.
        message: String,
    },
    /// tract could not load or optimise the model.
    #[error("cannot load the model: {0}")]
    ModelLoad(String),
    /// tract failed while running the model (should not happen for a loaded model).
    #[error("inference failed: {0}")]
    Inference(String),
    /// The file is in a format whose decoder this build leaves out: the browser's first
    /// WebAssembly module reads PNG and JPEG only, and its worker answers this by loading
    /// the module with every decoder and classifying the file there ([`crate::sniff`]).
    /// Native builds have every decoder and never return it.
    #[error("the {format} decoder is not loaded yet (this build reads PNG and JPEG only)")]
    DecoderNotLoaded {
        /// The format recognised, e.g. `DICOM`.
        format: String,
    },
}

impl Error {
    /// The stable machine-readable code of this kind of error (`snake_case`): what
    /// scripts and translations key on, while the English message may be reworded.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Empty => "empty_file",
            Error::UnsupportedFormat(_) => "unsupported_format",
            Error::TooLarge(_) => "image_too_large",
            Error::TooSmall { .. } => "image_too_small",
            Error::Corrupt { .. } => "damaged_file",
            Error::DicomTransferSyntax { .. } => "dicom_transfer_syntax",
            Error::DicomNoPixelData => "dicom_no_pixel_data",
            Error::DicomUnsupported(_) => "dicom_unsupported",
            Error::Internal(_) => "internal_error",
            Error::ModelCard(_) => "model_card_invalid",
            Error::ModelMismatch { .. } => "model_mismatch",
            Error::ModelRead { .. } => "model_unreadable",
            Error::ModelLoad(_) => "model_load_failed",
            Error::Inference(_) => "inference_failed",
            Error::DecoderNotLoaded { .. } => "decoder_not_loaded",
        }
    }

    /// The values the message is made of, as a JSON object: numbers as numbers, and the
    /// free text of a decoder or the OS (in English) as `detail`.
    pub fn params(&self) -> Value {
        match self {
            Error::Empty | Error::DicomNoPixelData => json!({}),
            Error::UnsupportedFormat(detail)
            | Error::DicomUnsupported(detail)
            | Error::Internal(detail)
            | Error::ModelCard(detail)
            | Error::ModelLoad(detail)
            | Error::Inference(detail) => json!({ "detail": detail }),
            Error::TooLarge(detail) => json!({
                "detail": detail,
                "max_side": crate::limits::MAX_SIDE,
                "max_megapixels": crate::limits::MAX_PIXELS / (1024 * 1024),
            }),
            Error::TooSmall {
                width,
                height,
                min_side,
            } => json!({ "width": width, "height": height, "min_side": min_side }),
            Error::Corrupt { format, message } => json!({ "format": format, "detail": message }),
            Error::DicomTransferSyntax { name, uid } => json!({ "name": name, "uid": uid }),
            Error::ModelMismatch { expected, found } => {
                json!({ "expected": expected, "found": found })
            }
            Error::ModelRead { path, message } => json!({ "path": path, "detail": message }),
            Error::DecoderNotLoaded { format } => json!({ "format": format }),
        }
    }

    /// One error of every kind, in the order of the enum: the list of codes
    /// (`pneumoscan codes`) and the tests that keep codes distinct and translated.
    pub fn examples() -> Vec<Error> {
        vec![
            Error::Empty,
            Error::UnsupportedFormat("this is a text file".into()),
            Error::TooLarge("20000x20000 pixels".into()),
            Error::TooSmall {
                width: 32,
                height: 24,
                min_side: crate::limits::MIN_SIDE,
            },
            Error::Corrupt {
                format: "PNG".into(),
                message: "the file ends early".into(),
            },
            Error::DicomTransferSyntax {
                name: "JPEG XL".into(),
                uid: "1.2.840.10008.1.2.4.112".into(),
            },
            Error::DicomNoPixelData,
            Error::DicomUnsupported("palette colour images".into()),
            Error::Internal("index out of bounds".into()),
            Error::ModelCard("threshold must be a probability".into()),
            Error::ModelMismatch {
                expected: "ab12".into(),
                found: "cd34".into(),
            },
            Error::ModelRead {
                path: "model/pneumonia.onnx".into(),
                message: "No such file or directory".into(),
            },
            Error::ModelLoad("unknown operator".into()),
            Error::Inference("shape mismatch".into()),
            Error::DecoderNotLoaded {
                format: "DICOM".into(),
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_error_has_one_example_in_order() {
        // No wildcard: a new variant does not compile until it is given a place here,
        // and then the assertion asks for its example in `Error::examples`.
        let position = |e: &Error| match e {
            Error::Empty => 0,
            Error::UnsupportedFormat(_) => 1,
            Error::TooLarge(_) => 2,
            Error::TooSmall { .. } => 3,
            Error::Corrupt { .. } => 4,
            Error::DicomTransferSyntax { .. } => 5,
            Error::DicomNoPixelData => 6,
            Error::DicomUnsupported(_) => 7,
            Error::Internal(_) => 8,
            Error::ModelCard(_) => 9,
            Error::ModelMismatch { .. } => 10,
            Error::ModelRead { .. } => 11,
            Error::ModelLoad(_) => 12,
            Error::Inference(_) => 13,
            Error::DecoderNotLoaded { .. } => 14,
        };
        let positions: Vec<usize> = Error::examples().iter().map(position).collect();
        assert_eq!(positions, (0..15).collect::<Vec<_>>());
    }

    #[test]
    fn codes_are_distinct_snake_case_and_params_are_objects() {
        let examples = Error::examples();
        let mut codes: Vec<&str> = examples.iter().map(Error::code).collect();
        for (error, code) in examples.iter().zip(&codes) {
            assert!(
                !code.is_empty()
                    && code
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{code}"
            );
            assert!(error.params().is_object(), "{code}");
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), examples.len(), "two kinds share a code");
    }

    #[test]
    fn params_hold_what_the_message_says() {
        let small = Error::TooSmall {
            width: 32,
            height: 24,
            min_side: 64,
        };
        assert_eq!(small.code(), "image_too_small");
        assert_eq!(
            small.params(),
            json!({ "width": 32, "height": 24, "min_side": 64 })
        );
        for example in Error::examples() {
            let message = example.to_string();
            for (name, value) in example.params().as_object().expect("object") {
                let text = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_string);
                assert!(
                    message.contains(&text),
                    "{name} = {text} not in {message:?}"
                );
            }
        }
    }

    #[test]
    fn the_transfer_syntax_error_names_what_is_read() {
        let message = Error::examples()[5].to_string();
        for read in [
            "explicit VR big endian",
            "deflated",
            "RLE Lossless",
            "JPEG-LS",
            "JPEG 2000",
        ] {
            assert!(message.contains(read), "{read}: {message}");
        }
    }
}
