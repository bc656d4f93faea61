//! The out-of-distribution gate on images it was not tuned on (its limits come from the
//! training and validation X-rays only): it must accept real chest X-rays, including the
//! full-resolution originals, and refuse photos, documents, screenshots, diagrams, flat
//! images and noise, also when they are grey.

mod common;

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageFormat, Luma, Rgb, RgbImage};

fn png(image: &DynamicImage) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image
        .write_to(&mut bytes, ImageFormat::Png)
        .expect("encodes");
    bytes.into_inner()
}

/// A small deterministic pseudo-random generator (no test should be flaky).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn grey(width: u32, height: u32, f: impl Fn(u32, u32) -> f32) -> DynamicImage {
    DynamicImage::ImageLuma8(GrayImage::from_fn(width, height, |x, y| {
        Luma([(f(x, y).clamp(0.0, 1.0) * 255.0).round() as u8])
    }))
}

/// A page of "text": rows of dark word-sized blocks on white.
fn document(width: u32, height: u32, seed: u64) -> DynamicImage {
    let mut rng = Lcg(seed);
    let mut page = GrayImage::from_pixel(width, height, Luma([245]));
    let mut y = 40;
    while y + 14 < height - 40 {
        let mut x = 40;
        while x < width - 60 {
            let word = 15 + (rng.next() * 50.0) as u32;
            for yy in y..y + 10 {
                for xx in x..(x + word).min(width - 40) {
                    page.put_pixel(xx, yy, Luma([30]));
                }
            }
            x += word + 8;
        }
        y += 22 + if rng.next() < 0.15 { 20 } else { 0 };
    }
    DynamicImage::ImageLuma8(page)
}

/// A desktop screenshot: a title bar, panels, buttons and text rows.
fn screenshot(width: u32, height: u32, colour: bool) -> DynamicImage {
    let mut shot = RgbImage::from_pixel(width, height, Rgb([236, 236, 236]));
    let mut fill = |x0: u32, y0: u32, x1: u32, y1: u32, c: [u8; 3]| {
        for y in y0..y1.min(height) {
            for x in x0..x1.min(width) {
                shot.put_pixel(x, y, Rgb(c));
            }
        }
    };
    let accent = if colour { [40, 90, 200] } else { [70, 70, 70] };
    fill(0, 0, width, 32, accent);
    fill(0, 32, width / 4, height, [210, 210, 210]);
    for row in 0..12 {
        let y = 60 + row * 30;
        fill(
            width / 4 + 20,
            y,
            width - 40 - (row * 37) % 200,
            y + 10,
            [60, 60, 60],
        );
        fill(20, y, width / 4 - 20, y + 12, [150, 150, 150]);
    }
    fill(width - 160, height - 60, width - 40, height - 30, accent);
    DynamicImage::ImageRgb8(shot)
}

/// A block diagram: boxes joined by lines.
fn diagram(width: u32, height: u32) -> DynamicImage {
    grey(width, height, |x, y| {
        let in_box = |cx: u32, cy: u32| {
            let (dx, dy) = (x.abs_diff(cx), y.abs_diff(cy));
            (dx == 60 && dy <= 30) || (dy == 30 && dx <= 60)
        };
        let line = y == height / 2 && x > 100 && x < width - 100;
        if in_box(100, height / 2)
            || in_box(width - 100, height / 2)
            || in_box(width / 2, 80)
            || line
        {
            0.0
        } else {
            1.0
        }
    })
}

fn generated() -> Vec<(String, DynamicImage)> {
    let mut rng = Lcg(7);
    let noise: Vec<f32> = (0..320 * 320).map(|_| rng.next()).collect();
    let mut cases: Vec<(String, DynamicImage)> = vec![
        (
            "uniform noise".into(),
            grey(320, 320, |x, y| noise[(y * 320 + x) as usize]),
        ),
        (
            "smoothed noise".into(),
            grey(320, 320, |x, y| {
                let at =
                    |dx: u32, dy: u32| noise[(((y + dy) % 320) * 320 + (x + dx) % 320) as usize];
                (at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4.0
            }),
        ),
        ("black".into(), grey(300, 300, |_, _| 0.0)),
        ("white".into(), grey(300, 300, |_, _| 1.0)),
        (
            "horizontal gradient".into(),
            grey(400, 300, |x, _| x as f32 / 400.0),
        ),
        (
            "radial gradient".into(),
            grey(400, 400, |x, y| {
                let (dx, dy) = (x as f32 - 200.0, y as f32 - 200.0);
                1.0 - (dx * dx + dy * dy).sqrt() / 283.0
            }),
        ),
        (
            "checkerboard 8".into(),
            grey(256, 256, |x, y| ((x / 8 + y / 8) % 2) as f32),
        ),
        (
            "checkerboard 40".into(),
            grey(400, 400, |x, y| ((x / 40 + y / 40) % 2) as f32),
        ),
        (
            "stripes".into(),
            grey(400, 400, |x, _| ((x / 12) % 2) as f32 * 0.8 + 0.1),
        ),
        ("grey screenshot".into(), screenshot(800, 500, false)),
        ("colour screenshot".into(), screenshot(800, 500, true)),
        ("diagram".into(), diagram(600, 400)),
    ];
    for seed in 1..=3 {
        cases.push((format!("document {seed}"), document(600, 800, seed)));
    }
    cases
}

/// The photos shipped in `../shared/data/ood/non_xray`, as they are and turned grey
/// (grey photos cannot be refused for their colour).
fn photos() -> Vec<(String, Vec<u8>)> {
    let Some(data) = common::data_dir("refuses_non_xrays (photos part)") else {
        return Vec::new();
    };
    let mut cases = Vec::new();
    for path in common::files_in(&data.join("ood/non_xray")) {
        let name = path
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        let bytes = std::fs::read(&path).expect("read");
        let grey = image::load_from_memory(&bytes).expect("decodes").to_luma8();
        cases.push((
            format!("{name} (grey)"),
            png(&DynamicImage::ImageLuma8(grey)),
        ));
        cases.push((name, bytes));
    }
    cases
}

#[test]
fn refuses_non_xrays() {
    let classifier = common::classifier();
    let cases: Vec<(String, Vec<u8>)> = generated()
        .into_iter()
        .map(|(name, image)| (name, png(&image)))
        .chain(photos())
        .collect();
    let mut accepted = Vec::new();
    for (name, bytes) in &cases {
        let p = classifier
            .classify(bytes)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let verdict = p
            .refusal
            .as_ref()
            .map_or("ACCEPTED".to_string(), ToString::to_string);
        eprintln!("{name:>34}: {:?} {verdict}", p.gate);
        if p.refusal.is_none() {
            accepted.push(name.clone());
        }
    }
    eprintln!(
        "refused {} of {} non-X-rays",
        cases.len() - accepted.len(),
        cases.len()
    );
    // Goal: refuse at least 95% of non-X-rays.
    assert!(
        accepted.len() * 20 <= cases.len(),
        "accepted non-X-rays: {accepted:?}"
    );
}

#[test]
fn accepts_full_resolution_chest_xrays() {
    let Some(data) = common::data_dir("accepts_full_resolution_chest_xrays") else {
        return;
    };
    let classifier = common::classifier();
    for label in ["NORMAL", "PNEUMONIA"] {
        for path in common::files_in(&data.join("originals").join(label)) {
            let p = classifier
                .classify(&std::fs::read(&path).expect("read"))
                .expect("classifies");
            assert!(
                p.refusal.is_none(),
                "{}: {:?} {:?}",
                path.display(),
                p.refusal,
                p.gate
            );
        }
    }
}
