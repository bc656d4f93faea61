//! The bad-input corpus: every awkward, damaged or hostile file the front ends must
//! survive, made here in code (nothing of it is committed). One list, run through the
//! library and the CLI (`tests/bad_input.rs`), the HTTP server (`tests/bad_input.rs`,
//! `tests/abuse.rs`) and the browser (`e2e/bad-input.test.js`, from the files that
//! `tests/bad_input.rs` writes when `PNEUMOSCAN_WRITE_FIXTURES=DIR` is set).
//!
//! Valid files in awkward encodings are made from one real chest X-ray when the data set
//! is there (then they must be classified, status `ok`), from a synthetic picture
//! otherwise (then the gate may refuse them). Invalid files must get status `error` with
//! a specific message, never a panic, a 5xx or more than 1 GiB of memory.

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageFormat, Luma, Rgba, RgbaImage};

/// What every front end must answer for a corpus file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A chest X-ray in an awkward encoding: classified (`ok`) when the corpus was made
    /// from a real X-ray, `ok` or `refused` when from the synthetic picture. `warning`:
    /// text one of the prediction's warnings must contain.
    XRay { warning: Option<&'static str> },
    /// A valid image that is no X-ray (e.g. blank): decoded and put through the model,
    /// then `ok` or `refused` by the gate, never `error`.
    Decodes,
    /// Status `error` with a message containing `message`; the server answers `http`.
    Error { message: &'static str, http: u16 },
}

/// One corpus file.
#[derive(Debug, Clone)]
pub struct Case {
    /// File name, with the extension a user's file would have.
    pub name: &'static str,
    pub bytes: Vec<u8>,
    pub expect: Expect,
}

/// The corpus and what it was made from.
#[derive(Debug)]
pub struct Corpus {
    pub cases: Vec<Case>,
    /// True when the X-ray cases were made from a real X-ray of the data set.
    pub from_xray: bool,
}

impl Corpus {
    /// The statuses a front end may answer for `case`.
    pub fn statuses(&self, case: &Case) -> &'static [&'static str] {
        match case.expect {
            Expect::XRay { .. } if self.from_xray => &["ok"],
            Expect::XRay { .. } | Expect::Decodes => &["ok", "refused"],
            Expect::Error { .. } => &["error"],
        }
    }
}

const TOO_LARGE: &str = "image too large: 60000x60000 pixels";

/// Builds the whole corpus (a few seconds: it includes a 9000 x 7000 JPEG and a PNG
/// that inflates to 512 MiB).
pub fn corpus() -> Corpus {
    let (xray, from_xray) = source();
    let grey = DynamicImage::ImageLuma8(xray.clone());
    let jpeg = encode(&grey, ImageFormat::Jpeg);
    let png = encode(&grey, ImageFormat::Png);
    let ok = Expect::XRay { warning: None };
    let error = |message, http| Expect::Error { message, http };
    let mut cases = vec![
        // Not images at all.
        case("empty.jpg", Vec::new(), error("the file is empty", 415)),
        case(
            "notes.txt",
            b"Patient notes: cough for three days, no fever.\n".to_vec(),
            error("this is a text file", 415),
        ),
        case(
            "page.html",
            b"<!DOCTYPE html>\n<html><head><title>X-ray</title></head><body><img src=x.jpg></body></html>\n"
                .to_vec(),
            error("this is an HTML page", 415),
        ),
        case("report.pdf", pdf(), error("this is a PDF document", 415)),
        case(
            "drawing.svg",
            b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\"><rect width=\"64\" height=\"64\"/></svg>\n"
                .to_vec(),
            error("this is an SVG drawing", 415),
        ),
        case(
            "random.bin",
            random_bytes(4096, 0x5EED_F00D),
            error("not a known image format", 415),
        ),
        // Damaged PNG and JPEG.
        case(
            "truncated-half.png",
            png[..png.len() / 2].to_vec(),
            error("the PNG file is damaged or truncated", 400),
        ),
        case(
            "corrupt-idat.png",
            corrupt_png_data(&png),
            error("the PNG file is damaged or truncated", 400),
        ),
        case(
            "header-only.jpeg",
            jpeg_headers_only(&jpeg),
            error("the JPEG file is damaged or truncated", 400),
        ),
        case(
            "truncated-start.jpeg",
            truncate_scan(&jpeg, 0.25),
            error("the JPEG file is damaged or truncated", 400),
        ),
        case(
            "truncated-end.jpeg",
            truncate_scan(&jpeg, 0.97),
            Expect::XRay {
                warning: Some("the file looks truncated"),
            },
        ),
        case(
            "truncated-progressive.jpeg",
            truncate_scan(&progressive_jpeg(&xray), 0.5),
            Expect::XRay {
                warning: Some("the file looks truncated"),
            },
        ),
        // Decompression bombs: headers that claim 60000 x 60000 pixels, and a valid PNG
        // that inflates to 512 MiB (the most the decoder may allocate).
        case(
            "bomb-60000.png",
            png_header_only(60_000, 60_000),
            error(TOO_LARGE, 413),
        ),
        case("bomb-60000.jpeg", jpeg_bomb(&jpeg), error(TOO_LARGE, 413)),
        case("bomb-60000.gif", gif_bomb(), error(TOO_LARGE, 413)),
        case("bomb-60000.tiff", tiff_bomb(), error(TOO_LARGE, 413)),
        case("bomb-60000.bmp", bmp_bomb(), error(TOO_LARGE, 413)),
        case("bomb-60000.webp", webp_bomb(), error(TOO_LARGE, 413)),
        case(
            "bomb-8192x8192-rgba16.png",
            png_zeros(8192, 8192, 16, 6),
            Expect::Decodes,
        ),
        // Within the pixel limits, over the decoder's memory limit: 64 megapixels of
        // float RGBA (1 GiB), and a progressive CMYK JPEG (its coefficients and pixels).
        case(
            "bomb-8192x8192-rgba-float.tiff",
            tiff_resized(
                &encode(
                    &DynamicImage::ImageRgba32F(grey.to_rgba32f()),
                    ImageFormat::Tiff,
                ),
                8192,
                8192,
            ),
            error("MiB to decode", 413),
        ),
        case(
            "bomb-8192x8192-progressive-cmyk.jpeg",
            jpeg_resized(&cmyk_jpeg_with(&xray, true), 8192, 8192),
            error("MiB to decode", 413),
        ),
        // Too small.
        case(
            "tiny-1x1.png",
            encode(&one_pixel(), ImageFormat::Png),
            error("image too small: 1x1 pixels", 400),
        ),
        case(
            "tiny-1x1.gif",
            encode(&one_pixel(), ImageFormat::Gif),
            error("image too small: 1x1 pixels", 400),
        ),
        case(
            "tiny-1x1.jpeg",
            encode(&one_pixel(), ImageFormat::Jpeg),
            error("image too small: 1x1 pixels", 400),
        ),
        // Valid, awkward encodings of the X-ray.
        case("baseline.jpeg", jpeg.clone(), ok),
        case("jpeg-named.png", jpeg.clone(), ok),
        case(
            "grey16.png",
            encode(&DynamicImage::ImageLuma16(grey.to_luma16()), ImageFormat::Png),
            ok,
        ),
        case("rgba.png", encode(&rgba(&xray), ImageFormat::Png), ok),
        case("palette.png", palette_png(&xray), ok),
        case("cmyk.jpeg", cmyk_jpeg(&xray), ok),
        case("progressive.jpeg", progressive_jpeg(&xray), ok),
        case(
            "exif-rotated.jpeg",
            with_exif_orientation(&encode(&grey.rotate270(), ImageFormat::Jpeg), 6),
            Expect::XRay {
                warning: Some("EXIF orientation"),
            },
        ),
        case("image.gif", encode(&grey, ImageFormat::Gif), ok),
        case("image.bmp", encode(&grey.to_rgb8().into(), ImageFormat::Bmp), ok),
        case("image.tiff", encode(&grey, ImageFormat::Tiff), ok),
        case(
            "image.webp",
            encode(&grey.to_rgb8().into(), ImageFormat::WebP),
            ok,
        ),
        case(
            "huge-9000x7000.jpeg",
            grey_jpeg(&upscale(&xray, 9000, 7000), 85),
            ok,
        ),
    ];
    cases.shrink_to_fit();
    Corpus { cases, from_xray }
}

fn case(name: &'static str, bytes: Vec<u8>, expect: Expect) -> Case {
    Case {
        name,
        bytes,
        expect,
    }
}

/// A real chest X-ray of the data set, 512 pixels wide; the synthetic picture of
/// `tests/pipeline.rs` when the data set is absent.
pub fn source() -> (GrayImage, bool) {
    if let Some(data) = super::data_dir("the bad-input corpus") {
        let path = data.join("originals/NORMAL/IM-0199-0001.jpeg");
        let image = image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let height = image.height() * 512 / image.width();
        let small = image.resize_exact(512, height, image::imageops::FilterType::Triangle);
        return (small.to_luma8(), true);
    }
    (picture(512, 400), false)
}

/// A smooth synthetic grey picture.
pub fn picture(width: u32, height: u32) -> GrayImage {
    GrayImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let v = 0.5 + 0.3 * (fx * 9.0).sin() * (fy * 7.0).cos() - 0.2 * (fx - 0.5).abs();
        Luma([(v.clamp(0.0, 1.0) * 255.0) as u8])
    })
}

pub fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    if format == ImageFormat::Gif {
        // The GIF encoder takes colour only.
        DynamicImage::ImageRgba8(image.to_rgba8()).write_to(&mut bytes, format)
    } else {
        image.write_to(&mut bytes, format)
    }
    .expect("encodes");
    bytes.into_inner()
}

fn one_pixel() -> DynamicImage {
    DynamicImage::ImageLuma8(GrayImage::from_pixel(1, 1, Luma([90])))
}

/// RGBA with a varying alpha (which is ignored).
fn rgba(grey: &GrayImage) -> DynamicImage {
    DynamicImage::ImageRgba8(RgbaImage::from_fn(grey.width(), grey.height(), |x, y| {
        let v = grey.get_pixel(x, y)[0];
        Rgba([v, v, v, ((x + y) % 256) as u8])
    }))
}

/// Deterministic noise (xorshift64), starting with no known magic number.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut bytes: Vec<u8> = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    if let Some(first) = bytes.first_mut() {
        *first = 0x9F;
    }
    bytes
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
        .to_vec()
}

// ---- PNG ---------------------------------------------------------------------------

pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in bytes {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

/// A PNG made of `chunks` (type and data), with the signature and CRCs.
pub fn png_from_chunks(chunks: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in chunks {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    png
}

fn ihdr(width: u32, height: u32, bit_depth: u8, colour_type: u8) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[bit_depth, colour_type, 0, 0, 0]);
    ihdr
}

/// A PNG whose header claims `width` x `height`, with an empty IDAT.
pub fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    png_from_chunks(&[
        (b"IHDR", ihdr(width, height, 8, 0)),
        (b"IDAT", Vec::new()),
        (b"IEND", Vec::new()),
    ])
}

/// zlib with stored (uncompressed) deflate blocks.
fn zlib_stored(raw: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    if raw.is_empty() {
        out.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
    }
    let mut blocks = raw.chunks(65_535).peekable();
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(raw).to_be_bytes());
    out
}

/// zlib of `n` zero bytes, about 1000 times smaller: one fixed-Huffman deflate block of a
/// literal 0 and then back-references of length 258 at distance 1.
fn zlib_zeros(n: u64) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        len: u32,
    }
    impl Bits {
        /// Appends the `len` low bits of `value`, least significant first.
        fn put(&mut self, value: u64, len: u32) {
            self.acc |= value << self.len;
            self.len += len;
            while self.len >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.len -= 8;
            }
        }
        /// Appends a Huffman code, most significant bit first.
        fn code(&mut self, code: u64, len: u32) {
            let reversed = (0..len).fold(0, |r, i| r | (((code >> i) & 1) << (len - 1 - i)));
            self.put(reversed, len);
        }
    }
    let mut bits = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        len: 0,
    };
    bits.put(1, 1); // BFINAL
    bits.put(1, 2); // BTYPE 01: fixed Huffman codes
    let literal_zero = |bits: &mut Bits| bits.code(0b0011_0000, 8);
    if n > 0 {
        literal_zero(&mut bits);
        let rest = n - 1;
        // Length 258 is symbol 285 (8-bit code 11000101); distance 1 is code 0 (5 bits).
        // Huffman codes go most significant bit first: reversed, they are 10100011.
        let one_match = 0b1010_0011; // then the 5 zero bits of the distance
        for _ in 0..rest / 258 {
            bits.put(one_match, 13);
        }
        for _ in 0..rest % 258 {
            literal_zero(&mut bits);
        }
    }
    bits.code(0, 7); // end of block (256)
    if bits.len > 0 {
        bits.put(0, 8 - bits.len);
    }
    let adler = ((n % 65_521) << 16) as u32 | 1;
    bits.out.extend_from_slice(&adler.to_be_bytes());
    bits.out
}

/// A valid all-black PNG of `width` x `height` that is tiny on disk (a decompression
/// bomb within the size limits).
pub fn png_zeros(width: u32, height: u32, bit_depth: u8, colour_type: u8) -> Vec<u8> {
    let channels: u64 = match colour_type {
        0 => 1,
        2 => 3,
        4 => 2,
        6 => 4,
        _ => panic!("colour type {colour_type}"),
    };
    let row = 1 + u64::from(width) * channels * u64::from(bit_depth) / 8;
    png_from_chunks(&[
        (b"IHDR", ihdr(width, height, bit_depth, colour_type)),
        (b"IDAT", zlib_zeros(row * u64::from(height))),
        (b"IEND", Vec::new()),
    ])
}

/// An 8-bit palette PNG (colour type 3) of a grey image: 256 grey palette entries.
fn palette_png(grey: &GrayImage) -> Vec<u8> {
    let palette: Vec<u8> = (0..=255u8).flat_map(|v| [v, v, v]).collect();
    let mut raw = Vec::new();
    for row in grey.rows() {
        raw.push(0); // filter: none
        raw.extend(row.map(|p| p[0]));
    }
    png_from_chunks(&[
        (b"IHDR", ihdr(grey.width(), grey.height(), 8, 3)),
        (b"PLTE", palette),
        (b"IDAT", zlib_stored(&raw)),
        (b"IEND", Vec::new()),
    ])
}

/// `png` with bytes in the middle of its image data flipped (so its CRC is wrong).
fn corrupt_png_data(png: &[u8]) -> Vec<u8> {
    let mut bytes = png.to_vec();
    let idat = bytes
        .windows(4)
        .position(|w| w == b"IDAT")
        .expect("an IDAT chunk");
    let len = u32::from_be_bytes(bytes[idat - 4..idat].try_into().expect("4 bytes")) as usize;
    for i in 0..64.min(len / 2) {
        bytes[idat + 4 + len / 2 + i] ^= 0x5A;
    }
    bytes
}

// ---- JPEG --------------------------------------------------------------------------

/// Where the entropy-coded data of the first scan starts: just after the SOS segment.
fn scan_start(jpeg: &[u8]) -> usize {
    let mut i = 2;
    while i + 4 <= jpeg.len() {
        assert_eq!(jpeg[i], 0xFF, "a marker at {i}");
        let marker = jpeg[i + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        if marker == 0xDA {
            return i + 2 + len;
        }
        i += 2 + len;
    }
    panic!("no SOS in the JPEG");
}

/// The JPEG cut after `fraction` of its entropy-coded data (no EOI).
pub fn truncate_scan(jpeg: &[u8], fraction: f64) -> Vec<u8> {
    let start = scan_start(jpeg);
    let data = jpeg.len() - 2 - start;
    jpeg[..start + (data as f64 * fraction) as usize].to_vec()
}

/// Everything up to and including the SOS header, and no image data at all.
fn jpeg_headers_only(jpeg: &[u8]) -> Vec<u8> {
    jpeg[..scan_start(jpeg)].to_vec()
}

/// `jpeg` with its frame header rewritten to claim 60000 x 60000 pixels.
fn jpeg_bomb(jpeg: &[u8]) -> Vec<u8> {
    jpeg_resized(jpeg, 60_000, 60_000)
}

/// `jpeg` with its (baseline or progressive) frame header rewritten to claim
/// `width` x `height` pixels; the data is left as it is.
fn jpeg_resized(jpeg: &[u8], width: u16, height: u16) -> Vec<u8> {
    let mut bytes = jpeg.to_vec();
    let sof = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC0] || w == [0xFF, 0xC2])
        .expect("a SOF0 or SOF2");
    bytes[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    bytes
}

/// A CMYK JPEG (Adobe APP14) of a grey image: no colour ink, the grey in K.
fn cmyk_jpeg(grey: &GrayImage) -> Vec<u8> {
    cmyk_jpeg_with(grey, false)
}

fn cmyk_jpeg_with(grey: &GrayImage, progressive: bool) -> Vec<u8> {
    let data: Vec<u8> = grey.pixels().flat_map(|p| [0, 0, 0, 255 - p[0]]).collect();
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    encoder.set_progressive(progressive);
    encoder
        .encode(
            &data,
            grey.width() as u16,
            grey.height() as u16,
            jpeg_encoder::ColorType::Cmyk,
        )
        .expect("CMYK JPEG");
    out
}

/// A baseline grey JPEG by jpeg-encoder (fast, also for tens of megapixels).
fn grey_jpeg(grey: &GrayImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(
            grey.as_raw(),
            grey.width() as u16,
            grey.height() as u16,
            jpeg_encoder::ColorType::Luma,
        )
        .expect("grey JPEG");
    out
}

/// `grey` enlarged to `width` x `height` by repeating pixels (nearest neighbour), fast
/// even unoptimised: each source row is widened once, then copied.
fn upscale(grey: &GrayImage, width: u32, height: u32) -> GrayImage {
    let (w, h) = (u64::from(grey.width()), u64::from(grey.height()));
    let wide: Vec<Vec<u8>> = grey
        .rows()
        .map(|row| {
            let row: Vec<u8> = row.map(|p| p[0]).collect();
            (0..u64::from(width))
                .map(|x| row[(x * w / u64::from(width)) as usize])
                .collect()
        })
        .collect();
    let mut raw = Vec::with_capacity(width as usize * height as usize);
    for y in 0..u64::from(height) {
        raw.extend_from_slice(&wide[(y * h / u64::from(height)) as usize]);
    }
    GrayImage::from_raw(width, height, raw).expect("one byte per pixel")
}

pub fn progressive_jpeg(grey: &GrayImage) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    encoder.set_progressive(true);
    encoder
        .encode(
            grey.as_raw(),
            grey.width() as u16,
            grey.height() as u16,
            jpeg_encoder::ColorType::Luma,
        )
        .expect("progressive JPEG");
    out
}

/// A JPEG with an EXIF APP1 segment whose only entry is `Orientation = orientation`.
pub fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"II*\0\x08\0\0\0\x01\0".to_vec(); // little endian, IFD at 8, one entry
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes()); // count
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // padding, no next IFD
    let mut segment = b"Exif\0\0".to_vec();
    segment.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((segment.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&segment);
    out.extend_from_slice(&jpeg[2..]);
    out
}

// ---- other formats' bombs ------------------------------------------------------------

/// A little-endian TIFF (as `image` writes them) with its first IFD's width and height
/// rewritten to `width` x `height`; the data is left as it is.
fn tiff_resized(tiff: &[u8], width: u32, height: u32) -> Vec<u8> {
    assert_eq!(&tiff[..4], b"II*\0", "a little-endian TIFF");
    let mut bytes = tiff.to_vec();
    let ifd = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")) as usize;
    let count = usize::from(u16::from_le_bytes([bytes[ifd], bytes[ifd + 1]]));
    let entries: Vec<usize> = (0..count).map(|i| ifd + 2 + 12 * i).collect();
    let tag = |bytes: &[u8], entry: usize| u16::from_le_bytes([bytes[entry], bytes[entry + 1]]);
    // As many strips as before, each taller.
    let strips = entries
        .iter()
        .find(|&&e| tag(&bytes, e) == 273)
        .map(|&e| u32::from_le_bytes(bytes[e + 4..e + 8].try_into().expect("4 bytes")))
        .expect("StripOffsets");
    for &entry in &entries {
        let tag = tag(&bytes, entry);
        let kind = u16::from_le_bytes([bytes[entry + 2], bytes[entry + 3]]);
        let value = match tag {
            256 => width,
            257 => height,
            278 => height.div_ceil(strips),
            _ => continue,
        };
        match kind {
            3 => bytes[entry + 8..entry + 10].copy_from_slice(&(value as u16).to_le_bytes()),
            4 => bytes[entry + 8..entry + 12].copy_from_slice(&value.to_le_bytes()),
            _ => panic!("tag {tag} of type {kind}"),
        }
    }
    bytes
}

/// A GIF whose screen and only frame claim 60000 x 60000 pixels, with one byte of data.
fn gif_bomb() -> Vec<u8> {
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&60_000u16.to_le_bytes());
    gif.extend_from_slice(&60_000u16.to_le_bytes());
    gif.extend_from_slice(&[0x80, 0, 0]); // global colour table of 2 entries
    gif.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
    gif.push(0x2C); // image descriptor
    gif.extend_from_slice(&[0, 0, 0, 0]);
    gif.extend_from_slice(&60_000u16.to_le_bytes());
    gif.extend_from_slice(&60_000u16.to_le_bytes());
    gif.push(0);
    gif.extend_from_slice(&[2, 2, 0x4C, 0x01, 0]); // LZW minimum code size 2, one sub-block
    gif.push(0x3B);
    gif
}

/// A little-endian TIFF whose only IFD claims a 60000 x 60000 8-bit grey strip.
fn tiff_bomb() -> Vec<u8> {
    // (tag, type, value): type 3 SHORT, 4 LONG; one value each, sorted by tag.
    let entries: [(u16, u16, u32); 9] = [
        (256, 4, 60_000),             // ImageWidth
        (257, 4, 60_000),             // ImageLength
        (258, 3, 8),                  // BitsPerSample
        (259, 3, 1),                  // Compression: none
        (262, 3, 1),                  // PhotometricInterpretation: black is zero
        (273, 4, 8 + 2 + 9 * 12 + 4), // StripOffsets: just after the IFD
        (277, 3, 1),                  // SamplesPerPixel
        (278, 4, 60_000),             // RowsPerStrip
        (279, 4, 3_600_000_000),      // StripByteCounts
    ];
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&kind.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        if kind == 3 {
            tiff.extend_from_slice(&(value as u16).to_le_bytes());
            tiff.extend_from_slice(&[0, 0]);
        } else {
            tiff.extend_from_slice(&value.to_le_bytes());
        }
    }
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    tiff.extend_from_slice(&[0x80; 64]);
    tiff
}

/// A 24-bit BMP whose header claims 60000 x 60000 pixels, with a few bytes of pixels.
fn bmp_bomb() -> Vec<u8> {
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&(54u32 + 64).to_le_bytes()); // file size
    bmp.extend_from_slice(&[0, 0, 0, 0]);
    bmp.extend_from_slice(&54u32.to_le_bytes()); // pixel data offset
    bmp.extend_from_slice(&40u32.to_le_bytes()); // BITMAPINFOHEADER
    bmp.extend_from_slice(&60_000i32.to_le_bytes());
    bmp.extend_from_slice(&60_000i32.to_le_bytes());
    bmp.extend_from_slice(&1u16.to_le_bytes()); // planes
    bmp.extend_from_slice(&24u16.to_le_bytes()); // bits per pixel
    bmp.extend_from_slice(&[0; 4]); // BI_RGB
    bmp.extend_from_slice(&[0; 4]); // image size (may be 0 for BI_RGB)
    bmp.extend_from_slice(&2835i32.to_le_bytes());
    bmp.extend_from_slice(&2835i32.to_le_bytes());
    bmp.extend_from_slice(&[0; 8]); // colours used, important
    bmp.extend_from_slice(&[0x80; 64]);
    bmp
}

/// An extended WebP (VP8X) whose canvas claims 60000 x 60000 pixels.
fn webp_bomb() -> Vec<u8> {
    let mut vp8x = [0u8; 10];
    let side = (60_000u32 - 1).to_le_bytes();
    vp8x[4..7].copy_from_slice(&side[..3]);
    vp8x[7..10].copy_from_slice(&side[..3]);
    // A 1x1 lossless image as the canvas's only content.
    let vp8l = [0x2F, 0, 0, 0, 0, 0x88, 0x88, 0x08, 0x00];
    let mut body = b"WEBP".to_vec();
    for (kind, data) in [(b"VP8X", &vp8x[..]), (b"VP8L", &vp8l[..])] {
        body.extend_from_slice(kind);
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        if data.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut webp = b"RIFF".to_vec();
    webp.extend_from_slice(&(body.len() as u32).to_le_bytes());
    webp.extend_from_slice(&body);
    webp
}

/// The fuzzers' seed corpus (`fuzz/seeds/`, committed): one tiny file (a few hundred
/// bytes) per format and variant the decoders handle, and the bombs' headers. Written by
/// `PNEUMOSCAN_WRITE_FUZZ_SEEDS=fuzz/seeds cargo test --features native --test bad_input
/// write_fuzz_seeds`.
pub fn fuzz_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let small = picture(32, 32);
    let grey = DynamicImage::ImageLuma8(small.clone());
    let jpeg = encode(&grey, ImageFormat::Jpeg);
    let float = DynamicImage::ImageRgb32F(grey.to_rgb32f());
    vec![
        ("grey.png", encode(&grey, ImageFormat::Png)),
        (
            "grey16.png",
            encode(
                &DynamicImage::ImageLuma16(grey.to_luma16()),
                ImageFormat::Png,
            ),
        ),
        ("rgba.png", encode(&rgba(&small), ImageFormat::Png)),
        ("palette.png", palette_png(&small)),
        ("baseline.jpeg", jpeg.clone()),
        ("progressive.jpeg", progressive_jpeg(&small)),
        ("cmyk.jpeg", cmyk_jpeg(&small)),
        ("exif.jpeg", with_exif_orientation(&jpeg, 6)),
        ("truncated.jpeg", truncate_scan(&jpeg, 0.8)),
        ("image.gif", encode(&grey, ImageFormat::Gif)),
        (
            "image.bmp",
            encode(&grey.to_rgb8().into(), ImageFormat::Bmp),
        ),
        ("image.tiff", encode(&grey, ImageFormat::Tiff)),
        ("float.tiff", encode(&float, ImageFormat::Tiff)),
        (
            "image.webp",
            encode(&grey.to_rgb8().into(), ImageFormat::WebP),
        ),
        ("bomb.png", png_header_only(60_000, 60_000)),
        ("bomb.jpeg", jpeg_bomb(&jpeg)),
        ("bomb.gif", gif_bomb()),
        ("bomb.tiff", tiff_bomb()),
        ("bomb.bmp", bmp_bomb()),
        ("bomb.webp", webp_bomb()),
        ("zeros.png", png_zeros(64, 64, 16, 6)),
        ("tiny.png", encode(&one_pixel(), ImageFormat::Png)),
        ("text.txt", b"just some text\n".to_vec()),
    ]
}
