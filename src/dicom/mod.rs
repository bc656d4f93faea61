//! DICOM Part 10 file → grey image, as a viewer would show it, plus the few non-identifying
//! facts worth showing ([`DicomInfo`]).
//!
//! The pixel codecs are dicom-rs: `dicom-pixeldata` decodes the first frame (uncompressed,
//! RLE Lossless, JPEG baseline, extended 8-bit and lossless) from a `dicom-object`
//! in-memory object; [`crate::codecs`] decodes what it lacks (JPEG 2000, JPEG-LS, 12-bit
//! JPEG extended) to an uncompressed frame first. The file itself is read here, by one walk over its bytes, for three
//! reasons:
//!
//! - safety: every declared length is checked against the bytes really there before
//!   anything is taken from the file, nesting is bounded, and nothing is allocated on a
//!   header's word (dicom-object's reader allocates what a header declares before reading
//!   it: a 200-byte file could ask for 4 GiB). Before a codec runs, the frame's size is
//!   checked against the decode limits of [`crate::input`], and the compressed frame
//!   against the header (a JPEG whose own header disagrees with Rows/Columns, or an RLE
//!   segment that decodes to too little or far too much, would make the codecs panic or
//!   balloon);
//! - size: dicom-object's reader brings the whole data dictionary and every character
//!   set's tables (Japanese, Chinese, Korean) into the browser's WebAssembly, a third of a
//!   megabyte gzipped, to read a dozen numbers and codes;
//! - privacy: only the elements listed in [`WANTED`] are ever looked at; names, IDs,
//!   dates, institutions and UIDs are skipped unread.
//!
//! Rendering: the stored bits are extracted (Bits Stored, High Bit, Pixel Representation),
//! the Modality LUT (Rescale Slope/Intercept) is applied, then the first VOI window
//! (Window Center/Width, with the VOI LUT Function) or, without one, the min–max of the
//! rescaled values; MONOCHROME1 is inverted. Enhanced (functional group) rescale and
//! window values of the first frame take precedence. The result is an 8-bit grey image
//! (Bits Stored ≤ 8) or a 16-bit one, which then goes through the usual preprocessing.
//! Multi-frame files give their first frame, with a warning.

// Reading the data set, the pixel codecs and rendering need the `codecs` feature; the
// browser's first module is built without it and only recognises DICOM (crate::sniff).
#[cfg(feature = "codecs")]
mod codecs;
#[cfg(feature = "codecs")]
mod decode;
#[cfg(feature = "codecs")]
mod reader;
#[cfg(feature = "codecs")]
mod render;

use serde::Serialize;

pub use crate::sniff::is_dicom;
#[cfg(feature = "codecs")]
pub use decode::{DicomImage, decode, decode_at};

/// What a DICOM file says about its image, for display: never anything that identifies
/// the patient (no name, ID, birth date, dates, institution or UIDs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DicomInfo {
    /// Modality (0008,0060), e.g. `CR`, `DX`.
    pub modality: Option<String>,
    /// View Position (0018,5101), e.g. `PA`, `AP`, `LL`.
    pub view_position: Option<String>,
    /// Body Part Examined (0018,0015), e.g. `CHEST`.
    pub body_part_examined: Option<String>,
    /// Photometric Interpretation (0028,0004) as stored, e.g. `MONOCHROME1`.
    pub photometric_interpretation: String,
    /// Bits Stored (0028,0101): the precision of each sample.
    pub bits_stored: u16,
    /// Number of frames in the file (only the first is classified).
    pub frames: u32,
    /// The transfer syntax's name, e.g. `Explicit VR Little Endian`, `RLE Lossless`.
    pub transfer_syntax: String,
}
