//! Every encoding a chest radiograph arrives in, made by independent encoders from a real
//! X-ray: DICOM in JPEG 2000 (lossless, lossy), JPEG-LS (lossless, near-lossless, 8 and
//! 16 bits) and deflate by GDCM's `gdcmconv`, JPEG Extended (8 and 12 bits) by DCMTK's
//! `dcmcjpeg`, standalone `.jp2`/`.j2k` by OpenJPEG's `opj_compress`, PGM/PPM; each classified through the library, the CLI and
//! `POST /predict` within 1e-4 of the uncompressed image when lossless and 0.03 when
//! lossy. Also the tolerant reading of DICOM (a data set whose VR encoding disagrees with
//! its transfer syntax, no preamble, no meta group) and the reduced-resolution JPEG 2000
//! decode of a large radiograph, measured against a full decode.
//!
//! The tools come from Debian (`libgdcm-tools`, `libopenjp2-tools`, `dcmtk`;
//! `tests/install-deps.sh`).
//! Without them the tests say so loudly and skip; in CI they fail.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use image::{DynamicImage, GrayImage, ImageBuffer, Luma};
use pneumoscan::codecs::jpeg2000::{self, Resolution};
use pneumoscan::{Error, Prediction};

/// One encoded file and the reference it must match.
struct Fixture {
    name: &'static str,
    bytes: Vec<u8>,
    /// Name of the fixture it is compared with.
    reference: &'static str,
    tolerance: f64,
    /// The transfer syntax name the result must carry (DICOM only).
    syntax: Option<&'static str>,
}

/// The name dicom-rs gives transfer syntax 1.2.840.10008.1.2.4.51.
const JPEG_EXTENDED: &str = "JPEG Extended (Process 2 & 4)";

/// `name` on PATH, or `None` after saying so (a failure in CI).
fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        eprintln!("\n*** SKIPPED: {name} is not installed (bash tests/install-deps.sh) ***\n");
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have {name} (tests/install-deps.sh)"
        );
    }
    found
}

fn run(program: &Path, args: &[&std::ffi::OsStr]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .expect("runs the encoder");
    assert!(
        out.status.success(),
        "{} {args:?}: {}{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A real X-ray (a full-resolution original), or the synthetic picture without the data.
fn xray() -> GrayImage {
    match common::data_dir("tests/codecs.rs") {
        Some(data) => image::open(data.join("originals/NORMAL/IM-0199-0001.jpeg"))
            .expect("decodes the X-ray")
            .to_luma8(),
        None => common::corpus::picture(1000, 800),
    }
}

/// PGM (P5) with the given maxval; 16-bit samples big endian, as netpbm writes them.
fn pgm(width: u32, height: u32, maxval: u16, samples: &[u16]) -> Vec<u8> {
    let mut out = format!("P5\n{width} {height}\n{maxval}\n").into_bytes();
    for &v in samples {
        if maxval > 255 {
            out.extend_from_slice(&v.to_be_bytes());
        } else {
            out.push(v as u8);
        }
    }
    out
}

/// The fixtures, made once per test binary. `None` when a tool is missing.
fn fixtures() -> Option<&'static Vec<Fixture>> {
    static FIXTURES: OnceLock<Option<Vec<Fixture>>> = OnceLock::new();
    FIXTURES.get_or_init(make_fixtures).as_ref()
}

fn make_fixtures() -> Option<Vec<Fixture>> {
    let gdcmimg = tool("gdcmimg")?;
    let gdcmconv = tool("gdcmconv")?;
    let opj = tool("opj_compress")?;
    let dcmcjpeg = tool("dcmcjpeg")?;
    let dir = tempfile::tempdir().expect("tempdir");
    let at = |name: &str| dir.path().join(name);
    let xray = xray();
    let (w, h) = xray.dimensions();
    let grey8: Vec<u16> = xray.pixels().map(|p| u16::from(p.0[0])).collect();
    // A 12-bit radiograph: the 8-bit X-ray spread over 0..=4095, with the low bits varying.
    let grey12: Vec<u16> = grey8
        .iter()
        .enumerate()
        .map(|(i, &v)| v * 16 + (i as u16 % 16))
        .collect();
    std::fs::write(at("x8.pgm"), pgm(w, h, 255, &grey8)).expect("write");
    std::fs::write(at("x12.pgm"), pgm(w, h, 4095, &grey12)).expect("write");
    let os = |p: &PathBuf| p.clone().into_os_string();
    let s = |t: &str| std::ffi::OsString::from(t);
    for bits in ["8", "12"] {
        let pgm = at(&format!("x{bits}.pgm"));
        let dcm = at(&format!("x{bits}.dcm"));
        run(&gdcmimg, &[&s("-i"), &os(&pgm), &s("-o"), &os(&dcm)]);
        let raw = at(&format!("raw{bits}.dcm"));
        let conv = |flags: &[&str], out: &str| {
            // From the explicit VR little endian file (gdcmimg may write GE's private
            // implicit big endian syntax, which gdcmconv does not compress).
            let input = if flags == ["--raw"] { &dcm } else { &raw };
            let mut args: Vec<std::ffi::OsString> = flags.iter().map(|f| s(f)).collect();
            args.extend([os(input), os(&at(out))]);
            let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
            run(&gdcmconv, &refs);
        };
        conv(&["--raw"], &format!("raw{bits}.dcm"));
        conv(&["--j2k"], &format!("j2k{bits}.dcm"));
        // GDCM's quality is a PSNR in dB over the sample range: about 10:1 for each.
        let quality = if bits == "8" { "45" } else { "70" };
        conv(
            &["--j2k", "--lossy", "-q", quality],
            &format!("j2k-lossy{bits}.dcm"),
        );
        conv(&["--jpegls"], &format!("jls{bits}.dcm"));
        conv(
            &["--jpegls", "--lossy", "-e", "2"],
            &format!("jls-near{bits}.dcm"),
        );
        conv(&["--deflated"], &format!("deflated{bits}.dcm"));
        // JPEG Extended (.51, SOF1) by DCMTK, at the image's own precision: 12 bits goes
        // to Pneumoscan's own decoder, 8 bits stays dicom-pixeldata's. (GDCM's lossy JPEG
        // of a 12-bit image is a 16-bit DCT stream, outside the standard.)
        run(
            &dcmcjpeg,
            &[
                &s("+ee"),
                &s("+q"),
                &s("90"),
                &os(&raw),
                &os(&at(&format!("jpeg-ext{bits}.dcm"))),
            ],
        );
    }
    let opj_to = |input: &str, out: &str, extra: &[&str]| {
        let mut args = vec![s("-i"), os(&at(input)), s("-o"), os(&at(out))];
        args.extend(extra.iter().map(|e| s(e)));
        let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        run(&opj, &refs);
    };
    opj_to("x8.pgm", "x8.jp2", &[]);
    opj_to("x8.pgm", "x8.j2k", &[]);
    opj_to("x8.pgm", "x8-lossy.jp2", &["-r", "20"]);
    opj_to("x12.pgm", "x12.j2k", &[]);
    // The references for standalone files: PNGs with the same samples (12-bit scaled to
    // 16, as JPEG 2000 samples are).
    let png8 = encode_png(&DynamicImage::ImageLuma8(xray.clone()));
    let wide: Vec<u16> = grey12
        .iter()
        .map(|&v| (u32::from(v) * 65535 / 4095) as u16)
        .collect();
    let png16 = encode_png(&DynamicImage::ImageLuma16(
        ImageBuffer::<Luma<u16>, _>::from_raw(w, h, wide).expect("buffer"),
    ));
    let ppm = {
        let mut out = format!("P6\n{w} {h}\n255\n").into_bytes();
        for p in xray.pixels() {
            out.extend_from_slice(&[p.0[0]; 3]);
        }
        out
    };
    let read = |name: &str| std::fs::read(at(name)).expect("reads a fixture");
    let f = |name, file: &str, reference, tolerance, syntax| Fixture {
        name,
        bytes: read(file),
        reference,
        tolerance,
        syntax,
    };
    const LOSSLESS: f64 = 1e-4;
    const LOSSY: f64 = 0.03;
    Some(vec![
        f("raw8.dcm", "raw8.dcm", "raw8.dcm", 0.0, None),
        f("raw12.dcm", "raw12.dcm", "raw12.dcm", 0.0, None),
        f(
            "j2k8.dcm",
            "j2k8.dcm",
            "raw8.dcm",
            LOSSLESS,
            Some("JPEG 2000 (lossless)"),
        ),
        f(
            "j2k12.dcm",
            "j2k12.dcm",
            "raw12.dcm",
            LOSSLESS,
            Some("JPEG 2000 (lossless)"),
        ),
        f(
            "j2k-lossy8.dcm",
            "j2k-lossy8.dcm",
            "raw8.dcm",
            LOSSY,
            Some("JPEG 2000"),
        ),
        f(
            "j2k-lossy12.dcm",
            "j2k-lossy12.dcm",
            "raw12.dcm",
            LOSSY,
            Some("JPEG 2000"),
        ),
        f(
            "jls8.dcm",
            "jls8.dcm",
            "raw8.dcm",
            LOSSLESS,
            Some("JPEG-LS (lossless)"),
        ),
        f(
            "jls12.dcm",
            "jls12.dcm",
            "raw12.dcm",
            LOSSLESS,
            Some("JPEG-LS (lossless)"),
        ),
        f(
            "jls-near8.dcm",
            "jls-near8.dcm",
            "raw8.dcm",
            LOSSY,
            Some("JPEG-LS (near-lossless)"),
        ),
        f(
            "jls-near12.dcm",
            "jls-near12.dcm",
            "raw12.dcm",
            LOSSY,
            Some("JPEG-LS (near-lossless)"),
        ),
        f(
            "jpeg-ext8.dcm",
            "jpeg-ext8.dcm",
            "raw8.dcm",
            LOSSY,
            Some(JPEG_EXTENDED),
        ),
        f(
            "jpeg-ext12.dcm",
            "jpeg-ext12.dcm",
            "raw12.dcm",
            LOSSY,
            Some(JPEG_EXTENDED),
        ),
        f(
            "deflated8.dcm",
            "deflated8.dcm",
            "raw8.dcm",
            LOSSLESS,
            Some("Deflated Explicit VR Little Endian"),
        ),
        f(
            "deflated12.dcm",
            "deflated12.dcm",
            "raw12.dcm",
            LOSSLESS,
            Some("Deflated Explicit VR Little Endian"),
        ),
        Fixture {
            name: "x8.png",
            bytes: png8,
            reference: "x8.png",
            tolerance: 0.0,
            syntax: None,
        },
        Fixture {
            name: "x12.png",
            bytes: png16,
            reference: "x12.png",
            tolerance: 0.0,
            syntax: None,
        },
        f("x8.jp2", "x8.jp2", "x8.png", LOSSLESS, None),
        f("x8.j2k", "x8.j2k", "x8.png", LOSSLESS, None),
        f("x8-lossy.jp2", "x8-lossy.jp2", "x8.png", LOSSY, None),
        f("x12.j2k", "x12.j2k", "x12.png", LOSSLESS, None),
        f("x8.pgm", "x8.pgm", "x8.png", LOSSLESS, None),
        Fixture {
            name: "x8.ppm",
            bytes: ppm,
            reference: "x8.png",
            tolerance: LOSSLESS,
            syntax: None,
        },
    ])
}

fn encode_png(image: &DynamicImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encodes a PNG");
    out.into_inner()
}

fn classifier() -> &'static pneumoscan::Classifier {
    static CLASSIFIER: OnceLock<pneumoscan::Classifier> = OnceLock::new();
    CLASSIFIER.get_or_init(common::classifier)
}

fn library(fixtures: &[Fixture]) -> Vec<Prediction> {
    fixtures
        .iter()
        .map(|f| {
            classifier()
                .classify_guarded(&f.bytes)
                .unwrap_or_else(|e| panic!("{}: {e}", f.name))
        })
        .collect()
}

/// Each fixture's probability against its reference's.
fn check_against_references(fixtures: &[Fixture], probabilities: &[f64], front_end: &str) {
    let by_name = |name: &str| {
        let i = fixtures
            .iter()
            .position(|f| f.name == name)
            .expect("reference exists");
        probabilities[i]
    };
    for (f, &p) in fixtures.iter().zip(probabilities) {
        let reference = by_name(f.reference);
        assert!(
            (p - reference).abs() <= f.tolerance,
            "{front_end}: {} gives {p:.6}, {} gives {reference:.6} (tolerance {})",
            f.name,
            f.reference,
            f.tolerance
        );
    }
}

#[test]
fn every_encoding_classifies_like_the_uncompressed_image_in_the_library() {
    let Some(fixtures) = fixtures() else { return };
    let predictions = library(fixtures);
    for (f, p) in fixtures.iter().zip(&predictions) {
        if let Some(syntax) = f.syntax {
            let info = p
                .dicom
                .as_ref()
                .unwrap_or_else(|| panic!("{}: DICOM info", f.name));
            assert_eq!(info.transfer_syntax, syntax, "{}", f.name);
        }
    }
    let probabilities: Vec<f64> = predictions.iter().map(|p| p.probability).collect();
    check_against_references(fixtures, &probabilities, "library");
    // The 12-bit files keep their samples above 8 bits up to the window.
    for name in ["j2k12.dcm", "jpeg-ext12.dcm"] {
        let info = predictions[fixtures
            .iter()
            .position(|f| f.name == name)
            .expect("fixture")]
        .dicom
        .clone()
        .expect("DICOM");
        assert_eq!(info.bits_stored, 12, "{name}");
    }
    // The viewer's decoding reads every one of them at its stored size, the 12-bit ones
    // as 16-bit samples (the browser's own decoder would give 8), the 8-bit ones as 8.
    for (f, p) in fixtures.iter().zip(&predictions) {
        let view = pneumoscan::view::view(&f.bytes, [0.299, 0.587, 0.114])
            .unwrap_or_else(|e| panic!("{}: {e}", f.name));
        assert_eq!(
            (view.width, view.height),
            (p.image.width, p.image.height),
            "{}",
            f.name
        );
        let bits = if f.name.contains("12") { 16 } else { 8 };
        assert_eq!(view.bits, bits, "{}", f.name);
    }
}

/// The JPEG stream inside a single-frame encapsulated DICOM file: from its SOI to its
/// last EOI.
fn jpeg_stream(dicom: &[u8]) -> &[u8] {
    let start = dicom
        .windows(3)
        .position(|w| w == [0xFF, 0xD8, 0xFF])
        .expect("a JPEG stream");
    let end = dicom
        .windows(2)
        .rposition(|w| w == [0xFF, 0xD9])
        .expect("an EOI marker");
    &dicom[start..end + 2]
}

/// The 12-bit JPEG decoder's samples against those of GDCM (`gdcmconv --raw`) and DCMTK
/// (`dcmdjpeg`), both IJG libjpeg's 12-bit integer IDCT: within one unit (IDCT
/// rounding), nearly all equal.
#[test]
fn twelve_bit_jpeg_samples_agree_with_gdcm_and_dcmtk() {
    let Some(fixtures) = fixtures() else { return };
    let (Some(gdcmconv), Some(dcmdjpeg)) = (tool("gdcmconv"), tool("dcmdjpeg")) else {
        return;
    };
    let file = &fixtures
        .iter()
        .find(|f| f.name == "jpeg-ext12.dcm")
        .expect("jpeg-ext12")
        .bytes;
    let ours = pneumoscan::codecs::jpeg12::decode(jpeg_stream(file)).expect("decodes");
    assert_eq!((ours.bits, ours.components), (12, 1));
    let ours: Vec<u16> = ours
        .data
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("jpeg-ext12.dcm");
    std::fs::write(&input, file).expect("write");
    for (tool, flags, name) in [
        (&gdcmconv, &["--raw"][..], "GDCM"),
        (&dcmdjpeg, &[][..], "DCMTK"),
    ] {
        let output = dir.path().join(format!("{name}.dcm"));
        let mut args: Vec<&std::ffi::OsStr> = flags.iter().map(|f| f.as_ref()).collect();
        args.extend([input.as_os_str(), output.as_os_str()]);
        run(tool, &args);
        // Uncompressed, the pixel data is the file's last element.
        let raw = std::fs::read(&output).expect("read");
        let theirs: Vec<u16> = raw[raw.len() - 2 * ours.len()..]
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        let worst = ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .expect("samples");
        let equal = ours.iter().zip(&theirs).filter(|(a, b)| a == b).count();
        let share = equal as f64 / ours.len() as f64;
        eprintln!(
            "12-bit JPEG against {name}: {share:.4} of the samples equal, at most {worst} apart"
        );
        assert!(
            worst <= 2 && share > 0.9,
            "{name}: {share} equal, {worst} apart"
        );
    }
}

#[test]
fn the_cli_gives_the_librarys_numbers_for_every_encoding() {
    let Some(fixtures) = fixtures() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let paths: Vec<PathBuf> = fixtures
        .iter()
        .map(|f| {
            let path = dir.path().join(f.name);
            std::fs::write(&path, &f.bytes).expect("write");
            path
        })
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_pneumoscan"))
        .args(["classify", "--json"])
        .args(&paths)
        .env_remove("PNEUMOSCAN_MODEL")
        .output()
        .expect("runs pneumoscan");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let library = library(fixtures);
    for ((f, report), p) in fixtures
        .iter()
        .zip(reports.as_array().expect("array"))
        .zip(&library)
    {
        let cli = report["probability"].as_f64().unwrap_or(f64::NAN);
        assert!((cli - p.probability).abs() < 1e-9, "{}: {report}", f.name);
    }
}

#[test]
fn predict_gives_the_librarys_numbers_for_every_encoding() {
    use reqwest::multipart::{Form, Part};
    let Some(fixtures) = fixtures() else { return };
    let library = library(fixtures);
    let (runtime, base) = common::serve();
    for (f, p) in fixtures.iter().zip(&library) {
        let body: serde_json::Value = runtime.block_on(async {
            let form = Form::new().part("file", Part::bytes(f.bytes.clone()).file_name(f.name));
            let response = reqwest::Client::new()
                .post(format!("{base}/predict"))
                .multipart(form)
                .send()
                .await
                .expect("request");
            assert_eq!(response.status().as_u16(), 200, "{}", f.name);
            response.json().await.expect("JSON")
        });
        let server = body["probability"].as_f64().unwrap_or(f64::NAN);
        assert!((server - p.probability).abs() < 1e-9, "{}: {body}", f.name);
    }
}

/// Replaces the transfer syntax UID in a file meta group, fixing the group length.
fn with_syntax(dicom: &[u8], uid: &str) -> Vec<u8> {
    let mut value = uid.as_bytes().to_vec();
    if value.len() % 2 == 1 {
        value.push(0);
    }
    // Walk the meta group (explicit VR little endian) from after DICM.
    let mut out = dicom[..132].to_vec();
    let mut pos = 132;
    let mut meta = Vec::new();
    while dicom[pos..pos + 2] == [0x02, 0x00] {
        let tag = (
            u16::from_le_bytes([dicom[pos + 2], dicom[pos + 3]]),
            &dicom[pos + 4..pos + 6],
        );
        let (len, header) = if [b"OB", b"OW", b"UN", b"SQ", b"UT"]
            .iter()
            .any(|v| v[..] == *tag.1)
        {
            (
                u32::from_le_bytes(dicom[pos + 8..pos + 12].try_into().expect("4")) as usize,
                12,
            )
        } else {
            (
                usize::from(u16::from_le_bytes([dicom[pos + 6], dicom[pos + 7]])),
                8,
            )
        };
        let element = &dicom[pos..pos + header + len];
        if tag.0 == 0x0010 {
            meta.extend_from_slice(&dicom[pos..pos + 6]);
            meta.extend_from_slice(&(value.len() as u16).to_le_bytes());
            meta.extend_from_slice(&value);
        } else if tag.0 != 0x0000 {
            meta.extend_from_slice(element);
        }
        pos += header + len;
    }
    out.extend_from_slice(&[0x02, 0x00, 0x00, 0x00, b'U', b'L', 4, 0]);
    out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    out.extend_from_slice(&meta);
    out.extend_from_slice(&dicom[pos..]);
    out
}

#[test]
fn dicom_is_read_as_tolerantly_as_the_common_toolkits() {
    let Some(fixtures) = fixtures() else { return };
    let gdcmconv = tool("gdcmconv").expect("gdcmconv");
    let raw = &fixtures
        .iter()
        .find(|f| f.name == "raw12.dcm")
        .expect("raw12")
        .bytes;
    let reference = classifier().classify(raw).expect("raw12").probability;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("raw.dcm"), raw).expect("write");
    let implicit = dir.path().join("implicit.dcm");
    let (r, i) = (dir.path().join("raw.dcm"), implicit.clone());
    run(
        &gdcmconv,
        &["--implicit".as_ref(), r.as_os_str(), i.as_os_str()],
    );
    let implicit = std::fs::read(implicit).expect("read");

    let cases: Vec<(&str, Vec<u8>)> = vec![
        // Implicit VR data set, meta group claiming explicit VR.
        (
            "declared explicit, encoded implicit",
            with_syntax(&implicit, "1.2.840.10008.1.2.1"),
        ),
        // Explicit VR data set, meta group claiming implicit VR.
        (
            "declared implicit, encoded explicit",
            with_syntax(raw, "1.2.840.10008.1.2"),
        ),
        ("no preamble", raw[128..].to_vec()),
        ("no preamble, no DICM", raw[132..].to_vec()),
        (
            "no meta group",
            implicit_data_set(&implicit).expect("gdcmconv writes a file meta group"),
        ),
        ("trailing padding", [raw.clone(), vec![0; 7]].concat()),
    ];
    for (name, bytes) in cases {
        let p = classifier()
            .classify_guarded(&bytes)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            (p.probability - reference).abs() < 1e-9,
            "{name}: {} against {reference}",
            p.probability
        );
    }
}

/// The data set of an implicit-VR Part 10 file, without preamble and meta group.
fn implicit_data_set(file: &[u8]) -> Option<Vec<u8>> {
    let length = u32::from_le_bytes(file.get(140..144)?.try_into().ok()?) as usize;
    file.get(144 + length..).map(<[u8]>::to_vec)
}

/// Real X-rays of both classes (two of each, full-resolution originals), or the synthetic
/// picture without the data.
fn xrays_of_both_classes() -> Vec<(String, GrayImage)> {
    let Some(data) = common::data_dir("tests/codecs.rs") else {
        return vec![("synthetic".into(), common::corpus::picture(1000, 800))];
    };
    ["NORMAL", "PNEUMONIA"]
        .iter()
        .flat_map(|class| {
            common::files_in(&data.join("originals").join(class))
                .into_iter()
                .take(2)
        })
        .map(|path| {
            let image = image::open(&path).expect("decodes the X-ray").to_luma8();
            (path.display().to_string(), image)
        })
        .collect()
}

#[test]
fn a_large_jpeg_2000_radiograph_is_decoded_at_a_reduced_level_within_0_01() {
    let Some(opj) = tool("opj_compress") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, xray) in xrays_of_both_classes() {
        // A radiograph with a 3000-pixel longer side, as CR/DX detectors give, 12 bits.
        let scale = 3000.0 / f64::from(xray.width().max(xray.height()));
        let (width, height) = (
            (f64::from(xray.width()) * scale).round() as u32,
            (f64::from(xray.height()) * scale).round() as u32,
        );
        let big =
            image::imageops::resize(&xray, width, height, image::imageops::FilterType::Triangle);
        let wide: Vec<u16> = big.pixels().map(|p| u16::from(p.0[0]) * 16).collect();
        let input = dir.path().join("big.pgm");
        let output = dir.path().join("big.j2k");
        std::fs::write(&input, pgm(width, height, 4095, &wide)).expect("write");
        run(
            &opj,
            &[
                "-i".as_ref(),
                input.as_os_str(),
                "-o".as_ref(),
                output.as_os_str(),
            ],
        );
        let bytes = std::fs::read(&output).expect("read");

        let reduced = jpeg2000::decode(&bytes, Resolution::ForModel, "JPEG 2000").expect("reduced");
        assert!(
            reduced.width < width
                && reduced.width.min(reduced.height) >= jpeg2000::REDUCED_MIN_SIDE,
            "{name}: reduced to {}x{}",
            reduced.width,
            reduced.height
        );
        let full = jpeg2000::decode(&bytes, Resolution::Full, "JPEG 2000").expect("full");
        assert_eq!((full.width, full.height), (width, height));
        // The viewer's image is the full one, at 16 bits (12 stored, scaled to the range).
        let view = pneumoscan::view::view(&bytes, [0.299, 0.587, 0.114]).expect("view");
        assert_eq!((view.width, view.height, view.bits), (width, height, 16));
        assert_eq!(view.samples.len(), (width * height) as usize);
        let full = encode_png(&full.into_image().expect("image"));
        let p_full = classifier().classify(&full).expect("full").probability;
        let p_reduced = classifier().classify(&bytes).expect("reduced").probability;
        eprintln!(
            "{name} as {width}x{height} JPEG 2000: full {p_full:.5}, reduced ({}x{}) {p_reduced:.5}, difference {:.5}",
            reduced.width,
            reduced.height,
            (p_full - p_reduced).abs()
        );
        assert!(
            (p_full - p_reduced).abs() < 0.01,
            "{name}: full {p_full}, reduced {p_reduced}"
        );
    }
}

#[test]
fn damaged_jpeg_2000_and_jpeg_ls_are_errors_not_crashes() {
    let Some(fixtures) = fixtures() else { return };
    for name in ["j2k12.dcm", "jls12.dcm", "x8.jp2", "deflated8.dcm"] {
        let bytes = &fixtures
            .iter()
            .find(|f| f.name == name)
            .expect("fixture")
            .bytes;
        for cut in [0.3, 0.6, 0.9, 0.99] {
            let short = &bytes[..(bytes.len() as f64 * cut) as usize];
            let result = classifier().classify_guarded(short);
            assert!(
                !matches!(result, Err(Error::Internal(_))),
                "{name} cut at {cut}: {result:?}"
            );
        }
        let mut flipped = bytes.clone();
        for i in (bytes.len() / 2..bytes.len()).step_by(97) {
            flipped[i] ^= 0x5A;
        }
        let result = classifier().classify_guarded(&flipped);
        assert!(
            !matches!(result, Err(Error::Internal(_))),
            "{name} flipped: {result:?}"
        );
    }
}

/// Writes the fixtures (JPEG 2000 and JPEG-LS DICOM among them) into `$PNEUMOSCAN_WRITE_FIXTURES`, for
/// the browser end-to-end test; does nothing without it.
#[test]
fn write_e2e_fixtures() {
    let Some(dir) = std::env::var_os("PNEUMOSCAN_WRITE_FIXTURES") else {
        return;
    };
    let fixtures = fixtures().expect("the encoders, for the fixtures");
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("fixture folder");
    // All of them (e2e/app.test.js drops three; the rest help when a test fails).
    for f in fixtures {
        std::fs::write(dir.join(f.name), &f.bytes).expect("write fixture");
    }
}

/// The committed fuzz seeds of the new codecs (small files made by GDCM, DCMTK and OpenJPEG),
/// each mutated a few thousand times (byte flips, overwrites, truncations, insertions
/// with a fixed-seed generator): every result is an image or an error, never a panic.
/// `tests/fuzz.sh` then fuzzes from the same seeds with libFuzzer.
#[test]
fn mutated_jpeg_2000_jpeg_ls_and_deflate_streams_never_panic() {
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut panics = Vec::new();
    for name in [
        "gdcm-jpeg2000.dcm",
        "gdcm-jpeg2000-lossy.dcm",
        "gdcm-jpegls.dcm",
        "gdcm-jpegls-near.dcm",
        "gdcm-deflated.dcm",
        "dcmtk-jpeg12.dcm",
        "opj.jp2",
        "opj12.j2k",
        "grey.pgm",
    ] {
        let original = std::fs::read(seeds.join(name)).expect("reads a seed");
        for round in 0..3000 {
            let mut bytes = original.clone();
            let edits = 1 + next() % 8;
            for _ in 0..edits {
                let at = (next() as usize) % bytes.len().max(1);
                match next() % 5 {
                    0 => bytes[at] ^= 1 << (next() % 8),
                    1 => bytes[at] = next() as u8,
                    2 => bytes[at] = [0x00, 0xFF, 0x7F, 0x80][(next() % 4) as usize],
                    3 => bytes.truncate(at.max(1)),
                    _ => bytes.insert(at, next() as u8),
                }
                if bytes.is_empty() {
                    bytes.push(0);
                }
            }
            let result = std::panic::catch_unwind(|| pneumoscan::input::decode(&bytes).map(|_| ()));
            if let Err(panic) = result {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                std::fs::write(
                    std::env::temp_dir().join(format!("pneumoscan-panic-{name}-{round}")),
                    &bytes,
                )
                .ok();
                panics.push(format!("{name} round {round}: {message}"));
            }
        }
    }
    assert!(
        panics.is_empty(),
        "{} panics:\n{}",
        panics.len(),
        panics.join("\n")
    );
}
