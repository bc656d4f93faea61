//! The one error type of the core. Every front end shows these messages as they are,
//! so they are written for the person who dropped the file.

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
    /// Pneumoscan cannot decode, e.g. JPEG 2000 or JPEG-LS.
    #[error(
        "the DICOM file uses {name} (transfer syntax {uid}), which Pneumoscan cannot decode; it reads uncompressed DICOM (implicit or explicit VR little endian), RLE Lossless and JPEG (baseline, 8-bit extended, lossless)"
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
}
