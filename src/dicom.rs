//! DICOM Part 10 file → grey image, as a viewer would show it, plus the few non-identifying
//! facts worth showing ([`DicomInfo`]).
//!
//! The pixel codecs are dicom-rs: `dicom-pixeldata` decodes the first frame (uncompressed,
//! RLE Lossless, JPEG baseline, extended 8-bit and lossless) from a `dicom-object`
//! in-memory object. The file itself is read here, by one walk over its bytes, for three
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

use dicom_core::value::{PixelFragmentSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_object::mem::InMemElement;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use dicom_pixeldata::{
    DecodedPixelData, PhotometricInterpretation, PixelDecoder, PlanarConfiguration, VoiLutFunction,
    WindowLevel, WindowLevelTransform,
};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use image::{DynamicImage, ImageBuffer, Luma, Rgb};
use serde::Serialize;

use crate::error::Error;
use crate::input::{MAX_DECODER_ALLOC, check_size};

/// Where the `DICM` magic of a DICOM Part 10 file lies: after the 128-byte preamble.
const MAGIC_AT: usize = 128;
/// Deepest nesting of sequences accepted (real files nest a handful of levels).
const MAX_DEPTH: usize = 32;
/// Most pixel data fragments accepted (one per frame is usual).
const MAX_FRAGMENTS: usize = 1 << 20;
/// A length field meaning "until a delimiter".
const UNDEFINED: u32 = 0xFFFF_FFFF;
/// Longest text kept from a descriptive element.
const MAX_TEXT: usize = 64;

const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";
const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";
const EXPLICIT_VR_BE: &str = "1.2.840.10008.1.2.2";
const DEFLATED_EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1.99";
const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";
/// JPEG baseline, extended, lossless and lossless first-order: the JPEG codec's syntaxes.
const JPEG: [&str; 4] = [
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
];

const PIXEL_DATA: (u16, u16) = (0x7FE0, 0x0010);
const SHARED_GROUPS: (u16, u16) = (0x5200, 0x9229);
const PER_FRAME_GROUPS: (u16, u16) = (0x5200, 0x9230);
const PIXEL_VALUE_TRANSFORMATION: (u16, u16) = (0x0028, 0x9145);
const FRAME_VOI_LUT: (u16, u16) = (0x0028, 0x9132);

/// The only elements ever read from a file (at any level); everything else is skipped.
const WANTED: [(u16, u16); 26] = [
    (0x0008, 0x0060), // Modality
    (0x0018, 0x0015), // Body Part Examined
    (0x0018, 0x5101), // View Position
    (0x0028, 0x0002), // Samples per Pixel
    (0x0028, 0x0004), // Photometric Interpretation
    (0x0028, 0x0006), // Planar Configuration
    (0x0028, 0x0008), // Number of Frames
    (0x0028, 0x0010), // Rows
    (0x0028, 0x0011), // Columns
    (0x0028, 0x0100), // Bits Allocated
    (0x0028, 0x0101), // Bits Stored
    (0x0028, 0x0102), // High Bit
    (0x0028, 0x0103), // Pixel Representation
    (0x0028, 0x1050), // Window Center
    (0x0028, 0x1051), // Window Width
    (0x0028, 0x1052), // Rescale Intercept
    (0x0028, 0x1053), // Rescale Slope
    (0x0028, 0x1056), // VOI LUT Function
    (0x7FE0, 0x0008), // Float Pixel Data
    (0x7FE0, 0x0009), // Double Float Pixel Data
    PIXEL_DATA,
    SHARED_GROUPS,
    PER_FRAME_GROUPS,
    PIXEL_VALUE_TRANSFORMATION,
    FRAME_VOI_LUT,
    (0x0002, 0x0010), // Transfer Syntax UID (file meta group)
];

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

/// A decoded DICOM image: the first frame, ready for preprocessing.
#[derive(Debug)]
pub struct DicomImage {
    /// Grey (8- or 16-bit) for MONOCHROME1/2, RGB for colour files.
    pub image: DynamicImage,
    /// What is shown next to the result.
    pub info: DicomInfo,
    /// Things the user should know, e.g. that only the first frame was used.
    pub warnings: Vec<String>,
}

/// True when `bytes` start like a DICOM Part 10 file: a 128-byte preamble, then `DICM`.
pub fn is_dicom(bytes: &[u8]) -> bool {
    bytes.get(MAGIC_AT..MAGIC_AT + 4) == Some(b"DICM")
}

/// Decodes the first frame of a DICOM Part 10 file held in memory (see the module docs).
pub fn decode(bytes: &[u8]) -> Result<DicomImage, Error> {
    let file = parse(bytes)?;
    let Some(pixel_data) = &file.pixel_data else {
        if file.top.has(&[(0x7FE0, 0x0008), (0x7FE0, 0x0009)]) {
            return Err(Error::DicomUnsupported(
                "floating-point pixel data (parametric maps)".into(),
            ));
        }
        return Err(Error::DicomNoPixelData);
    };
    let ts = match TransferSyntaxRegistry.get(&file.syntax) {
        Some(ts) if ts.can_decode_all() => ts,
        other => return Err(unsupported_syntax(&file.syntax, other.map(|ts| ts.name()))),
    };
    let header = Header::read(&file)?;
    header.check_limits()?;

    // The first frame, as dicom-pixeldata will decode it.
    let frame = match (pixel_data, ts.is_encapsulated_pixel_data()) {
        (PixelData::Native(data), false) => {
            let needed = header.frame_bytes();
            let Some(frame) = data.get(..needed) else {
                return Err(corrupt(format!(
                    "truncated: the pixel data holds {} bytes, a frame needs {needed}",
                    data.len()
                )));
            };
            let mut frame = frame.to_vec();
            if file.encoding == Encoding::ExplicitBe && header.bits_allocated == 16 {
                for sample in frame.chunks_exact_mut(2) {
                    sample.swap(0, 1);
                }
            }
            FrameData::Native(frame)
        }
        (PixelData::Fragments { offsets, fragments }, true) => {
            let frame = first_frame(fragments, offsets, header.frames);
            if file.syntax == RLE_LOSSLESS {
                check_rle(&frame, &header)?;
            } else if JPEG.contains(&file.syntax.as_str()) {
                check_jpeg(&frame, &header, &file.syntax, ts.name())?;
            }
            FrameData::Encapsulated(frame)
        }
        (_, encapsulated) => {
            return Err(corrupt(format!(
                "the pixel data is {} but the transfer syntax {} says otherwise",
                if encapsulated {
                    "not compressed"
                } else {
                    "compressed"
                },
                ts.name()
            )));
        }
    };
    // Big endian samples were turned little endian above.
    let syntax = if file.encoding == Encoding::ExplicitBe {
        EXPLICIT_VR_LE
    } else {
        file.syntax.as_str()
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
        transfer_syntax: ts.name().to_string(),
    };
    let mut warnings = Vec::new();
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
    })
}

fn corrupt(message: impl Into<String>) -> Error {
    Error::Corrupt {
        format: "DICOM".into(),
        message: message.into(),
    }
}

fn unsupported_syntax(uid: &str, name: Option<&str>) -> Error {
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

// ---- reading the file ----------------------------------------------------------------------

/// How the data set after the file meta group is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    ImplicitLe,
    ExplicitLe,
    ExplicitBe,
}

/// The pixel data element, still in the file's bytes.
enum PixelData<'a> {
    /// Uncompressed samples.
    Native(&'a [u8]),
    /// Encapsulated: the Basic Offset Table's entries and the fragments.
    Fragments {
        offsets: Vec<u32>,
        fragments: Vec<&'a [u8]>,
    },
}

/// The first frame's bytes, for the in-memory object dicom-pixeldata decodes.
enum FrameData {
    Native(Vec<u8>),
    Encapsulated(Vec<u8>),
}

/// The [`WANTED`] elements of one data set: their value bytes, or for a sequence the
/// byte range of its first item's data set.
#[derive(Default)]
struct DataSet<'a> {
    values: Vec<((u16, u16), &'a [u8])>,
    first_items: Vec<((u16, u16), Item)>,
}

/// Where an item's data set lies.
#[derive(Clone, Copy)]
struct Item {
    start: usize,
    /// The item's end (defined length), or the limit its delimiter lies before.
    end: usize,
    delimited: bool,
}

impl<'a> DataSet<'a> {
    fn get(&self, tag: (u16, u16)) -> Option<&'a [u8]> {
        self.values.iter().find(|(t, _)| *t == tag).map(|&(_, v)| v)
    }

    fn has(&self, tags: &[(u16, u16)]) -> bool {
        self.values.iter().any(|(t, _)| tags.contains(t))
    }

    /// A short, printable, trimmed text value (the first of several); `None` when absent
    /// or empty.
    fn text(&self, tag: (u16, u16)) -> Option<String> {
        let value = String::from_utf8_lossy(self.get(tag)?);
        let first = value.split('\\').next().unwrap_or_default();
        let clean: String = first
            .trim_matches(|c: char| c.is_whitespace() || c == '\0')
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_TEXT)
            .collect();
        (!clean.is_empty()).then_some(clean)
    }

    /// The first number of a decimal or integer string (DS, IS).
    fn number(&self, tag: (u16, u16)) -> Option<f64> {
        self.text(tag)?
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
    }
}

/// A parsed file: the transfer syntax, the wanted elements, the pixel data, and the first
/// frame's functional groups (enhanced multi-frame objects).
struct File<'a> {
    syntax: String,
    encoding: Encoding,
    top: DataSet<'a>,
    pixel_data: Option<PixelData<'a>>,
    /// Per-frame functional groups of frame 1, then the shared ones.
    groups: Vec<DataSet<'a>>,
    bytes: &'a [u8],
}

impl<'a> File<'a> {
    /// An unsigned 16-bit value (US), in the data set's byte order.
    fn us(&self, tag: (u16, u16)) -> Option<u16> {
        let b = self.top.get(tag)?.get(..2)?;
        Some(match self.encoding {
            Encoding::ExplicitBe => u16::from_be_bytes([b[0], b[1]]),
            _ => u16::from_le_bytes([b[0], b[1]]),
        })
    }

    /// The first data set of a functional group macro (sequence `macro_tag`) that holds
    /// `tag`, else the top level.
    fn grouped(&self, macro_tag: (u16, u16), tag: (u16, u16)) -> Option<DataSet<'a>> {
        for group in &self.groups {
            let Some(item) = group.first_item(macro_tag) else {
                continue;
            };
            let Ok(set) = Walker::new(self.bytes).item(item, self.encoding) else {
                continue;
            };
            if set.get(tag).is_some() {
                return Some(set);
            }
        }
        None
    }

    fn number(&self, macro_tag: (u16, u16), tag: (u16, u16)) -> Option<f64> {
        match self.grouped(macro_tag, tag) {
            Some(set) => set.number(tag),
            None => self.top.number(tag),
        }
    }

    fn text(&self, macro_tag: (u16, u16), tag: (u16, u16)) -> Option<String> {
        match self.grouped(macro_tag, tag) {
            Some(set) => set.text(tag),
            None => self.top.text(tag),
        }
    }
}

impl DataSet<'_> {
    fn first_item(&self, tag: (u16, u16)) -> Option<Item> {
        self.first_items
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|&(_, item)| item)
    }
}

/// Reads the file meta group and walks the whole data set, checking every length.
fn parse(bytes: &[u8]) -> Result<File<'_>, Error> {
    let walker = Walker::new(bytes);
    // File meta group: explicit VR little endian; (0002,0000) first, giving its length.
    let start = MAGIC_AT + 4;
    let first = walker
        .header(start, Encoding::ExplicitLe)
        .map_err(corrupt)?;
    if first.tag != (0x0002, 0x0000) || first.len != 4 {
        return Err(corrupt("the file meta information has no group length"));
    }
    let group_length = walker
        .u32(start + first.size, Encoding::ExplicitLe)
        .map_err(corrupt)?;
    let meta_start = start + first.size + 4;
    let mut pos = meta_start;
    let mut syntax = None;
    while pos - meta_start < group_length as usize {
        let h = walker.header(pos, Encoding::ExplicitLe).map_err(corrupt)?;
        pos += h.size;
        let value = walker
            .value(pos, h.len, bytes.len(), h.tag)
            .map_err(corrupt)?;
        if h.tag == (0x0002, 0x0010) {
            let uid = String::from_utf8_lossy(value);
            syntax = Some(
                uid.trim_end_matches(|c: char| c.is_whitespace() || c == '\0')
                    .to_string(),
            );
        }
        pos += value.len();
    }
    let Some(syntax) = syntax else {
        return Err(corrupt("the file meta information has no transfer syntax"));
    };
    let encoding = match syntax.as_str() {
        IMPLICIT_VR_LE => Encoding::ImplicitLe,
        EXPLICIT_VR_BE => Encoding::ExplicitBe,
        DEFLATED_EXPLICIT_VR_LE => {
            return Err(unsupported_syntax(
                &syntax,
                Some("Deflated Explicit VR Little Endian"),
            ));
        }
        uid => match TransferSyntaxRegistry.get(uid) {
            // Every other syntax dicom-rs knows encodes its data set in explicit VR
            // little endian.
            Some(ts) if ts.can_decode_dataset() => Encoding::ExplicitLe,
            other => return Err(unsupported_syntax(uid, other.map(|ts| ts.name()))),
        },
    };
    let mut walker = walker;
    let mut top = DataSet::default();
    walker
        .dataset(pos, bytes.len(), false, encoding, 0, Some(&mut top))
        .map_err(corrupt)?;
    let mut groups = Vec::new();
    for tag in [PER_FRAME_GROUPS, SHARED_GROUPS] {
        if let Some(item) = top.first_item(tag) {
            groups.push(walker.item(item, encoding).map_err(corrupt)?);
        }
    }
    Ok(File {
        syntax,
        encoding,
        top,
        pixel_data: walker.pixel_data.take(),
        groups,
        bytes,
    })
}

/// One element's or item's header.
struct ElementHeader {
    tag: (u16, u16),
    /// The explicit VR, when the encoding has one.
    vr: Option<[u8; 2]>,
    len: u32,
    /// Bytes the header takes.
    size: usize,
}

/// Walks a data set's bytes, checking each length against what is there.
struct Walker<'a> {
    bytes: &'a [u8],
    /// The top-level pixel data, once met.
    pixel_data: Option<PixelData<'a>>,
}

impl<'a> Walker<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Walker {
            bytes,
            pixel_data: None,
        }
    }

    fn slice(&self, pos: usize, len: usize) -> Result<&'a [u8], String> {
        pos.checked_add(len)
            .and_then(|end| self.bytes.get(pos..end))
            .ok_or_else(|| format!("truncated at byte {pos}"))
    }

    fn u16(&self, pos: usize, encoding: Encoding) -> Result<u16, String> {
        let b = self.slice(pos, 2)?;
        let b = [b[0], b[1]];
        Ok(match encoding {
            Encoding::ExplicitBe => u16::from_be_bytes(b),
            _ => u16::from_le_bytes(b),
        })
    }

    fn u32(&self, pos: usize, encoding: Encoding) -> Result<u32, String> {
        let b = self.slice(pos, 4)?;
        let b = [b[0], b[1], b[2], b[3]];
        Ok(match encoding {
            Encoding::ExplicitBe => u32::from_be_bytes(b),
            _ => u32::from_le_bytes(b),
        })
    }

    /// The element header at `pos` (PS3.5 7.1).
    fn header(&self, pos: usize, encoding: Encoding) -> Result<ElementHeader, String> {
        let tag = (self.u16(pos, encoding)?, self.u16(pos + 2, encoding)?);
        if tag.0 == 0xFFFE || encoding == Encoding::ImplicitLe {
            return Ok(ElementHeader {
                tag,
                vr: None,
                len: self.u32(pos + 4, encoding)?,
                size: 8,
            });
        }
        let vr = self.slice(pos + 4, 2)?;
        let vr = [vr[0], vr[1]];
        // PS3.5 7.1.2: these VRs have a 16-bit length; every other (and an unknown) VR
        // has two reserved bytes and a 32-bit one.
        const SHORT: [&[u8; 2]; 21] = [
            b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT",
            b"PN", b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US",
        ];
        Ok(if SHORT.contains(&&vr) {
            ElementHeader {
                tag,
                vr: Some(vr),
                len: u32::from(self.u16(pos + 6, encoding)?),
                size: 8,
            }
        } else {
            ElementHeader {
                tag,
                vr: Some(vr),
                len: self.u32(pos + 8, encoding)?,
                size: 12,
            }
        })
    }

    /// The value of defined length `len` at `pos`, which must end by `limit`.
    fn value(
        &self,
        pos: usize,
        len: u32,
        limit: usize,
        tag: (u16, u16),
    ) -> Result<&'a [u8], String> {
        if len == UNDEFINED {
            return Err(format!(
                "element ({:04X},{:04X}) has an undefined length where none is allowed",
                tag.0, tag.1
            ));
        }
        let len = len as usize;
        let room = limit.saturating_sub(pos);
        if len > room {
            return Err(format!(
                "truncated: element ({:04X},{:04X}) declares {len} bytes but only {room} follow",
                tag.0, tag.1
            ));
        }
        self.slice(pos, len)
    }

    /// The wanted elements of an item's data set.
    fn item(&self, item: Item, encoding: Encoding) -> Result<DataSet<'a>, String> {
        let mut set = DataSet::default();
        let mut walker = Walker::new(self.bytes);
        walker.dataset(
            item.start,
            item.end,
            item.delimited,
            encoding,
            1,
            Some(&mut set),
        )?;
        Ok(set)
    }

    /// Walks data set elements from `pos` up to `limit`; a `delimited` data set (an item
    /// of undefined length) ends at its item delimiter instead. Records the [`WANTED`]
    /// elements in `record`. Returns the end position.
    fn dataset(
        &mut self,
        mut pos: usize,
        limit: usize,
        delimited: bool,
        encoding: Encoding,
        depth: usize,
        mut record: Option<&mut DataSet<'a>>,
    ) -> Result<usize, String> {
        loop {
            if pos >= limit {
                return if delimited {
                    Err("truncated: an item has no end".into())
                } else {
                    Ok(pos)
                };
            }
            let h = self.header(pos, encoding)?;
            pos += h.size;
            match h.tag {
                (0xFFFE, 0xE00D) if delimited => return Ok(pos),
                // A stray item delimiter outside any sequence is skipped, as dicom-rs does.
                (0xFFFE, 0xE00D) if depth == 0 => continue,
                (0xFFFE, _) => {
                    return Err(format!(
                        "unexpected item tag ({:04X},{:04X}) in a data set",
                        h.tag.0, h.tag.1
                    ));
                }
                _ => {}
            }
            let wanted = record.is_some() && WANTED.contains(&h.tag);
            let top_pixels = depth == 0 && h.tag == PIXEL_DATA;
            if h.len == UNDEFINED {
                // Encapsulated pixel data holds fragments; any other undefined length is
                // a sequence of data set items.
                let mut first = None;
                let mut fragments = top_pixels.then(Vec::new);
                pos = self.items(
                    pos,
                    limit,
                    true,
                    encoding,
                    depth + 1,
                    h.tag == PIXEL_DATA,
                    &mut first,
                    fragments.as_mut(),
                )?;
                if let (Some(record), Some(item), true) = (record.as_deref_mut(), first, wanted) {
                    record.first_items.push((h.tag, item));
                }
                if let Some(mut fragments) = fragments {
                    // The first item is the Basic Offset Table.
                    let table = if fragments.is_empty() {
                        &[][..]
                    } else {
                        fragments.remove(0)
                    };
                    let offsets = table
                        .chunks_exact(4)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect();
                    self.pixel_data = Some(PixelData::Fragments { offsets, fragments });
                }
            } else {
                let value = self.value(pos, h.len, limit, h.tag)?;
                let sequence = match h.vr {
                    Some(vr) => &vr == b"SQ",
                    None => matches!(
                        h.tag,
                        SHARED_GROUPS
                            | PER_FRAME_GROUPS
                            | PIXEL_VALUE_TRANSFORMATION
                            | FRAME_VOI_LUT
                    ),
                };
                if wanted && sequence {
                    // Only wanted sequences are entered; others are skipped whole.
                    let mut first = None;
                    let end = pos + value.len();
                    self.items(
                        pos,
                        end,
                        false,
                        encoding,
                        depth + 1,
                        false,
                        &mut first,
                        None,
                    )?;
                    if let (Some(record), Some(item)) = (record.as_deref_mut(), first) {
                        record.first_items.push((h.tag, item));
                    }
                } else if let (Some(record), true) = (record.as_deref_mut(), wanted) {
                    record.values.push((h.tag, value));
                }
                if top_pixels {
                    self.pixel_data = Some(PixelData::Native(value));
                }
                pos += value.len();
            }
            // Nothing after the top-level pixel data matters (trailing padding included).
            if top_pixels {
                return Ok(pos);
            }
        }
    }

    /// Walks the items of a sequence, or the fragments of encapsulated pixel data
    /// (collected in `fragments` when given); notes where the first item lies.
    #[allow(clippy::too_many_arguments)]
    fn items(
        &mut self,
        mut pos: usize,
        limit: usize,
        delimited: bool,
        encoding: Encoding,
        depth: usize,
        pixel_items: bool,
        first: &mut Option<Item>,
        mut fragments: Option<&mut Vec<&'a [u8]>>,
    ) -> Result<usize, String> {
        if depth > MAX_DEPTH {
            return Err(format!("sequences are nested more than {MAX_DEPTH} deep"));
        }
        loop {
            if pos >= limit {
                // A file may end inside encapsulated pixel data without the closing
                // sequence delimiter (dicom-rs accepts that too).
                return if delimited && !(pixel_items && pos == self.bytes.len()) {
                    Err("truncated: a sequence has no end".into())
                } else {
                    Ok(pos)
                };
            }
            let tag = (self.u16(pos, encoding)?, self.u16(pos + 2, encoding)?);
            let len = self.u32(pos + 4, encoding)?;
            pos += 8;
            match tag {
                (0xFFFE, 0xE0DD) if delimited => return Ok(pos),
                (0xFFFE, 0xE000) if len == UNDEFINED && !pixel_items => {
                    let start = pos;
                    pos = self.dataset(pos, limit, true, encoding, depth, None)?;
                    first.get_or_insert(Item {
                        start,
                        end: limit,
                        delimited: true,
                    });
                }
                (0xFFFE, 0xE000) => {
                    let value = self.value(pos, len, limit, tag)?;
                    if let Some(fragments) = fragments.as_deref_mut() {
                        if fragments.len() >= MAX_FRAGMENTS {
                            return Err(format!(
                                "the pixel data has more than {MAX_FRAGMENTS} fragments"
                            ));
                        }
                        fragments.push(value);
                    } else if !pixel_items {
                        self.dataset(pos, pos + value.len(), false, encoding, depth, None)?;
                        first.get_or_insert(Item {
                            start: pos,
                            end: pos + value.len(),
                            delimited: false,
                        });
                    }
                    pos += value.len();
                }
                _ => {
                    return Err(format!(
                        "expected a sequence item, found ({:04X},{:04X})",
                        tag.0, tag.1
                    ));
                }
            }
        }
    }
}

/// The bytes of the first frame: its fragment, or the fragments the Basic Offset Table
/// gives it, or (no table) all of them (a JPEG decoder stops at the first image's end).
fn first_frame(fragments: &[&[u8]], offsets: &[u32], frames: u32) -> Vec<u8> {
    if fragments.len() == 1 || fragments.len() == frames as usize {
        return fragments.first().map_or_else(Vec::new, |f| f.to_vec());
    }
    let start = offsets.first().map_or(0, |&o| o as usize);
    let end = offsets.get(1).map_or(usize::MAX, |&o| o as usize);
    let mut bytes = Vec::new();
    let mut offset = 0usize;
    for fragment in fragments {
        if offset >= end {
            break;
        }
        if offset >= start {
            bytes.extend_from_slice(fragment);
        }
        offset += fragment.len() + 8;
    }
    bytes
}

// ---- image attributes and limits ---------------------------------------------------------

/// The image attributes that decoding and rendering depend on.
struct Header {
    rows: u16,
    columns: u16,
    samples: u16,
    bits_allocated: u16,
    bits_stored: u16,
    high_bit: u16,
    signed: bool,
    planar: u16,
    frames: u32,
    photometric: String,
    /// Modality LUT: slope and intercept.
    rescale: (f64, f64),
    /// The first VOI window, when there is one.
    window: Option<WindowLevel>,
    function: VoiLutFunction,
}

impl Header {
    fn read(file: &File<'_>) -> Result<Self, Error> {
        let required = |tag: (u16, u16), name: &str| {
            file.us(tag)
                .ok_or_else(|| corrupt(format!("{name} is missing")))
        };
        let rows = required((0x0028, 0x0010), "Rows")?;
        let columns = required((0x0028, 0x0011), "Columns")?;
        let bits_allocated = required((0x0028, 0x0100), "Bits Allocated")?;
        let bits_stored = file.us((0x0028, 0x0101)).unwrap_or(bits_allocated);
        let high_bit = file
            .us((0x0028, 0x0102))
            .unwrap_or(bits_stored.saturating_sub(1));
        let samples = file.us((0x0028, 0x0002)).unwrap_or(1);
        let frames = match file.top.number((0x0028, 0x0008)) {
            Some(n) if (1.0..=f64::from(u32::MAX)).contains(&n) => n as u32,
            _ => 1,
        };
        let photometric = file
            .top
            .text((0x0028, 0x0004))
            .ok_or_else(|| corrupt("Photometric Interpretation is missing"))?;

        if bits_allocated != 8 && bits_allocated != 16 {
            return Err(Error::DicomUnsupported(format!(
                "{bits_allocated} bits allocated per sample (8 and 16 are supported)"
            )));
        }
        if bits_stored == 0 || bits_stored > bits_allocated {
            return Err(corrupt(format!(
                "Bits Stored {bits_stored} does not fit in Bits Allocated {bits_allocated}"
            )));
        }
        let grey = matches!(photometric.as_str(), "MONOCHROME1" | "MONOCHROME2");
        match (samples, grey) {
            (1, true) => {}
            (3, false) if photometric.starts_with("RGB") || photometric.starts_with("YBR") => {}
            _ => {
                return Err(Error::DicomUnsupported(format!(
                    "photometric interpretation {photometric} with {samples} sample(s) per pixel"
                )));
            }
        }

        let transformation = |tag| file.number(PIXEL_VALUE_TRANSFORMATION, tag);
        let rescale = (
            transformation((0x0028, 0x1053)).unwrap_or(1.0),
            transformation((0x0028, 0x1052)).unwrap_or(0.0),
        );
        let voi = |tag| file.number(FRAME_VOI_LUT, tag);
        let window = match (voi((0x0028, 0x1050)), voi((0x0028, 0x1051))) {
            (Some(center), Some(width)) => Some(WindowLevel { center, width }),
            _ => None,
        };
        let function = match file.text(FRAME_VOI_LUT, (0x0028, 0x1056)).as_deref() {
            Some("SIGMOID") => VoiLutFunction::Sigmoid,
            Some("LINEAR_EXACT") => VoiLutFunction::LinearExact,
            _ => VoiLutFunction::Linear,
        };
        Ok(Header {
            rows,
            columns,
            samples,
            bits_allocated,
            bits_stored,
            high_bit,
            signed: file.us((0x0028, 0x0103)) == Some(1),
            planar: file.us((0x0028, 0x0006)).unwrap_or(0),
            frames,
            photometric,
            rescale,
            window,
            function,
        })
    }

    /// Bytes of one decoded frame.
    fn frame_bytes(&self) -> usize {
        usize::from(self.rows)
            * usize::from(self.columns)
            * usize::from(self.samples)
            * usize::from(self.bits_allocated / 8)
    }

    /// The decode limits of [`crate::input`]: pixels per side and in all, and memory (at
    /// most four frames' worth at once: the frame handed to dicom-pixeldata, its decoded
    /// copy, a codec's buffer, the rendered image).
    fn check_limits(&self) -> Result<(), Error> {
        check_size(u32::from(self.columns), u32::from(self.rows))?;
        if 4 * self.frame_bytes() as u64 > MAX_DECODER_ALLOC {
            return Err(Error::TooLarge(format!(
                "decoding it would need more than {} MiB",
                MAX_DECODER_ALLOC >> 20
            )));
        }
        Ok(())
    }

    /// A one-frame dicom-object holding just what dicom-pixeldata needs to decode it.
    fn object(
        &self,
        syntax: &str,
        frame: FrameData,
    ) -> Result<dicom_object::DefaultDicomObject, Error> {
        let us = |tag: Tag, v: u16| -> InMemElement {
            DataElement::new(tag, VR::US, PrimitiveValue::from(v))
        };
        let mut elements = vec![
            us(tags::ROWS, self.rows),
            us(tags::COLUMNS, self.columns),
            us(tags::SAMPLES_PER_PIXEL, self.samples),
            us(tags::PLANAR_CONFIGURATION, self.planar),
            us(tags::BITS_ALLOCATED, self.bits_allocated),
            us(tags::BITS_STORED, self.bits_stored),
            us(tags::HIGH_BIT, self.high_bit),
            us(tags::PIXEL_REPRESENTATION, u16::from(self.signed)),
            DataElement::new(
                tags::PHOTOMETRIC_INTERPRETATION,
                VR::CS,
                PrimitiveValue::from(self.photometric.as_str()),
            ),
            DataElement::new(tags::NUMBER_OF_FRAMES, VR::IS, PrimitiveValue::from("1")),
        ];
        elements.push(match frame {
            FrameData::Native(bytes) => {
                let vr = if self.bits_allocated == 16 {
                    VR::OW
                } else {
                    VR::OB
                };
                DataElement::new(tags::PIXEL_DATA, vr, PrimitiveValue::from(bytes))
            }
            FrameData::Encapsulated(bytes) => DataElement::new(
                tags::PIXEL_DATA,
                VR::OB,
                Value::from(PixelFragmentSequence::new(Vec::<u32>::new(), vec![bytes])),
            ),
        });
        InMemDicomObject::from_element_iter(elements)
            .with_meta(
                FileMetaTableBuilder::new()
                    .transfer_syntax(syntax)
                    .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.7")
                    .media_storage_sop_instance_uid("2.25.1"),
            )
            .map_err(|e| corrupt(e.to_string()))
    }
}

// ---- codec guards ---------------------------------------------------------------------------

/// RLE Lossless (PS3.5 annex G): a 64-byte header with one segment per byte of each
/// sample, each segment PackBits-decoding to Rows × Columns bytes. dicom-rs's decoder
/// panics on a short segment and decodes a long one whole, so both are refused.
fn check_rle(frame: &[u8], header: &Header) -> Result<(), Error> {
    let word = |i: usize| -> Option<usize> {
        let b = frame.get(4 * i..4 * i + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let count = word(0).ok_or_else(|| corrupt("the RLE header is truncated"))?;
    let expected = usize::from(header.samples) * usize::from(header.bits_allocated / 8);
    if frame.len() < 64 || count != expected {
        return Err(corrupt(format!(
            "the RLE header lists {count} segments, {expected} expected"
        )));
    }
    let pixels = usize::from(header.rows) * usize::from(header.columns);
    for i in 0..count {
        let start = word(i + 1).unwrap_or(usize::MAX);
        let end = if i + 1 < count {
            word(i + 2).unwrap_or(usize::MAX)
        } else {
            frame.len()
        };
        let segment = frame
            .get(start..end)
            .filter(|_| start >= 64)
            .ok_or_else(|| corrupt(format!("RLE segment {} lies outside the frame", i + 1)))?;
        let decoded = packbits_len(segment);
        // Encoders may pad a segment; anything far longer is a decompression bomb.
        if decoded < pixels || decoded > 2 * pixels + 1024 {
            return Err(corrupt(format!(
                "RLE segment {} decodes to {decoded} bytes, {pixels} expected",
                i + 1
            )));
        }
    }
    Ok(())
}

/// How many bytes a PackBits segment decodes to, without decoding it.
fn packbits_len(segment: &[u8]) -> usize {
    let (mut i, mut len) = (0usize, 0usize);
    while i < segment.len() {
        let n = segment[i] as i8;
        i += 1;
        if n >= 0 {
            let run = usize::from(n as u8) + 1;
            len += run.min(segment.len() - i);
            i += run;
        } else if n != -128 {
            if i < segment.len() {
                len += (1 - isize::from(n)) as usize;
            }
            i += 1;
        }
    }
    len
}

/// The JPEG codecs: the first frame's own header (SOF) must describe what the DICOM
/// header says (size, components, sample size), or dicom-rs's decoder panics or
/// allocates for a picture far larger than the limits.
fn check_jpeg(frame: &[u8], header: &Header, uid: &str, name: &str) -> Result<(), Error> {
    let sof = jpeg_frame_header(frame).map_err(corrupt)?;
    if sof.arithmetic || (!sof.lossless && sof.precision != 8) {
        let what = if sof.arithmetic {
            "arithmetic coding".to_string()
        } else {
            format!("{}-bit samples", sof.precision)
        };
        return Err(unsupported_syntax(
            uid,
            Some(&format!("{name} with {what}")),
        ));
    }
    let sample_bytes = if sof.precision <= 8 { 1 } else { 2 };
    if sof.width != header.columns
        || sof.height != header.rows
        || u16::from(sof.components) != header.samples
        || sample_bytes != header.bits_allocated / 8
    {
        return Err(corrupt(format!(
            "the JPEG frame is {}x{} with {} component(s) of {} bits, the DICOM header says {}x{} with {} sample(s) of {} bits",
            sof.width,
            sof.height,
            sof.components,
            sof.precision,
            header.columns,
            header.rows,
            header.samples,
            header.bits_allocated
        )));
    }
    Ok(())
}

/// The facts of a JPEG frame header (SOFn).
struct JpegFrame {
    precision: u8,
    height: u16,
    width: u16,
    components: u8,
    lossless: bool,
    arithmetic: bool,
}

/// Finds the first frame header of a JPEG stream.
fn jpeg_frame_header(data: &[u8]) -> Result<JpegFrame, String> {
    let byte = |i: usize| data.get(i).copied().ok_or("the JPEG data is truncated");
    let word = |i: usize| Ok::<u16, &str>(u16::from_be_bytes([byte(i)?, byte(i + 1)?]));
    if data.get(..2) != Some(&[0xFF, 0xD8][..]) {
        return Err("the pixel data is not a JPEG stream".into());
    }
    let mut pos = 2;
    loop {
        if byte(pos)? != 0xFF {
            return Err(format!("the JPEG data is damaged at byte {pos}"));
        }
        // Fill bytes may precede a marker.
        while byte(pos + 1)? == 0xFF {
            pos += 1;
        }
        let marker = byte(pos + 1)?;
        pos += 2;
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                return Ok(JpegFrame {
                    precision: byte(pos + 2)?,
                    height: word(pos + 3)?,
                    width: word(pos + 5)?,
                    components: byte(pos + 7)?,
                    lossless: matches!(marker, 0xC3 | 0xC7 | 0xCB | 0xCF),
                    arithmetic: marker >= 0xC9,
                });
            }
            0x01 | 0xD0..=0xD8 => {}
            0xD9 | 0xDA => return Err("the JPEG data has no frame header".into()),
            _ => pos += usize::from(word(pos)?),
        }
    }
}

// ---- rendering ----------------------------------------------------------------------------

/// The decoded first frame → the image a viewer would show.
fn render(pixels: &DecodedPixelData<'_>, header: &Header) -> Result<DynamicImage, Error> {
    let (width, height) = (u32::from(header.columns), u32::from(header.rows));
    let data = pixels
        .frame_data(0)
        .map_err(|_| corrupt("the pixel data is shorter than Rows × Columns"))?;
    let wide = header.bits_allocated == 16;
    let sample = |i: usize| -> u16 {
        if wide {
            u16::from_le_bytes([data[2 * i], data[2 * i + 1]])
        } else {
            u16::from(data[i])
        }
    };
    let count = width as usize * height as usize;
    let buffer_error = || corrupt("the pixel data does not match Rows × Columns");

    if header.samples == 3 {
        // Colour: shown as stored (the gate refuses colour images in plain words). The
        // JPEG codec turns YBR into RGB; YBR stored as such is not converted.
        if *pixels.photometric_interpretation() != PhotometricInterpretation::Rgb {
            return Err(Error::DicomUnsupported(format!(
                "colour pixels in {}",
                pixels.photometric_interpretation()
            )));
        }
        let planar = pixels.planar_configuration() == PlanarConfiguration::PixelFirst;
        let index = |p: usize, c: usize| if planar { c * count + p } else { 3 * p + c };
        return Ok(if wide {
            let values: Vec<u16> = (0..count * 3)
                .map(|i| sample(index(i / 3, i % 3)))
                .collect();
            DynamicImage::ImageRgb16(
                ImageBuffer::<Rgb<u16>, _>::from_raw(width, height, values)
                    .ok_or_else(buffer_error)?,
            )
        } else {
            let values: Vec<u8> = (0..count * 3).map(|i| data[index(i / 3, i % 3)]).collect();
            DynamicImage::ImageRgb8(
                ImageBuffer::<Rgb<u8>, _>::from_raw(width, height, values)
                    .ok_or_else(buffer_error)?,
            )
        });
    }

    let code = stored_bits(header);
    let lut = grey_lut(header, (0..count).map(|i| code(sample(i))));
    Ok(if header.bits_stored > 8 {
        let values: Vec<u16> = (0..count).map(|i| lut[code(sample(i))]).collect();
        DynamicImage::ImageLuma16(
            ImageBuffer::<Luma<u16>, _>::from_raw(width, height, values)
                .ok_or_else(buffer_error)?,
        )
    } else {
        let values: Vec<u8> = (0..count)
            .map(|i| (lut[code(sample(i))] >> 8) as u8)
            .collect();
        DynamicImage::ImageLuma8(
            ImageBuffer::<Luma<u8>, _>::from_raw(width, height, values).ok_or_else(buffer_error)?,
        )
    })
}

/// Sample → its stored bits (Bits Stored wide, ending at High Bit), as an index.
fn stored_bits(header: &Header) -> impl Fn(u16) -> usize + use<> {
    let stored = u32::from(header.bits_stored.clamp(1, 16));
    let high_bit = u32::from(header.high_bit);
    // A High Bit that contradicts Bits Stored is taken as the usual Bits Stored - 1.
    let shift = if high_bit + 1 >= stored && high_bit < u32::from(header.bits_allocated) {
        high_bit + 1 - stored
    } else {
        0
    };
    let mask = (1u32 << stored) - 1;
    move |v: u16| ((u32::from(v) >> shift) & mask) as usize
}

/// The output value (0..=65535; its top byte for 8-bit output) of every possible stored
/// value: Modality LUT, then the first VOI window or the min–max of the rescaled values
/// in `codes` (the frame's stored values), then MONOCHROME1 inversion.
fn grey_lut(header: &Header, codes: impl Iterator<Item = usize>) -> Vec<u16> {
    let count = 1usize << header.bits_stored.clamp(1, 16);
    let (slope, intercept) = header.rescale;
    let value = |code: usize| -> f64 {
        let raw = if header.signed && code >= count / 2 {
            code as f64 - count as f64
        } else {
            code as f64
        };
        raw * slope + intercept
    };
    let max = f64::from(u16::MAX);

    let mut lut: Vec<f64> = match header.window {
        Some(window) => {
            let transform = WindowLevelTransform::new(header.function, window);
            (0..count).map(|c| transform.apply(value(c), max)).collect()
        }
        None => {
            // No window: stretch the rescaled values present in the frame.
            let mut seen = vec![false; count];
            for code in codes {
                seen[code] = true;
            }
            let (lo, hi) = (0..count)
                .filter(|&c| seen[c])
                .map(value)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                });
            let span = hi - lo;
            (0..count)
                .map(|c| {
                    if span > 0.0 {
                        (value(c) - lo) / span * max
                    } else {
                        0.0
                    }
                })
                .collect()
        }
    };
    if header.photometric == "MONOCHROME1" {
        for v in &mut lut {
            *v = max - *v;
        }
    }
    lut.into_iter()
        .map(|v| v.round().clamp(0.0, max) as u16)
        .collect()
}
