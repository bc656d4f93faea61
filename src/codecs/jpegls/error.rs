//! The error type of the vendored decoder (upstream's `dicom_toolkit_core::error`, cut
//! down to the two variants it uses).

use std::fmt;

/// What went wrong while reading a JPEG-LS stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DcmError {
    /// The stream is damaged or uses a feature the decoder lacks.
    DecompressionError { reason: String },
    /// Kept for the upstream code's shape (encoder-side checks in shared helpers).
    CompressionError { reason: String },
}

impl fmt::Display for DcmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DcmError::DecompressionError { reason } | DcmError::CompressionError { reason } => {
                f.write_str(reason)
            }
        }
    }
}

/// Upstream's result alias.
pub type DcmResult<T> = Result<T, DcmError>;
