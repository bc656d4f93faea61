//! Sequential DCT JPEG with Huffman coding (ISO/IEC 10918-1 baseline and extended,
//! SOF0/SOF1) → [`Samples`], at 8 or 12 bits per sample: what DICOM's JPEG Extended
//! transfer syntax (1.2.840.10008.1.2.4.51, processes 2 and 4) holds for a 12-bit
//! radiograph.
//!
//! Hand-written because no pure-Rust crate decodes 12-bit DCT JPEG (measured with the
//! real 12-bit files of pydicom's test set, `JPEG-lossy.dcm` and `JPGExtended.dcm`, and
//! with DCMTK's `dcmcjpeg --encode-extended` output): jpeg-decoder 0.3.2, which
//! dicom-pixeldata uses, refuses any precision but 8 outside lossless JPEG
//! (`UnsupportedFeature::SamplePrecision(12)`, `src/decoder.rs`), and zune-jpeg 0.5.15,
//! which `image` uses, only parses 8-bit frames ("The library can only parse 8-bit
//! images, the image has 12 bits of precision", `src/headers.rs`). The C libraries that
//! do (libjpeg-turbo, IJG libjpeg 12-bit, as DCMTK and GDCM build them) do not build for
//! `wasm32-unknown-unknown` without a C toolchain.
//!
//! Scope, what chest radiographs are stored in: one component (grey), any sampling
//! factors, 8- or 16-bit quantisation tables, restart intervals, one scan. Progressive,
//! hierarchical, lossless and arithmetic-coded JPEG, colour, and the 16-bit DCT that
//! the standard does not define (GDCM's `gdcmconv --jpeg --lossy` writes one for a
//! 12-bit image; DCMTK refuses it too, and its samples are not level-shifted as a DCT
//! stream's are) are refused as unsupported ([`Jpeg12Error::Unsupported`]). The inverse
//! DCT is a separable one in 32-bit floats (exact to rounding: within one unit of
//! libjpeg's integer one, as GDCM and DCMTK decode), with the level shift of the
//! precision (2048 at 12 bits) and clamping into its range.
//!
//! Everything read from the stream is checked before use: segment lengths against the
//! bytes there, table indices against the tables defined, Huffman codes against their
//! tables, coefficient positions against the block; the size against the decode limits
//! ([`crate::limits`]) before the output is allocated; entropy-coded data that ends
//! before the image does is an error, not zeros.

use super::Samples;
use crate::error::Error;
use crate::limits::{MAX_DECODER_ALLOC, check_size, too_much_memory};

/// Why a stream was not decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jpeg12Error {
    /// A valid JPEG this decoder does not read (progressive, lossless, arithmetic
    /// coding, colour…): what it is, e.g. `progressive coding`.
    Unsupported(String),
    /// The stream is damaged or truncated: what is wrong with it.
    Corrupt(String),
    /// The image is beyond the decode limits ([`crate::limits`]).
    Limits(Error),
}

impl std::fmt::Display for Jpeg12Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Jpeg12Error::Unsupported(what) => write!(f, "JPEG with {what} is not supported"),
            Jpeg12Error::Corrupt(what) => write!(f, "JPEG: {what}"),
            Jpeg12Error::Limits(error) => error.fmt(f),
        }
    }
}

fn corrupt<T>(message: impl Into<String>) -> Result<T, Jpeg12Error> {
    Err(Jpeg12Error::Corrupt(message.into()))
}

fn unsupported<T>(what: impl Into<String>) -> Result<T, Jpeg12Error> {
    Err(Jpeg12Error::Unsupported(what.into()))
}

/// What the frame header (SOF) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bits per sample: 8 or 12.
    pub precision: u8,
    /// Components per pixel.
    pub components: u8,
}

/// The natural (row-major) index of each zig-zag position (ISO/IEC 10918-1 figure A.6).
const ZIGZAG: [u8; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// Bits of the Huffman fast lookup: codes up to this long are found in one step.
const LOOKUP_BITS: u32 = 9;

/// A Huffman table (DHT) ready for decoding (ISO/IEC 10918-1 annex C and F.2.2.3).
#[derive(Clone)]
struct Huffman {
    /// For each `LOOKUP_BITS`-bit prefix: `length << 8 | value`, 0 when the code is longer.
    lookup: Vec<u16>,
    /// Per code length 1..=16: the largest code (−1 when none), the first code, and the
    /// index of its value in `values`.
    max_code: [i32; 17],
    min_code: [i32; 17],
    first_value: [usize; 17],
    values: Vec<u8>,
}

impl Huffman {
    /// Builds a table from the 16 code-length counts and the values of a DHT.
    fn new(counts: &[u8; 16], values: &[u8]) -> Result<Huffman, Jpeg12Error> {
        let mut table = Huffman {
            lookup: vec![0; 1 << LOOKUP_BITS],
            max_code: [-1; 17],
            min_code: [0; 17],
            first_value: [0; 17],
            values: values.to_vec(),
        };
        let mut code: u32 = 0;
        let mut k = 0usize;
        for length in 1..=16u32 {
            let count = usize::from(counts[length as usize - 1]);
            if count > 0 {
                table.first_value[length as usize] = k;
                table.min_code[length as usize] = code as i32;
                for _ in 0..count {
                    if code >= 1 << length {
                        return corrupt("a Huffman table has more codes than its lengths allow");
                    }
                    if length <= LOOKUP_BITS {
                        let shift = LOOKUP_BITS - length;
                        let entry = (length as u16) << 8 | u16::from(values[k]);
                        let start = (code << shift) as usize;
                        table.lookup[start..start + (1 << shift)].fill(entry);
                    }
                    code += 1;
                    k += 1;
                }
                table.max_code[length as usize] = code as i32 - 1;
            }
            code <<= 1;
        }
        Ok(table)
    }
}

/// The entropy-coded data of a scan, bit by bit: stuffed bytes (`FF 00`) undone, stopped
/// at the first marker (a restart marker, or the end). Past a marker or the end of the
/// data it reads zeros and counts them, so that a scan that needs them is known to be
/// truncated.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    /// The next bits, most significant first.
    acc: u64,
    /// How many bits of `acc` are valid.
    count: u32,
    /// The marker that stopped the data (`None` while there is data; 0 at the end of the
    /// bytes).
    marker: Option<u8>,
    /// Zero bits put into `acc` after the marker or the end.
    padding: u32,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], pos: usize) -> Bits<'a> {
        Bits {
            data,
            pos,
            acc: 0,
            count: 0,
            marker: None,
            padding: 0,
        }
    }

    /// Fills `acc` to at least 57 bits.
    #[inline]
    fn refill(&mut self) {
        while self.count <= 56 {
            let byte = if self.marker.is_some() {
                self.padding += 8;
                0
            } else {
                match self.data.get(self.pos) {
                    None => {
                        self.marker = Some(0);
                        self.padding += 8;
                        0
                    }
                    Some(0xFF) => {
                        // Fill bytes may precede a marker.
                        let mut next = self.pos + 1;
                        while self.data.get(next) == Some(&0xFF) {
                            next += 1;
                        }
                        match self.data.get(next) {
                            Some(0) => {
                                self.pos = next + 1;
                                0xFF
                            }
                            other => {
                                self.marker = Some(other.copied().unwrap_or(0));
                                self.pos = next + 1;
                                self.padding += 8;
                                0
                            }
                        }
                    }
                    Some(&b) => {
                        self.pos += 1;
                        b
                    }
                }
            };
            self.acc |= u64::from(byte) << (56 - self.count);
            self.count += 8;
        }
    }

    /// True when the decoder has used bits that are not in the data.
    fn overran(&self) -> bool {
        self.padding > self.count
    }

    /// The next `n` (1..=16) bits, as a number.
    #[inline]
    fn take(&mut self, n: u32) -> u32 {
        if self.count < n {
            self.refill();
        }
        let value = (self.acc >> (64 - n)) as u32;
        self.acc <<= n;
        self.count -= n;
        value
    }

    /// The next Huffman-coded value.
    #[inline]
    fn decode(&mut self, table: &Huffman) -> Result<u8, Jpeg12Error> {
        if self.count < 16 {
            self.refill();
        }
        let entry = table.lookup[(self.acc >> (64 - LOOKUP_BITS)) as usize];
        if entry != 0 {
            let length = u32::from(entry >> 8);
            self.acc <<= length;
            self.count -= length;
            return Ok(entry as u8);
        }
        let peek = (self.acc >> 48) as i32;
        for length in LOOKUP_BITS + 1..=16 {
            let code = peek >> (16 - length);
            if code <= table.max_code[length as usize] {
                let index = table.first_value[length as usize]
                    + (code - table.min_code[length as usize]) as usize;
                self.acc <<= length;
                self.count -= length;
                return match table.values.get(index) {
                    Some(&v) => Ok(v),
                    None => corrupt("a Huffman code has no value"),
                };
            }
        }
        if self.marker.is_some() && self.overran_by(16) {
            return corrupt("the image data ends early");
        }
        corrupt("the image data holds an invalid Huffman code")
    }

    /// True when the next `n` bits reach past the data.
    fn overran_by(&self, n: u32) -> bool {
        self.padding + n > self.count
    }

    /// A coefficient of `size` bits (1..=16), sign-extended (F.2.2.1, EXTEND).
    #[inline]
    fn receive_extend(&mut self, size: u8) -> i32 {
        let size = u32::from(size);
        let value = self.take(size) as i32;
        if value < 1 << (size - 1) {
            value - (1 << size) + 1
        } else {
            value
        }
    }

    /// At a restart interval's end: the bits left in the byte are dropped and the next
    /// marker must be a restart marker (RST0–RST7).
    fn restart(&mut self) -> Result<(), Jpeg12Error> {
        if self.overran() {
            return corrupt("the image data ends early");
        }
        let marker = match self.marker.take() {
            Some(m) => m,
            None => {
                // Skip what is left before the marker (nothing, in a well-formed stream).
                loop {
                    match self.data.get(self.pos) {
                        None => break 0,
                        Some(0xFF) => {
                            let mut next = self.pos + 1;
                            while self.data.get(next) == Some(&0xFF) {
                                next += 1;
                            }
                            match self.data.get(next) {
                                Some(0) => self.pos = next + 1,
                                other => {
                                    self.pos = next + 1;
                                    break other.copied().unwrap_or(0);
                                }
                            }
                        }
                        Some(_) => self.pos += 1,
                    }
                }
            }
        };
        if !(0xD0..=0xD7).contains(&marker) {
            return corrupt("a restart marker is missing");
        }
        self.acc = 0;
        self.count = 0;
        self.padding = 0;
        Ok(())
    }
}

/// A frame component (SOF).
#[derive(Debug, Clone, Copy)]
struct Component {
    id: u8,
    quant: u8,
}

/// The tables and frame read before the scan.
struct Tables {
    quant: [Option<[u16; 64]>; 4],
    dc: [Option<Huffman>; 4],
    ac: [Option<Huffman>; 4],
    restart_interval: u16,
    frame: Option<(FrameHeader, Component)>,
}

/// Reads a big-endian 16-bit number at `pos`.
fn word(data: &[u8], pos: usize) -> Result<u16, Jpeg12Error> {
    match data.get(pos..pos + 2) {
        Some(b) => Ok(u16::from_be_bytes([b[0], b[1]])),
        None => corrupt("the data ends inside a header"),
    }
}

/// What a start-of-frame marker that this decoder does not read means.
fn sof_kind(marker: u8) -> Option<&'static str> {
    match marker {
        0xC0 | 0xC1 => None,
        0xC2 => Some("progressive coding"),
        0xC3 => Some("lossless coding"),
        0xC5..=0xC7 => Some("hierarchical coding"),
        _ => Some("arithmetic coding"),
    }
}

/// Walks the markers up to the first scan. With `header_only`, stops at the frame
/// header. Returns the tables and where the scan header (SOS) starts.
fn read_headers(data: &[u8], header_only: bool) -> Result<(Tables, usize), Jpeg12Error> {
    if data.get(..2) != Some(&[0xFF, 0xD8][..]) {
        return corrupt("not a JPEG stream (no SOI marker)");
    }
    let mut tables = Tables {
        quant: [None; 4],
        dc: [None, None, None, None],
        ac: [None, None, None, None],
        restart_interval: 0,
        frame: None,
    };
    let mut pos = 2;
    loop {
        if data.get(pos).is_none() {
            return corrupt("the data ends before the image");
        }
        if data[pos] != 0xFF {
            return corrupt(format!("damaged at byte {pos}: a marker was expected"));
        }
        while data.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&marker) = data.get(pos + 1) else {
            return corrupt("the data ends before the image");
        };
        pos += 2;
        match marker {
            // Markers without a segment.
            0x01 | 0xD0..=0xD7 => continue,
            0xD8 => return corrupt("a second SOI marker"),
            0xD9 => return corrupt("the stream ends (EOI) before any image data"),
            _ => {}
        }
        let length = usize::from(word(data, pos)?);
        let Some(segment) = data.get(pos + 2..pos + length).filter(|_| length >= 2) else {
            return corrupt(format!("a segment (marker FF{marker:02X}) is cut short"));
        };
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if let Some(kind) = sof_kind(marker) {
                    return unsupported(kind);
                }
                if tables.frame.is_some() {
                    return corrupt("two frame headers");
                }
                let (header, component) = read_frame(segment)?;
                tables.frame = Some((header, component));
                if header_only {
                    return Ok((tables, pos));
                }
            }
            0xC4 => read_huffman(segment, &mut tables)?,
            0xCC => return unsupported("arithmetic coding"),
            0xDB => read_quant(segment, &mut tables.quant)?,
            0xDD => {
                if segment.len() != 2 {
                    return corrupt("a restart interval segment of the wrong length");
                }
                tables.restart_interval = u16::from_be_bytes([segment[0], segment[1]]);
            }
            0xDA => {
                if tables.frame.is_none() {
                    return corrupt("a scan before the frame header");
                }
                return Ok((tables, pos));
            }
            0xDC => return unsupported("a height given after the scan (DNL)"),
            // APPn, COM and the rest: skipped.
            _ => {}
        }
        pos += length;
    }
}

/// The frame header (SOF0/SOF1) segment.
fn read_frame(segment: &[u8]) -> Result<(FrameHeader, Component), Jpeg12Error> {
    if segment.len() < 6 {
        return corrupt("the frame header is cut short");
    }
    let precision = segment[0];
    let height = u32::from(u16::from_be_bytes([segment[1], segment[2]]));
    let width = u32::from(u16::from_be_bytes([segment[3], segment[4]]));
    let components = segment[5];
    if segment.len() != 6 + 3 * usize::from(components) {
        return corrupt("the frame header's length does not match its components");
    }
    let header = FrameHeader {
        width,
        height,
        precision,
        components,
    };
    match precision {
        8 | 12 => {}
        16 => return unsupported("16-bit samples"),
        _ => return corrupt(format!("{precision}-bit samples in a DCT frame")),
    }
    match components {
        1 => {}
        0 => return corrupt("a frame with no components"),
        3 | 4 => return unsupported(format!("colour ({components} components)")),
        n => return unsupported(format!("{n} components")),
    }
    if height == 0 {
        return unsupported("a height given after the scan (DNL)");
    }
    if width == 0 {
        return corrupt("a frame of width 0");
    }
    let sampling = segment[7];
    let (h, v) = (sampling >> 4, sampling & 15);
    if !(1..=4).contains(&h) || !(1..=4).contains(&v) {
        return corrupt(format!("sampling factors {h}x{v}"));
    }
    let quant = segment[8];
    if quant > 3 {
        return corrupt(format!("quantisation table {quant} (0 to 3 exist)"));
    }
    Ok((
        header,
        Component {
            id: segment[6],
            quant,
        },
    ))
}

/// A DQT segment: one or more tables, 8- or 16-bit (Pq 0 or 1), in zig-zag order.
fn read_quant(mut segment: &[u8], quant: &mut [Option<[u16; 64]>; 4]) -> Result<(), Jpeg12Error> {
    while let Some((&pq_tq, rest)) = segment.split_first() {
        let (precision, id) = (pq_tq >> 4, usize::from(pq_tq & 15));
        if id > 3 {
            return corrupt(format!("quantisation table {id} (0 to 3 exist)"));
        }
        let size = match precision {
            0 => 64,
            1 => 128,
            _ => return corrupt(format!("quantisation table precision {precision}")),
        };
        let Some(values) = rest.get(..size) else {
            return corrupt("a quantisation table is cut short");
        };
        let mut table = [0u16; 64];
        for (k, q) in table.iter_mut().enumerate() {
            *q = if precision == 0 {
                u16::from(values[k])
            } else {
                u16::from_be_bytes([values[2 * k], values[2 * k + 1]])
            };
        }
        quant[id] = Some(table);
        segment = &rest[size..];
    }
    Ok(())
}

/// A DHT segment: one or more tables.
fn read_huffman(mut segment: &[u8], tables: &mut Tables) -> Result<(), Jpeg12Error> {
    while let Some((&tc_th, rest)) = segment.split_first() {
        let (class, id) = (tc_th >> 4, usize::from(tc_th & 15));
        if class > 1 || id > 3 {
            return corrupt(format!("Huffman table class {class}, number {id}"));
        }
        let Some(counts) = rest.get(..16) else {
            return corrupt("a Huffman table is cut short");
        };
        let counts: [u8; 16] = counts.try_into().expect("16 bytes");
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if total > 256 {
            return corrupt("a Huffman table with more than 256 codes");
        }
        let Some(values) = rest.get(16..16 + total) else {
            return corrupt("a Huffman table is cut short");
        };
        let table = Huffman::new(&counts, values)?;
        if class == 0 {
            tables.dc[id] = Some(table);
        } else {
            tables.ac[id] = Some(table);
        }
        segment = &rest[16 + total..];
    }
    Ok(())
}

/// The frame header of a JPEG stream, without decoding anything. Refuses what
/// [`decode`] does not read.
pub fn frame_header(data: &[u8]) -> Result<FrameHeader, Jpeg12Error> {
    let (tables, _) = read_headers(data, true)?;
    match tables.frame {
        Some((header, _)) => Ok(header),
        None => corrupt("no frame header"),
    }
}

/// The inverse DCT's basis: `BASIS[x][u] = C(u) / 2 · cos((2x + 1) u π / 16)`.
fn idct_basis() -> [[f32; 8]; 8] {
    let mut basis = [[0f32; 8]; 8];
    for (x, row) in basis.iter_mut().enumerate() {
        for (u, b) in row.iter_mut().enumerate() {
            let c = if u == 0 {
                std::f64::consts::FRAC_1_SQRT_2
            } else {
                1.0
            };
            *b = (c / 2.0 * ((2.0 * x as f64 + 1.0) * u as f64 * std::f64::consts::PI / 16.0).cos())
                as f32;
        }
    }
    basis
}

/// Decodes a single-component sequential DCT JPEG (see the module docs), after checking
/// its size against the decode limits: one byte per sample at 8 bits, else two, little
/// endian.
pub fn decode(data: &[u8]) -> Result<Samples, Jpeg12Error> {
    let (tables, sos) = read_headers(data, false)?;
    let Some((header, component)) = tables.frame else {
        return corrupt("no frame header");
    };
    check_size(header.width, header.height).map_err(Jpeg12Error::Limits)?;
    let sample_bytes: u64 = if header.precision == 8 { 1 } else { 2 };
    if u64::from(header.width) * u64::from(header.height) * sample_bytes > MAX_DECODER_ALLOC {
        return Err(Jpeg12Error::Limits(too_much_memory()));
    }

    // The scan header.
    let length = usize::from(word(data, sos)?);
    let Some(scan) = data.get(sos + 2..sos + length).filter(|_| length >= 2) else {
        return corrupt("the scan header is cut short");
    };
    let Some((&count, rest)) = scan.split_first() else {
        return corrupt("the scan header is cut short");
    };
    if count != 1 || rest.len() != 5 {
        return corrupt(format!(
            "a scan of {count} components in a one-component frame"
        ));
    }
    // Ss, Se, Ah/Al (rest[2..5]) are fixed in sequential mode; encoders that write
    // other values (pydicom's JPEG-lossy.dcm has Se = 0) are read as libjpeg reads
    // them, ignoring them.
    if rest[0] != component.id {
        return corrupt("the scan's component is not the frame's");
    }
    let (dc_id, ac_id) = (usize::from(rest[1] >> 4), usize::from(rest[1] & 15));
    let (Some(Some(dc)), Some(Some(ac))) = (tables.dc.get(dc_id), tables.ac.get(ac_id)) else {
        return corrupt("the scan uses a Huffman table that is not defined");
    };
    let Some(quant) = tables.quant[usize::from(component.quant)] else {
        return corrupt("the frame uses a quantisation table that is not defined");
    };
    let quant: [f32; 64] = quant.map(f32::from);

    let (width, height) = (header.width as usize, header.height as usize);
    let blocks_wide = width.div_ceil(8);
    let blocks_high = height.div_ceil(8);
    let bytes = sample_bytes as usize;
    let mut out = vec![0u8; width * height * bytes];
    let shift = (1u32 << (header.precision - 1)) as f32;
    let max = ((1u32 << header.precision) - 1) as f32;
    let basis = idct_basis();
    let mut bits = Bits::new(data, sos + length);
    let restart = usize::from(tables.restart_interval);
    let mut predictor: i32 = 0;
    let mut coefficients = [0f32; 64];
    let mut pixels = [0f32; 64];
    let mut done = 0usize;
    for by in 0..blocks_high {
        for bx in 0..blocks_wide {
            if restart > 0 && done > 0 && done.is_multiple_of(restart) {
                bits.restart()?;
                predictor = 0;
            }
            done += 1;
            // F.2.2.1: the DC difference, then the AC coefficients in zig-zag order.
            coefficients.fill(0.0);
            let size = bits.decode(dc)?;
            if size > 16 {
                return corrupt(format!("a DC difference of {size} bits"));
            }
            if size > 0 {
                predictor = predictor.wrapping_add(bits.receive_extend(size));
            }
            coefficients[0] = predictor as f32 * quant[0];
            let mut last = 0usize;
            let mut k = 1usize;
            while k < 64 {
                let rs = bits.decode(ac)?;
                let (run, size) = (usize::from(rs >> 4), rs & 15);
                if size == 0 {
                    if run != 15 {
                        break;
                    }
                    k += 16;
                    continue;
                }
                k += run;
                if k > 63 {
                    return corrupt("a block holds more than 64 coefficients");
                }
                let value = bits.receive_extend(size);
                coefficients[usize::from(ZIGZAG[k])] = value as f32 * quant[k];
                last = k;
                k += 1;
            }
            idct(&coefficients, last, &basis, &mut pixels);
            // Level shift, clamp, and write the part of the block inside the image.
            let (x0, y0) = (bx * 8, by * 8);
            let (w, h) = ((width - x0).min(8), (height - y0).min(8));
            for y in 0..h {
                let row = &pixels[y * 8..y * 8 + w];
                let start = ((y0 + y) * width + x0) * bytes;
                let dest = &mut out[start..start + w * bytes];
                if bytes == 1 {
                    for (d, &p) in dest.iter_mut().zip(row) {
                        *d = (p + shift + 0.5).clamp(0.0, max) as u8;
                    }
                } else {
                    for (d, &p) in dest.chunks_exact_mut(2).zip(row) {
                        let v = (p + shift + 0.5).clamp(0.0, max) as u16;
                        d.copy_from_slice(&v.to_le_bytes());
                    }
                }
            }
        }
        if bits.overran() {
            return corrupt("the image data ends early");
        }
    }
    Ok(Samples {
        width: header.width,
        height: header.height,
        bits: header.precision,
        components: 1,
        signed: false,
        data: out,
    })
}

/// The 8×8 inverse DCT of `coefficients` (row-major, dequantised) into `pixels`, before
/// the level shift. `last` is the zig-zag index of the last non-zero coefficient: a
/// block with only its DC term is flat.
#[inline]
fn idct(coefficients: &[f32; 64], last: usize, basis: &[[f32; 8]; 8], pixels: &mut [f32; 64]) {
    if last == 0 {
        pixels.fill(coefficients[0] / 8.0);
        return;
    }
    // Rows: each row v of coefficients → its 8 horizontal samples.
    let mut rows = [0f32; 64];
    for v in 0..8 {
        let input = &coefficients[v * 8..v * 8 + 8];
        if input.iter().all(|&c| c == 0.0) {
            continue;
        }
        for x in 0..8 {
            let b = &basis[x];
            rows[v * 8 + x] = input[0] * b[0]
                + input[1] * b[1]
                + input[2] * b[2]
                + input[3] * b[3]
                + input[4] * b[4]
                + input[5] * b[5]
                + input[6] * b[6]
                + input[7] * b[7];
        }
    }
    // Columns.
    for y in 0..8 {
        let b = &basis[y];
        for x in 0..8 {
            pixels[y * 8 + x] = rows[x] * b[0]
                + rows[8 + x] * b[1]
                + rows[16 + x] * b[2]
                + rows[24 + x] * b[3]
                + rows[32 + x] * b[4]
                + rows[40 + x] * b[5]
                + rows[48 + x] * b[6]
                + rows[56 + x] * b[7];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth grey picture with edges and noise, `max` its largest sample.
    fn picture(width: usize, height: usize, max: u32) -> Vec<u32> {
        let mut state = 0x9E37_79B9u32;
        (0..width * height)
            .map(|i| {
                let (x, y) = ((i % width) as f64, (i / width) as f64);
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let wave = 0.5 + 0.3 * (x / 9.0).sin() * (y / 13.0).cos();
                let edge = if (x - 40.0).abs() < 10.0 { 0.15 } else { 0.0 };
                let noise = f64::from(state % 64) / 64.0 * 0.04;
                ((wave + edge + noise).clamp(0.0, 1.0) * f64::from(max)) as u32
            })
            .collect()
    }

    /// A baseline grey JPEG by jpeg-encoder (an independent 8-bit encoder).
    fn jpeg8(samples: &[u8], width: u16, height: u16, restart: Option<u16>) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
        if let Some(interval) = restart {
            encoder.set_restart_interval(interval);
        }
        encoder
            .encode(samples, width, height, jpeg_encoder::ColorType::Luma)
            .expect("grey JPEG");
        out
    }

    /// The offset of the first segment with `marker`.
    fn find_marker(jpeg: &[u8], marker: u8) -> usize {
        jpeg.windows(2)
            .position(|w| w == [0xFF, marker])
            .expect("marker present")
    }

    /// A test encoder for what no independent tool here writes: 12-bit sequential DCT
    /// with 16-bit quantisation tables (`quant`, zig-zag order) and restart intervals.
    /// Its Huffman tables give every symbol a code of one length (5 bits for DC, 8 for
    /// AC), so that the code is the symbol's index.
    fn encode12(
        samples: &[u32],
        width: usize,
        height: usize,
        quant: &[u16; 64],
        restart: u16,
    ) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        let segment = |out: &mut Vec<u8>, marker: u8, body: &[u8]| {
            out.extend_from_slice(&[0xFF, marker]);
            out.extend_from_slice(&(body.len() as u16 + 2).to_be_bytes());
            out.extend_from_slice(body);
        };
        let mut dqt = vec![0x10];
        for q in quant {
            dqt.extend_from_slice(&q.to_be_bytes());
        }
        segment(&mut out, 0xDB, &dqt);
        let mut sof = vec![12];
        sof.extend_from_slice(&(height as u16).to_be_bytes());
        sof.extend_from_slice(&(width as u16).to_be_bytes());
        sof.extend_from_slice(&[1, 1, 0x11, 0]);
        segment(&mut out, 0xC1, &sof);
        let dc_symbols: Vec<u8> = (0..16).collect();
        let mut ac_symbols = vec![0x00, 0xF0];
        for run in 0..16u8 {
            for size in 1..16u8 {
                ac_symbols.push(run << 4 | size);
            }
        }
        let mut dht = vec![0x00];
        let mut counts = [0u8; 16];
        counts[4] = dc_symbols.len() as u8;
        dht.extend_from_slice(&counts);
        dht.extend_from_slice(&dc_symbols);
        dht.push(0x10);
        let mut counts = [0u8; 16];
        counts[7] = ac_symbols.len() as u8;
        dht.extend_from_slice(&counts);
        dht.extend_from_slice(&ac_symbols);
        segment(&mut out, 0xC4, &dht);
        if restart > 0 {
            segment(&mut out, 0xDD, &restart.to_be_bytes());
        }
        segment(&mut out, 0xDA, &[1, 1, 0x00, 0, 63, 0]);

        let mut writer = BitWriter::default();
        let basis = idct_basis();
        let category = |v: i32| 32 - v.unsigned_abs().leading_zeros();
        let magnitude = |v: i32, s: u32| {
            if v < 0 {
                (v + (1 << s) - 1) as u32
            } else {
                v as u32
            }
        };
        let mut predictor = 0;
        let mut done = 0usize;
        for by in 0..height.div_ceil(8) {
            for bx in 0..width.div_ceil(8) {
                if restart > 0 && done > 0 && done.is_multiple_of(usize::from(restart)) {
                    writer.flush(&mut out);
                    out.extend_from_slice(&[
                        0xFF,
                        0xD0 + ((done / usize::from(restart) - 1) % 8) as u8,
                    ]);
                    predictor = 0;
                }
                done += 1;
                // Forward DCT of the level-shifted block (edges repeated).
                let mut f = [0f64; 64];
                for y in 0..8 {
                    for x in 0..8 {
                        let (sx, sy) = ((bx * 8 + x).min(width - 1), (by * 8 + y).min(height - 1));
                        f[y * 8 + x] = f64::from(samples[sy * width + sx]) - 2048.0;
                    }
                }
                let mut zz = [0i32; 64];
                for (k, &n) in ZIGZAG.iter().enumerate() {
                    let (v, u) = (usize::from(n) / 8, usize::from(n) % 8);
                    let mut sum = 0.0;
                    for y in 0..8 {
                        for x in 0..8 {
                            sum += f64::from(basis[x][u]) * f64::from(basis[y][v]) * f[y * 8 + x];
                        }
                    }
                    zz[k] = (sum / f64::from(quant[k])).round() as i32;
                }
                let diff = zz[0] - predictor;
                predictor = zz[0];
                let s = category(diff);
                writer.put(s, 5, &mut out);
                writer.put(magnitude(diff, s), s, &mut out);
                let mut run = 0;
                for &v in &zz[1..] {
                    if v == 0 {
                        run += 1;
                        continue;
                    }
                    while run > 15 {
                        writer.put(1, 8, &mut out); // ZRL
                        run -= 16;
                    }
                    let s = category(v);
                    let index = ac_symbols
                        .iter()
                        .position(|&c| c == (run << 4 | s as u8))
                        .expect("symbol");
                    writer.put(index as u32, 8, &mut out);
                    writer.put(magnitude(v, s), s, &mut out);
                    run = 0;
                }
                if run > 0 {
                    writer.put(0, 8, &mut out); // EOB
                }
            }
        }
        writer.flush(&mut out);
        out.extend_from_slice(&[0xFF, 0xD9]);
        out
    }

    /// Bits into bytes, most significant first, with byte stuffing.
    #[derive(Default)]
    struct BitWriter {
        acc: u32,
        count: u32,
    }

    impl BitWriter {
        fn put(&mut self, value: u32, bits: u32, out: &mut Vec<u8>) {
            for i in (0..bits).rev() {
                self.acc = self.acc << 1 | (value >> i & 1);
                self.count += 1;
                if self.count == 8 {
                    out.push(self.acc as u8);
                    if self.acc == 0xFF {
                        out.push(0);
                    }
                    self.acc = 0;
                    self.count = 0;
                }
            }
        }

        /// Pads the last byte with ones.
        fn flush(&mut self, out: &mut Vec<u8>) {
            if self.count > 0 {
                let pad = 8 - self.count;
                self.put((1 << pad) - 1, pad, out);
            }
        }
    }

    fn samples16(samples: &Samples) -> Vec<u32> {
        samples
            .data
            .chunks_exact(2)
            .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
            .collect()
    }

    #[test]
    fn an_8_bit_jpeg_decodes_as_zune_jpeg_decodes_it_with_and_without_restarts() {
        let (w, h) = (75usize, 53usize);
        let grey: Vec<u8> = picture(w, h, 255).iter().map(|&v| v as u8).collect();
        for restart in [None, Some(1), Some(4)] {
            let jpeg = jpeg8(&grey, w as u16, h as u16, restart);
            assert_eq!(
                restart.is_some(),
                jpeg.windows(2).any(|m| m == [0xFF, 0xDD])
            );
            let ours = decode(&jpeg).expect("decodes");
            assert_eq!(
                (ours.width, ours.height, ours.bits, ours.components),
                (75, 53, 8, 1)
            );
            let theirs = image::load_from_memory(&jpeg)
                .expect("zune-jpeg")
                .to_luma8();
            let worst = ours
                .data
                .iter()
                .zip(theirs.as_raw())
                .map(|(&a, &b)| a.abs_diff(b))
                .max()
                .expect("samples");
            assert!(worst <= 2, "restart {restart:?}: differs by {worst}");
        }
    }

    #[test]
    fn sampling_factors_of_a_single_component_do_not_change_the_image() {
        let (w, h) = (64usize, 40usize);
        let grey: Vec<u8> = picture(w, h, 255).iter().map(|&v| v as u8).collect();
        let jpeg = jpeg8(&grey, w as u16, h as u16, None);
        let reference = decode(&jpeg).expect("decodes");
        let sof = find_marker(&jpeg, 0xC0);
        for factors in [0x22, 0x12, 0x41] {
            let mut patched = jpeg.clone();
            patched[sof + 11] = factors;
            assert_eq!(
                decode(&patched).expect("decodes"),
                reference,
                "{factors:02X}"
            );
        }
        let mut patched = jpeg.clone();
        patched[sof + 11] = 0x50;
        assert!(matches!(decode(&patched), Err(Jpeg12Error::Corrupt(_))));
    }

    #[test]
    fn a_12_bit_jpeg_with_16_bit_tables_and_restarts_decodes_within_its_quantisation() {
        let (w, h) = (61usize, 45usize);
        let original = picture(w, h, 4095);
        let mut quant = [0u16; 64];
        for (k, q) in quant.iter_mut().enumerate() {
            *q = 4 + k as u16 * 2;
        }
        quant[0] = 300; // beyond 8 bits: needs the 16-bit table
        let plain = decode(&encode12(&original, w, h, &quant, 0)).expect("decodes");
        assert_eq!((plain.width, plain.height, plain.bits), (61, 45, 12));
        assert!(plain.is_complete());
        let decoded = samples16(&plain);
        let errors: Vec<u32> = decoded
            .iter()
            .zip(&original)
            .map(|(&a, &b)| a.abs_diff(b))
            .collect();
        let mean = errors.iter().sum::<u32>() as f64 / errors.len() as f64;
        let worst = errors.iter().max().copied().unwrap_or(0);
        assert!(mean < 40.0 && worst < 400, "mean {mean}, worst {worst}");
        assert!(decoded.iter().all(|&v| v <= 4095));
        for restart in [1, 3, 7, 100] {
            let with = decode(&encode12(&original, w, h, &quant, restart)).expect("decodes");
            assert_eq!(with, plain, "restart interval {restart}");
        }
    }

    #[test]
    fn samples_are_clamped_into_12_bits() {
        // All white and all black, coarsely quantised: the IDCT overshoots both ends.
        let (w, h) = (40usize, 32usize);
        let original: Vec<u32> = (0..w * h)
            .map(|i| if (i % w) / 4 % 2 == 0 { 4095 } else { 0 })
            .collect();
        let quant = [1u16; 64].map(|q| q * 900);
        let decoded = samples16(&decode(&encode12(&original, w, h, &quant, 0)).expect("decodes"));
        assert!(decoded.iter().all(|&v| v <= 4095));
        assert!(decoded.contains(&4095) && decoded.contains(&0));
    }

    #[test]
    fn what_is_not_read_is_refused_as_unsupported() {
        let grey = vec![128u8; 64 * 64];
        let mut out = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
        encoder.set_progressive(true);
        encoder
            .encode(&grey, 64, 64, jpeg_encoder::ColorType::Luma)
            .expect("progressive");
        assert_eq!(
            decode(&out),
            Err(Jpeg12Error::Unsupported("progressive coding".into()))
        );
        let mut colour = Vec::new();
        jpeg_encoder::Encoder::new(&mut colour, 90)
            .encode(&[128u8; 64 * 64 * 3], 64, 64, jpeg_encoder::ColorType::Rgb)
            .expect("colour");
        assert!(
            matches!(decode(&colour), Err(Jpeg12Error::Unsupported(m)) if m.contains("colour"))
        );
        let mut lossless = jpeg8(&grey, 64, 64, None);
        let sof = find_marker(&lossless, 0xC0);
        lossless[sof + 1] = 0xC3;
        assert_eq!(
            decode(&lossless),
            Err(Jpeg12Error::Unsupported("lossless coding".into()))
        );
    }

    #[test]
    fn the_size_is_checked_before_anything_is_allocated() {
        let grey = vec![128u8; 64 * 64];
        let mut jpeg = jpeg8(&grey, 64, 64, None);
        let sof = find_marker(&jpeg, 0xC0);
        jpeg[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
        assert!(matches!(
            decode(&jpeg),
            Err(Jpeg12Error::Limits(Error::TooLarge(_)))
        ));
        assert_eq!(
            frame_header(&jpeg).map(|h| (h.width, h.height)),
            Ok((65535, 65535))
        );
    }

    #[test]
    fn a_truncated_scan_is_an_error_not_zeros() {
        let (w, h) = (64usize, 64usize);
        let original = picture(w, h, 4095);
        let quant = [8u16; 64];
        for restart in [0, 5] {
            let jpeg = encode12(&original, w, h, &quant, restart);
            for keep in [jpeg.len() / 2, jpeg.len() - 40] {
                let result = decode(&jpeg[..keep]);
                assert!(
                    matches!(result, Err(Jpeg12Error::Corrupt(_))),
                    "{keep}: {result:?}"
                );
            }
            // Without EOI, the image is still whole.
            assert!(decode(&jpeg[..jpeg.len() - 2]).is_ok());
        }
    }

    /// Mutated streams (bit flips, overwrites, truncations, insertions) give a result or
    /// an error, never a panic.
    #[test]
    fn mutated_streams_never_panic() {
        let (w, h) = (48usize, 40usize);
        let original = picture(w, h, 4095);
        let mut quant = [0u16; 64];
        for (k, q) in quant.iter_mut().enumerate() {
            *q = 2 + k as u16;
        }
        let grey: Vec<u8> = picture(w, h, 255).iter().map(|&v| v as u8).collect();
        let seeds = [
            encode12(&original, w, h, &quant, 0),
            encode12(&original, w, h, &quant, 3),
            jpeg8(&grey, w as u16, h as u16, Some(2)),
        ];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for seed in &seeds {
            for _ in 0..4000 {
                let mut bytes = seed.clone();
                for _ in 0..1 + next() % 6 {
                    let at = (next() as usize) % bytes.len();
                    match next() % 5 {
                        0 => bytes[at] ^= 1 << (next() % 8),
                        1 => bytes[at] = next() as u8,
                        2 => bytes[at] = [0x00, 0xFF, 0x7F, 0x80][(next() % 4) as usize],
                        3 => bytes.truncate(at.max(1)),
                        _ => bytes.insert(at, next() as u8),
                    }
                }
                if let Ok(samples) = decode(&bytes) {
                    assert!(samples.is_complete());
                }
                let _ = frame_header(&bytes);
            }
        }
    }
}
