//! A result card's small picture, made from the pixels the model was given.
//!
//! The browser's cards used to show each file by handing the `File` to an `<img>`, so
//! the browser decoded every full-resolution X-ray a second time (120 ms of Chromium's
//! image decoding for the 47 originals, on the same two cores as the classification:
//! `bench/RESULTS.md` (f)), and files it cannot decode (TIFF, DICOM, JPEG 2000) needed a
//! second decode by the core. The model's input plane is already there: the grey image
//! squashed to 224 × 224 by the card's preprocessing. A thumbnail is that plane, its
//! normalisation undone, resampled to the file's proportions, so it costs a resize of
//! 50,000 values instead of a decode of millions, and [`Thumbnail::png`] hands it to the
//! page as a small PNG (the `image` crate's encoder, fastest compression: a picture the
//! browser can show without a canvas, whose decoded pixels it may drop and decode again).

use image::ImageEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};

use crate::card::Preprocess;
use crate::preprocess::{GreyImage, resize_triangle};

/// 8-bit grey pixels, row-major, `width * height` of them, in the file's proportions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// Pixels across.
    pub width: u32,
    /// Pixels down.
    pub height: u32,
    /// Grey values, 0 black to 255 white, row by row from the top-left.
    pub pixels: Vec<u8>,
}

impl Thumbnail {
    /// The thumbnail as an 8-bit grey PNG file.
    pub fn png(&self) -> Vec<u8> {
        let mut png = Vec::with_capacity(self.pixels.len() / 2);
        let encoder =
            PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Sub);
        // Writing to a Vec cannot fail, and `pixels` has `width * height` values by
        // construction ([`thumbnail`]); an empty Vec would only show as no picture.
        let _ = encoder.write_image(
            &self.pixels,
            self.width,
            self.height,
            image::ExtendedColorType::L8,
        );
        png
    }
}

/// The thumbnail of a file of `size` (its width and height as stored) whose model input
/// is `input` (normalised values, `params.resize` in size): at the file's proportions,
/// its longer side `longest` pixels, or the input's own longer side if that is smaller
/// (a thumbnail never has more detail than the plane it comes from). `None` when the
/// input does not have the size the card gives or a size is zero.
pub fn thumbnail(
    input: &[f32],
    params: &Preprocess,
    size: (u32, u32),
    longest: u32,
) -> Option<Thumbnail> {
    let (plane_width, plane_height) = (params.resize.width, params.resize.height);
    let (file_width, file_height) = size;
    if file_width == 0 || file_height == 0 || longest == 0 {
        return None;
    }
    // The normalisation undone: grey values in [0, 1] again.
    let grey = input
        .iter()
        .map(|&v| v * params.std + params.mean)
        .collect();
    let plane = GreyImage::from_raw(plane_width, plane_height, grey)?;
    let longest = longest.min(plane_width.max(plane_height));
    let scale = f64::from(longest) / f64::from(file_width.max(file_height));
    let side = |len: u32| ((f64::from(len) * scale).round() as u32).clamp(1, longest);
    let (width, height) = (side(file_width), side(file_height));
    let small = resize_triangle(&plane, width, height);
    let pixels = small
        .as_raw()
        .iter()
        .map(|&v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
        .collect();
    Some(Thumbnail {
        width,
        height,
        pixels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::to_model_input;

    fn params() -> Preprocess {
        let card: crate::ModelCard =
            crate::ModelCard::from_json(include_str!("../model/model.json"))
                .expect("the bundled card");
        card.preprocess
    }

    /// A grey gradient, dark on the left and light on the right, of `width x height`.
    fn gradient(width: u32, height: u32) -> GreyImage {
        GreyImage::from_fn(width, height, |x, _| {
            image::Luma([x as f32 / (width - 1) as f32])
        })
    }

    #[test]
    fn keeps_the_files_proportions_and_its_grey_values() {
        let params = params();
        let input = to_model_input(&gradient(1200, 900), &params);
        let thumb = thumbnail(&input.values, &params, (1200, 900), 176).expect("a thumbnail");
        assert_eq!((thumb.width, thumb.height), (176, 132));
        assert_eq!(thumb.pixels.len(), 176 * 132);
        // The gradient survives the squash, the normalisation and back: black on the
        // left, white on the right, the middle in between.
        let row = &thumb.pixels[..176];
        assert!(row[0] <= 3, "left {}", row[0]);
        assert!(row[175] >= 252, "right {}", row[175]);
        assert!((120..=136).contains(&row[88]), "middle {}", row[88]);
    }

    #[test]
    fn a_tall_file_gets_a_tall_thumbnail_never_larger_than_the_plane() {
        let params = params();
        let input = to_model_input(&gradient(300, 3000), &params);
        let thumb = thumbnail(&input.values, &params, (300, 3000), 1000).expect("a thumbnail");
        assert_eq!((thumb.width, thumb.height), (22, 224));
        // A very long strip still has a pixel across.
        let thumb = thumbnail(&input.values, &params, (1, 100_000), 176).expect("a thumbnail");
        assert_eq!((thumb.width, thumb.height), (1, 176));
    }

    #[test]
    fn its_png_decodes_to_the_same_pixels() {
        let params = params();
        let input = to_model_input(&gradient(640, 480), &params);
        let thumb = thumbnail(&input.values, &params, (640, 480), 224).expect("a thumbnail");
        let png = thumb.png();
        assert!(png.starts_with(b"\x89PNG"));
        let back =
            image::load_from_memory_with_format(&png, image::ImageFormat::Png).expect("a PNG");
        assert_eq!((back.width(), back.height()), (224, 168));
        assert_eq!(back.to_luma8().into_raw(), thumb.pixels);
    }

    #[test]
    fn no_thumbnail_for_a_wrong_input_or_a_zero_size() {
        let params = params();
        assert_eq!(thumbnail(&[0.0; 10], &params, (100, 100), 176), None);
        let input = to_model_input(&gradient(100, 100), &params);
        assert_eq!(thumbnail(&input.values, &params, (0, 100), 176), None);
        assert_eq!(thumbnail(&input.values, &params, (100, 100), 0), None);
    }
}
