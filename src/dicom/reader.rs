//! Reading a DICOM file's bytes: the file meta group, then one bounded walk over the
//! data set that records only the [`WANTED`] elements and the pixel data (see the
//! parent module's docs for why this is not dicom-object's reader).

use super::decode::{corrupt, unsupported_syntax};
use crate::error::Error;
use crate::sniff::{MAGIC_AT, is_vr};
use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

/// Deepest nesting of sequences accepted (real files nest a handful of levels).
pub(super) const MAX_DEPTH: usize = 32;
/// Most pixel data fragments accepted (one per frame is usual).
pub(super) const MAX_FRAGMENTS: usize = 1 << 20;
/// A length field meaning "until a delimiter".
pub(super) const UNDEFINED: u32 = 0xFFFF_FFFF;
/// Longest text kept from a descriptive element.
pub(super) const MAX_TEXT: usize = 64;

pub(super) const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";
pub(super) const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";
pub(super) const EXPLICIT_VR_BE: &str = "1.2.840.10008.1.2.2";
pub(super) const DEFLATED_EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1.99";
pub(super) const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";
/// JPEG baseline, extended, lossless and lossless first-order: the JPEG codec's syntaxes.
pub(super) const JPEG: [&str; 4] = [
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
];

pub(super) const PIXEL_DATA: (u16, u16) = (0x7FE0, 0x0010);
pub(super) const SHARED_GROUPS: (u16, u16) = (0x5200, 0x9229);
pub(super) const PER_FRAME_GROUPS: (u16, u16) = (0x5200, 0x9230);
pub(super) const PIXEL_VALUE_TRANSFORMATION: (u16, u16) = (0x0028, 0x9145);
pub(super) const FRAME_VOI_LUT: (u16, u16) = (0x0028, 0x9132);
pub(super) const VOI_LUT_SEQUENCE: (u16, u16) = (0x0028, 0x3010);
pub(super) const LUT_DESCRIPTOR: (u16, u16) = (0x0028, 0x3002);
pub(super) const LUT_DATA: (u16, u16) = (0x0028, 0x3006);
pub(super) const PRESENTATION_LUT_SHAPE: (u16, u16) = (0x2050, 0x0020);

/// The only elements ever read from a file (at any level); everything else is skipped.
pub(super) const WANTED: [(u16, u16); 30] = [
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
    VOI_LUT_SEQUENCE,
    LUT_DESCRIPTOR,
    LUT_DATA,
    PRESENTATION_LUT_SHAPE,
    (0x0002, 0x0010), // Transfer Syntax UID (file meta group)
];

// ---- reading the file ----------------------------------------------------------------------

/// How the data set after the file meta group is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    ImplicitLe,
    ExplicitLe,
    ExplicitBe,
}

/// The pixel data element, still in the file's bytes.
pub(super) enum PixelData<'a> {
    /// Uncompressed samples.
    Native(&'a [u8]),
    /// Encapsulated: the Basic Offset Table's entries and the fragments.
    Fragments {
        offsets: Vec<u32>,
        fragments: Vec<&'a [u8]>,
    },
}

/// The [`WANTED`] elements of one data set: their value bytes, or for a sequence the
/// byte range of its first item's data set.
#[derive(Default)]
pub(super) struct DataSet<'a> {
    pub(super) values: Vec<((u16, u16), &'a [u8])>,
    pub(super) first_items: Vec<((u16, u16), Item)>,
}

/// Where an item's data set lies.
#[derive(Clone, Copy)]
pub(super) struct Item {
    pub(super) start: usize,
    /// The item's end (defined length), or the limit its delimiter lies before.
    pub(super) end: usize,
    pub(super) delimited: bool,
}

impl<'a> DataSet<'a> {
    pub(super) fn get(&self, tag: (u16, u16)) -> Option<&'a [u8]> {
        self.values.iter().find(|(t, _)| *t == tag).map(|&(_, v)| v)
    }

    pub(super) fn has(&self, tags: &[(u16, u16)]) -> bool {
        self.values.iter().any(|(t, _)| tags.contains(t))
    }

    /// A short, printable, trimmed text value (the first of several); `None` when absent
    /// or empty.
    pub(super) fn text(&self, tag: (u16, u16)) -> Option<String> {
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
    pub(super) fn number(&self, tag: (u16, u16)) -> Option<f64> {
        self.text(tag)?
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
    }
}

/// A parsed file: the transfer syntax, the wanted elements, the pixel data, and the first
/// frame's functional groups (enhanced multi-frame objects).
pub(super) struct File<'a> {
    pub(super) syntax: String,
    /// Tolerated deviations from the standard, for the user.
    pub(super) warnings: Vec<String>,
    pub(super) encoding: Encoding,
    pub(super) top: DataSet<'a>,
    pub(super) pixel_data: Option<PixelData<'a>>,
    /// Per-frame functional groups of frame 1, then the shared ones.
    pub(super) groups: Vec<DataSet<'a>>,
    pub(super) bytes: &'a [u8],
}

impl<'a> File<'a> {
    /// An unsigned 16-bit value (US), in the data set's byte order.
    pub(super) fn us(&self, tag: (u16, u16)) -> Option<u16> {
        let b = self.top.get(tag)?.get(..2)?;
        Some(match self.encoding {
            Encoding::ExplicitBe => u16::from_be_bytes([b[0], b[1]]),
            _ => u16::from_le_bytes([b[0], b[1]]),
        })
    }

    /// The first data set of a functional group macro (sequence `macro_tag`) that holds
    /// `tag`, else the top level.
    pub(super) fn grouped(&self, macro_tag: (u16, u16), tag: (u16, u16)) -> Option<DataSet<'a>> {
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

    /// The first item's data set of the top-level sequence `tag`.
    pub(super) fn item_set(&self, tag: (u16, u16)) -> Option<DataSet<'a>> {
        let item = self.top.first_item(tag)?;
        Walker::new(self.bytes).item(item, self.encoding).ok()
    }

    /// 16-bit words of a value, in the data set's byte order.
    pub(super) fn words(&self, value: &[u8]) -> Vec<u16> {
        value
            .chunks_exact(2)
            .map(|b| match self.encoding {
                Encoding::ExplicitBe => u16::from_be_bytes([b[0], b[1]]),
                _ => u16::from_le_bytes([b[0], b[1]]),
            })
            .collect()
    }

    pub(super) fn number(&self, macro_tag: (u16, u16), tag: (u16, u16)) -> Option<f64> {
        match self.grouped(macro_tag, tag) {
            Some(set) => set.number(tag),
            None => self.top.number(tag),
        }
    }

    pub(super) fn text(&self, macro_tag: (u16, u16), tag: (u16, u16)) -> Option<String> {
        match self.grouped(macro_tag, tag) {
            Some(set) => set.text(tag),
            None => self.top.text(tag),
        }
    }
}

impl DataSet<'_> {
    pub(super) fn first_item(&self, tag: (u16, u16)) -> Option<Item> {
        self.first_items
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|&(_, item)| item)
    }
}

/// Where the file meta group said the data set starts, and its transfer syntax.
pub(super) struct Meta {
    /// The Transfer Syntax UID, or `None` for a bare data set without a meta group.
    pub(super) syntax: Option<String>,
    /// Where the data set after the meta group starts.
    pub(super) dataset_start: usize,
}

/// The encoding the bytes of the data element at `pos` are in, little endian: explicit
/// when a value representation follows the tag, else implicit. The most-used toolkits
/// look the same way, because files whose data set disagrees with their declared
/// transfer syntax are common.
fn sniff_encoding(bytes: &[u8], pos: usize) -> Option<Encoding> {
    let vr = bytes.get(pos + 4..pos + 6)?;
    Some(if is_vr([vr[0], vr[1]]) {
        Encoding::ExplicitLe
    } else {
        Encoding::ImplicitLe
    })
}

/// Reads the file meta group (explicit VR little endian), element by element while the
/// group is 0002, so that a missing or wrong group length does not matter.
pub(super) fn read_meta(bytes: &[u8]) -> Result<Meta, Error> {
    let walker = Walker::new(bytes);
    let start = if bytes.get(MAGIC_AT..MAGIC_AT + 4) == Some(b"DICM") {
        MAGIC_AT + 4
    } else if bytes.starts_with(b"DICM") {
        4
    } else {
        0
    };
    let mut pos = start;
    let mut syntax = None;
    while bytes.get(pos..pos + 2) == Some(&[0x02, 0x00]) {
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
    // A meta group, or a `DICM` magic announcing one, must name the transfer syntax.
    if (start > 0 || pos > start) && syntax.is_none() {
        return Err(corrupt("the file meta information has no transfer syntax"));
    }
    Ok(Meta {
        syntax,
        dataset_start: pos,
    })
}

/// The data set of a Deflated Explicit VR Little Endian file inflated (raw deflate, PS3.5
/// A.5), after its meta group: the bytes [`parse`] then reads. The output is bounded by
/// the decode limits, so a deflate bomb stops early.
pub(super) fn inflate(bytes: &[u8], dataset_start: usize) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let limit = crate::limits::MAX_DECODER_ALLOC;
    let mut out = bytes[..dataset_start.min(bytes.len())].to_vec();
    let deflated = bytes.get(dataset_start..).unwrap_or_default();
    flate2::read::DeflateDecoder::new(deflated)
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| corrupt(format!("the deflated data set cannot be inflated: {e}")))?;
    if out.len() as u64 > limit {
        return Err(crate::limits::too_much_memory());
    }
    Ok(out)
}

/// The transfer syntaxes whose pixel data Pneumoscan decodes with its own codecs
/// ([`crate::codecs`]): their data sets are explicit VR little endian.
pub(super) const JPEG_2000: [&str; 5] = [
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.201",
    "1.2.840.10008.1.2.4.202",
    "1.2.840.10008.1.2.4.203",
];
/// JPEG-LS lossless and near-lossless.
pub(super) const JPEG_LS: [&str; 2] = ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"];

/// Reads the file meta group and walks the whole data set, checking every length. A
/// deflated file must have been inflated first ([`inflate`]).
pub(super) fn parse(bytes: &[u8]) -> Result<File<'_>, Error> {
    let walker = Walker::new(bytes);
    let meta = read_meta(bytes)?;
    let pos = meta.dataset_start;
    let sniffed = sniff_encoding(bytes, pos);
    let big_endian_bare = meta.syntax.is_none()
        && bytes.get(pos..pos + 2) == Some(&[0x00, 0x08])
        && sniffed == Some(Encoding::ExplicitLe);
    let syntax = match meta.syntax {
        Some(syntax) => syntax,
        None if big_endian_bare => EXPLICIT_VR_BE.to_string(),
        // A bare data set: its own bytes say how it is encoded.
        None if sniffed == Some(Encoding::ExplicitLe) => EXPLICIT_VR_LE.to_string(),
        None => IMPLICIT_VR_LE.to_string(),
    };
    let declared = match syntax.as_str() {
        IMPLICIT_VR_LE => Encoding::ImplicitLe,
        EXPLICIT_VR_BE => Encoding::ExplicitBe,
        DEFLATED_EXPLICIT_VR_LE => Encoding::ExplicitLe,
        uid if JPEG_2000.contains(&uid) || JPEG_LS.contains(&uid) => Encoding::ExplicitLe,
        uid => match TransferSyntaxRegistry.get(uid) {
            // Every other syntax dicom-rs knows encodes its data set in explicit VR
            // little endian.
            Some(ts) if ts.can_decode_dataset() => Encoding::ExplicitLe,
            other => return Err(unsupported_syntax(uid, other.map(|ts| ts.name()))),
        },
    };
    let mut warnings = Vec::new();
    let encoding = match (declared, sniffed) {
        (Encoding::ExplicitLe, Some(Encoding::ImplicitLe))
        | (Encoding::ImplicitLe, Some(Encoding::ExplicitLe)) => {
            let (found, said) = match declared {
                Encoding::ExplicitLe => ("implicit", "explicit"),
                _ => ("explicit", "implicit"),
            };
            warnings.push(format!(
                "the DICOM data set is encoded in {found} VR although its transfer syntax says {said}; it was read as it is encoded"
            ));
            sniffed.unwrap_or(declared)
        }
        _ => declared,
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
        warnings,
        top,
        pixel_data: walker.pixel_data.take(),
        groups,
        bytes,
    })
}

/// One element's or item's header.
pub(super) struct ElementHeader {
    pub(super) tag: (u16, u16),
    /// The explicit VR, when the encoding has one.
    pub(super) vr: Option<[u8; 2]>,
    pub(super) len: u32,
    /// Bytes the header takes.
    pub(super) size: usize,
}

/// Walks a data set's bytes, checking each length against what is there.
pub(super) struct Walker<'a> {
    pub(super) bytes: &'a [u8],
    /// The top-level pixel data, once met.
    pub(super) pixel_data: Option<PixelData<'a>>,
}

impl<'a> Walker<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Walker {
            bytes,
            pixel_data: None,
        }
    }

    pub(super) fn slice(&self, pos: usize, len: usize) -> Result<&'a [u8], String> {
        pos.checked_add(len)
            .and_then(|end| self.bytes.get(pos..end))
            .ok_or_else(|| format!("truncated at byte {pos}"))
    }

    pub(super) fn u16(&self, pos: usize, encoding: Encoding) -> Result<u16, String> {
        let b = self.slice(pos, 2)?;
        let b = [b[0], b[1]];
        Ok(match encoding {
            Encoding::ExplicitBe => u16::from_be_bytes(b),
            _ => u16::from_le_bytes(b),
        })
    }

    pub(super) fn u32(&self, pos: usize, encoding: Encoding) -> Result<u32, String> {
        let b = self.slice(pos, 4)?;
        let b = [b[0], b[1], b[2], b[3]];
        Ok(match encoding {
            Encoding::ExplicitBe => u32::from_be_bytes(b),
            _ => u32::from_le_bytes(b),
        })
    }

    /// The element header at `pos` (PS3.5 7.1).
    pub(super) fn header(&self, pos: usize, encoding: Encoding) -> Result<ElementHeader, String> {
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
    pub(super) fn value(
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
    pub(super) fn item(&self, item: Item, encoding: Encoding) -> Result<DataSet<'a>, String> {
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
    pub(super) fn dataset(
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
                // A sequence stored as UN with an undefined length holds implicit VR
                // little endian items (PS3.5 6.2.2), whatever the file's encoding.
                let item_encoding = if h.vr == Some(*b"UN") {
                    Encoding::ImplicitLe
                } else {
                    encoding
                };
                pos = self.items(
                    pos,
                    limit,
                    true,
                    item_encoding,
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
                            | VOI_LUT_SEQUENCE
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
    pub(super) fn items(
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
pub(super) fn first_frame(fragments: &[&[u8]], offsets: &[u32], frames: u32) -> Vec<u8> {
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
