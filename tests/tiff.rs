//! TIFF layouts that crashed the `tiff` crate (0.11.3): tiled files whose colour planes
//! are stored separately (PlanarConfiguration 2) tripped an assertion in its chunk
//! reader for every bit depth and compression, and one such file in a batch made
//! `pneumoscan classify` exit 101 with no result for any file. The files are made here,
//! byte by byte, as other tools write them; each must get its own clear error while the
//! other files of the batch still get their results.

mod common;

use std::process::Command;

use pneumoscan::Error;

/// Tile side: the smallest TIFF allows (a multiple of 16).
const TILE: u32 = 16;

/// One TIFF layout to write.
struct Layout {
    name: &'static str,
    bits: u16,
    samples: u16,
    lzw: bool,
    tiled: bool,
}

/// Writes a little-endian TIFF of `width` × `height` with separate planes
/// (PlanarConfiguration 2), tiled or in one strip per plane, raw or LZW.
fn planar_tiff(layout: &Layout, width: u32, height: u32) -> Vec<u8> {
    let bytes_per_sample = usize::from(layout.bits / 8);
    let (chunk_w, chunk_h) = if layout.tiled {
        (TILE, TILE)
    } else {
        (width, height)
    };
    let across = width.div_ceil(chunk_w);
    let down = height.div_ceil(chunk_h);
    // Each plane's chunks, row-major, then the next plane's (TIFF 6.0, section 15).
    let mut chunks = Vec::new();
    for plane in 0..layout.samples {
        for ty in 0..down {
            for tx in 0..across {
                let mut raw = Vec::new();
                for y in 0..chunk_h {
                    for x in 0..chunk_w {
                        let (px, py) = (tx * chunk_w + x, ty * chunk_h + y);
                        let v = ((px * 7 + py * 3 + u32::from(plane) * 40) % 256) as u16;
                        let v = if layout.bits == 16 { v * 257 } else { v };
                        raw.extend_from_slice(&v.to_le_bytes()[..bytes_per_sample]);
                    }
                }
                chunks.push(if layout.lzw { lzw(&raw) } else { raw });
            }
        }
    }
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&8u32.to_le_bytes());
    // Data first (after the 8-byte header and a placeholder), then the IFD.
    let mut offsets = Vec::new();
    let mut data = Vec::new();
    for chunk in &chunks {
        offsets.push(8 + data.len() as u32);
        data.extend_from_slice(chunk);
    }
    let counts: Vec<u32> = chunks.iter().map(|c| c.len() as u32).collect();
    let mut extra = Vec::new(); // values that do not fit in an entry
    let ifd_at = 8 + data.len() as u32;
    let mut entries: Vec<(u16, u16, u32, Vec<u8>)> = vec![
        (256, 4, 1, width.to_le_bytes().to_vec()),
        (257, 4, 1, height.to_le_bytes().to_vec()),
        (
            258,
            3,
            u32::from(layout.samples),
            (0..layout.samples)
                .flat_map(|_| layout.bits.to_le_bytes())
                .collect(),
        ),
        (
            259,
            3,
            1,
            (if layout.lzw { 5u16 } else { 1 }).to_le_bytes().to_vec(),
        ),
        (262, 3, 1, 2u16.to_le_bytes().to_vec()),
        (277, 3, 1, layout.samples.to_le_bytes().to_vec()),
        (284, 3, 1, 2u16.to_le_bytes().to_vec()),
    ];
    if layout.tiled {
        entries.push((322, 4, 1, TILE.to_le_bytes().to_vec()));
        entries.push((323, 4, 1, TILE.to_le_bytes().to_vec()));
        entries.push((
            324,
            4,
            offsets.len() as u32,
            offsets.iter().flat_map(|o| o.to_le_bytes()).collect(),
        ));
        entries.push((
            325,
            4,
            counts.len() as u32,
            counts.iter().flat_map(|o| o.to_le_bytes()).collect(),
        ));
    } else {
        entries.push((
            273,
            4,
            offsets.len() as u32,
            offsets.iter().flat_map(|o| o.to_le_bytes()).collect(),
        ));
        entries.push((278, 4, 1, height.to_le_bytes().to_vec()));
        entries.push((
            279,
            4,
            counts.len() as u32,
            counts.iter().flat_map(|o| o.to_le_bytes()).collect(),
        ));
    }
    if layout.samples == 4 {
        entries.push((338, 3, 1, 2u16.to_le_bytes().to_vec())); // unassociated alpha
    }
    entries.sort_by_key(|e| e.0);
    let ifd_len = 2 + entries.len() as u32 * 12 + 4;
    let mut ifd = (entries.len() as u16).to_le_bytes().to_vec();
    for (tag, kind, count, value) in &entries {
        ifd.extend_from_slice(&tag.to_le_bytes());
        ifd.extend_from_slice(&kind.to_le_bytes());
        ifd.extend_from_slice(&count.to_le_bytes());
        if value.len() <= 4 {
            let mut v = value.clone();
            v.resize(4, 0);
            ifd.extend_from_slice(&v);
        } else {
            let at = ifd_at + ifd_len + extra.len() as u32;
            ifd.extend_from_slice(&at.to_le_bytes());
            extra.extend_from_slice(value);
        }
    }
    ifd.extend_from_slice(&0u32.to_le_bytes());
    out[4..8].copy_from_slice(&ifd_at.to_le_bytes());
    out.extend_from_slice(&data);
    out.extend_from_slice(&ifd);
    out.extend_from_slice(&extra);
    out
}

/// TIFF's LZW (MSB first, 8-bit codes, the early size switch).
fn lzw(raw: &[u8]) -> Vec<u8> {
    weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
        .encode(raw)
        .expect("LZW encodes")
}

const TILED: [Layout; 4] = [
    Layout {
        name: "tiled-planar-8bit-raw.tif",
        bits: 8,
        samples: 3,
        lzw: false,
        tiled: true,
    },
    Layout {
        name: "tiled-planar-8bit-lzw.tif",
        bits: 8,
        samples: 3,
        lzw: true,
        tiled: true,
    },
    Layout {
        name: "tiled-planar-16bit-rgb.tif",
        bits: 16,
        samples: 3,
        lzw: false,
        tiled: true,
    },
    Layout {
        name: "tiled-planar-16bit-rgba.tif",
        bits: 16,
        samples: 4,
        lzw: true,
        tiled: true,
    },
];

#[test]
fn tiled_tiffs_with_separate_planes_get_a_clear_error() {
    let classifier = common::classifier();
    for layout in &TILED {
        for (w, h) in [(64, 64), (100, 75), (20, 20), (40, 33)] {
            let bytes = planar_tiff(layout, w, h);
            match classifier.classify_guarded(&bytes) {
                Err(Error::UnsupportedFormat(message)) => assert!(
                    message.contains("separate colour planes"),
                    "{}: {message}",
                    layout.name
                ),
                other => panic!(
                    "{} {w}x{h}: expected the layout error, got {other:?}",
                    layout.name
                ),
            }
        }
    }
}

#[test]
fn stripped_tiffs_with_separate_planes_never_panic() {
    let classifier = common::classifier();
    for bits in [8, 16] {
        for lzw in [false, true] {
            let layout = Layout {
                name: "stripped",
                bits,
                samples: 3,
                lzw,
                tiled: false,
            };
            let bytes = planar_tiff(&layout, 100, 75);
            let result = classifier.classify_guarded(&bytes);
            assert!(
                !matches!(result, Err(Error::Internal(_))),
                "{bits}-bit lzw={lzw}: {result:?}"
            );
        }
    }
}

#[test]
fn a_batch_with_such_files_still_reports_every_other_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.png");
    common::corpus::picture(256, 200)
        .save(&good)
        .expect("writes a PNG");
    let mut files = vec![good.clone()];
    for layout in &TILED {
        let path = dir.path().join(layout.name);
        std::fs::write(&path, planar_tiff(layout, 100, 75)).expect("writes a TIFF");
        files.push(path);
    }
    files.push(good);
    let out = Command::new(env!("CARGO_BIN_EXE_pneumoscan"))
        .arg("classify")
        .arg("--json")
        .args(&files)
        .env_remove("PNEUMOSCAN_MODEL")
        .output()
        .expect("runs pneumoscan");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let statuses: Vec<&str> = reports
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| r["status"].as_str().unwrap_or("missing"))
        .collect();
    assert_eq!(statuses.len(), files.len());
    assert_ne!(statuses[0], "error");
    assert_ne!(statuses[files.len() - 1], "error");
    for report in &reports.as_array().expect("an array")[1..files.len() - 1] {
        assert_eq!(report["status"], "error");
        let message = report["message"].as_str().unwrap_or_default();
        assert!(message.contains("separate colour planes"), "{message}");
    }
}

/// The guard in `src/input.rs` is still needed: the `tiff` crate that `image` uses
/// panics on these files. When this test fails, the upstream bug is fixed; the guard can
/// then go and such files be decoded.
#[test]
fn the_tiff_crate_itself_still_panics_on_these_layouts() {
    for layout in &TILED {
        // Partial tiles at the right or bottom edge are what trip it (sizes that are a
        // multiple of the tile decode, from the first plane only: refused too).
        for (w, h) in [(100, 75), (20, 20), (40, 33)] {
            let bytes = planar_tiff(layout, w, h);
            let outcome = std::panic::catch_unwind(|| image::load_from_memory(&bytes).map(|_| ()));
            assert!(
                outcome.is_err(),
                "{} {w}x{h}: the tiff crate no longer panics",
                layout.name
            );
        }
    }
}
