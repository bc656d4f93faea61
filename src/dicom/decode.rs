//! The first frame of a DICOM file → [`DicomImage`]: the data set is read
//! ([`super::reader`]), the codec chosen from the transfer syntax, the frame checked and
//! decoded ([`super::codecs`], dicom-pixeldata) and rendered as a viewer would
//! ([`super::render`]).

use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_pixeldata::PixelDecoder;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use image::DynamicImage;

use super::DicomInfo;
use super::codecs::{self, check_jpeg, check_rle};
use super::reader::{
    self, DEFLATED_EXPLICIT_VR_LE, EXPLICIT_VR_LE, Encoding, JPEG, PixelData, RLE_LOSSLESS,
    first_frame, parse,
};
use super::render::{FrameData, Header, render};
use crate::error::Error;
use crate::limits::Resolution;

/// A decoded DICOM image: the first frame, ready for preprocessing.
#[derive(Debug)]
pub struct DicomImage {
    /// Grey (8- or 16-bit) for MONOCHROME1/2, RGB for colour files.
    pub image: DynamicImage,
    /// What is shown next to the result.
    pub info: DicomInfo,
    /// Things the user should know, e.g. that only the first frame was used.
    pub warnings: Vec<String>,
    /// Columns and Rows as stored: larger than `image` when a JPEG 2000 frame was decoded
    /// at a reduced resolution level for the model.
    pub size: (u32, u32),
}

/// How the first frame's pixels are encoded, from the transfer syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    /// Uncompressed (implicit, explicit VR little or big endian; deflated data sets).
    Native,
    /// RLE Lossless, by dicom-pixeldata.
    Rle,
    /// JPEG baseline, extended and lossless, by dicom-pixeldata; 12-bit extended by
    /// [`crate::codecs::jpeg12`].
    Jpeg,
    /// JPEG 2000 and HTJ2K, by [`crate::codecs::jpeg2000`].
    Jpeg2000,
    /// JPEG-LS, by [`crate::codecs::jpegls`].
    JpegLs,
}

/// The codec and the name shown to the user for a transfer syntax UID.
fn codec(uid: &str) -> Result<(Codec, String), Error> {
    let named = |codec, name: &str| Ok((codec, name.to_string()));
    match uid {
        DEFLATED_EXPLICIT_VR_LE => named(Codec::Native, "Deflated Explicit VR Little Endian"),
        "1.2.840.10008.1.2.4.90" => named(Codec::Jpeg2000, "JPEG 2000 (lossless)"),
        "1.2.840.10008.1.2.4.91" => named(Codec::Jpeg2000, "JPEG 2000"),
        "1.2.840.10008.1.2.4.201" => named(Codec::Jpeg2000, "HTJ2K (lossless)"),
        "1.2.840.10008.1.2.4.202" => named(Codec::Jpeg2000, "HTJ2K (lossless, RPCL)"),
        "1.2.840.10008.1.2.4.203" => named(Codec::Jpeg2000, "HTJ2K"),
        "1.2.840.10008.1.2.4.80" => named(Codec::JpegLs, "JPEG-LS (lossless)"),
        "1.2.840.10008.1.2.4.81" => named(Codec::JpegLs, "JPEG-LS (near-lossless)"),
        _ => match TransferSyntaxRegistry.get(uid) {
            Some(ts) if ts.can_decode_all() => {
                let codec = if uid == RLE_LOSSLESS {
                    Codec::Rle
                } else if JPEG.contains(&uid) {
                    Codec::Jpeg
                } else {
                    Codec::Native
                };
                Ok((codec, ts.name().to_string()))
            }
            other => Err(unsupported_syntax(uid, other.map(|ts| ts.name()))),
        },
    }
}

/// Decodes the first frame of a DICOM file held in memory (see the module docs), a JPEG
/// 2000 frame at the level the model needs ([`Resolution::ForModel`]).
pub fn decode(bytes: &[u8]) -> Result<DicomImage, Error> {
    decode_at(bytes, Resolution::ForModel)
}

/// [`decode`], with a JPEG 2000 frame decoded at `resolution`.
pub fn decode_at(bytes: &[u8], resolution: Resolution) -> Result<DicomImage, Error> {
    let inflated;
    let meta = reader::read_meta(bytes)?;
    let bytes = if meta.syntax.as_deref() == Some(DEFLATED_EXPLICIT_VR_LE) {
        inflated = reader::inflate(bytes, meta.dataset_start)?;
        &inflated[..]
    } else {
        bytes
    };
    let file = parse(bytes)?;
    let Some(pixel_data) = &file.pixel_data else {
        if file.top.has(&[(0x7FE0, 0x0008), (0x7FE0, 0x0009)]) {
            return Err(Error::DicomUnsupported(
                "floating-point pixel data (parametric maps)".into(),
            ));
        }
        return Err(Error::DicomNoPixelData);
    };
    let (codec, syntax_name) = codec(&file.syntax)?;
    let mut header = Header::read(&file)?;
    header.check_limits()?;
    let size = (u32::from(header.columns), u32::from(header.rows));

    // The first frame, as dicom-pixeldata will decode it.
    let frame = match (pixel_data, codec != Codec::Native) {
        (PixelData::Native(data), false) => {
            let needed = header.frame_bytes();
            let Some(frame) = data.get(..needed) else {
                return Err(corrupt(format!(
                    "truncated: the pixel data holds {} bytes, a frame needs {needed}",
                    data.len()
                )));
            };
            let mut frame = frame.to_vec();
            if header.photometric == "YBR_FULL_422" {
                if header.bits_allocated != 8 || header.columns % 2 == 1 {
                    return Err(Error::DicomUnsupported(
                        "YBR_FULL_422 with 16-bit samples or an odd width".into(),
                    ));
                }
                frame = header.expand_ybr_422(&frame);
            }
            if file.encoding == Encoding::ExplicitBe && header.bits_allocated == 16 {
                for sample in frame.chunks_exact_mut(2) {
                    sample.swap(0, 1);
                }
            }
            FrameData::Native(frame)
        }
        (PixelData::Fragments { offsets, fragments }, true) => {
            let frame = first_frame(fragments, offsets, header.frames);
            match codec {
                Codec::Rle => {
                    check_rle(&frame, &header)?;
                    FrameData::Encapsulated(frame)
                }
                Codec::Jpeg if codecs::is_deep_sequential_jpeg(&frame) => {
                    FrameData::Native(codecs::jpeg12(&frame, &header, &file.syntax, &syntax_name)?)
                }
                Codec::Jpeg => {
                    check_jpeg(&frame, &header, &file.syntax, &syntax_name)?;
                    FrameData::Encapsulated(frame)
                }
                Codec::Jpeg2000 => {
                    FrameData::Native(codecs::jpeg2000(&frame, &mut header, resolution)?)
                }
                Codec::JpegLs => FrameData::Native(codecs::jpegls(&frame, &header)?),
                Codec::Native => {
                    return Err(corrupt(
                        "the pixel data is compressed but its syntax is not",
                    ));
                }
            }
        }
        (_, encapsulated) => {
            return Err(corrupt(format!(
                "the pixel data is {} but the transfer syntax {} says otherwise",
                if encapsulated {
                    "not compressed"
                } else {
                    "compressed"
                },
                syntax_name
            )));
        }
    };
    // Frames decoded here, and big endian samples (turned little endian above), go to
    // dicom-pixeldata as uncompressed explicit VR little endian.
    let syntax = match (&frame, codec) {
        (FrameData::Native(_), _) => EXPLICIT_VR_LE,
        _ => file.syntax.as_str(),
    };
    let object = header.object(syntax, frame)?;
    let pixels = object
        .decode_pixel_data_frame(0)
        .map_err(|e| corrupt(format!("cannot decode the pixel data: {}", error_chain(&e))))?;
    let image = render(&pixels, &header)?;

    let info = DicomInfo {
        modality: file.top.text((0x0008, 0x0060)),
        view_position: file.top.text((0x0018, 0x5101)),
        body_part_examined: file.top.text((0x0018, 0x0015)),
        photometric_interpretation: header.photometric.clone(),
        bits_stored: header.bits_stored,
        frames: header.frames,
        transfer_syntax: syntax_name,
    };
    let mut warnings = file.warnings.clone();
    if header.frames > 1 {
        warnings.push(format!(
            "multi-frame DICOM ({} frames): only the first frame was classified",
            header.frames
        ));
    }
    Ok(DicomImage {
        image,
        info,
        warnings,
        size,
    })
}

pub(super) fn corrupt(message: impl Into<String>) -> Error {
    Error::Corrupt {
        format: "DICOM".into(),
        message: message.into(),
    }
}

pub(super) fn unsupported_syntax(uid: &str, name: Option<&str>) -> Error {
    Error::DicomTransferSyntax {
        name: name.unwrap_or("an unknown encoding").to_string(),
        uid: uid.to_string(),
    }
}

/// An error and its sources, as one line (dicom-rs wraps the useful part).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let next = e.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = e.source();
    }
    text
}
