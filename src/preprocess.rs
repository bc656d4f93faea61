//! Decoded image → the model's input, exactly as in training (`training/data.py`):
//! values scaled to [0, 1], grey by the card's weights, squashed (no crop) to the
//! input size with a triangle filter, then `(grey - mean) / std`.

use image::imageops::{self, FilterType};
use image::{DynamicImage, ImageBuffer, Luma};

use crate::card::Preprocess;

/// A single-channel float image with values in [0, 1].
pub type GreyImage = ImageBuffer<Luma<f32>, Vec<f32>>;

/// The grey image and the colour statistic the gate needs.
#[derive(Debug)]
pub struct Grey {
    /// Grey values in [0, 1], full resolution.
    pub image: GreyImage,
    /// Mean absolute difference between colour channels, in [0, 1]; 0 for grey files.
    pub colourfulness: f32,
}

/// The model's input tensor data and the statistic the gate needs.
#[derive(Debug)]
pub struct ModelInput {
    /// Normalised values, row-major, `height * width` of them.
    pub values: Vec<f32>,
    /// Standard deviation of the resized grey image, before normalisation.
    pub grey_std: f32,
}

/// Converts any decoded image to grey in [0, 1]; alpha is ignored.
pub fn to_grey(image: &DynamicImage, weights: [f32; 3]) -> Grey {
    let (width, height) = (image.width(), image.height());
    let (values, colourfulness) = match image {
        DynamicImage::ImageLuma8(b) => grey_channels(b.as_raw(), 1, |v| f32::from(v) / 255.0),
        DynamicImage::ImageLumaA8(b) => grey_channels(b.as_raw(), 2, |v| f32::from(v) / 255.0),
        DynamicImage::ImageLuma16(b) => grey_channels(b.as_raw(), 1, |v| f32::from(v) / 65535.0),
        DynamicImage::ImageLumaA16(b) => grey_channels(b.as_raw(), 2, |v| f32::from(v) / 65535.0),
        DynamicImage::ImageRgb8(b) => {
            rgb_channels(b.as_raw(), 3, weights, |v| f32::from(v) / 255.0)
        }
        DynamicImage::ImageRgba8(b) => {
            rgb_channels(b.as_raw(), 4, weights, |v| f32::from(v) / 255.0)
        }
        DynamicImage::ImageRgb16(b) => {
            rgb_channels(b.as_raw(), 3, weights, |v| f32::from(v) / 65535.0)
        }
        DynamicImage::ImageRgba16(b) => {
            rgb_channels(b.as_raw(), 4, weights, |v| f32::from(v) / 65535.0)
        }
        other => rgb_channels(other.to_rgb32f().as_raw(), 3, weights, |v| {
            v.clamp(0.0, 1.0)
        }),
    };
    let image = GreyImage::from_raw(width, height, values).expect("one value per pixel");
    Grey {
        image,
        colourfulness,
    }
}

fn grey_channels<T: Copy>(raw: &[T], channels: usize, scale: impl Fn(T) -> f32) -> (Vec<f32>, f32) {
    (
        raw.chunks_exact(channels).map(|p| scale(p[0])).collect(),
        0.0,
    )
}

fn rgb_channels<T: Copy>(
    raw: &[T],
    channels: usize,
    [wr, wg, wb]: [f32; 3],
    scale: impl Fn(T) -> f32,
) -> (Vec<f32>, f32) {
    let mut colour = 0.0f64;
    let values: Vec<f32> = raw
        .chunks_exact(channels)
        .map(|p| {
            let (r, g, b) = (scale(p[0]), scale(p[1]), scale(p[2]));
            colour += f64::from((r - g).abs() + (g - b).abs() + (r - b).abs()) / 3.0;
            r * wr + g * wg + b * wb
        })
        .collect();
    let colourfulness = if values.is_empty() {
        0.0
    } else {
        (colour / values.len() as f64) as f32
    };
    (values, colourfulness)
}

/// Squashes the grey image to the model's input size and normalises it.
pub fn to_model_input(grey: &GreyImage, params: &Preprocess) -> ModelInput {
    let (width, height) = (params.resize.width, params.resize.height);
    let resized;
    let plane = if grey.dimensions() == (width, height) {
        grey
    } else {
        resized = imageops::resize(grey, width, height, FilterType::Triangle);
        &resized
    };
    let grey_std = std_dev(plane.as_raw());
    let values = plane
        .as_raw()
        .iter()
        .map(|&v| (v - params.mean) / params.std)
        .collect();
    ModelInput { values, grey_std }
}

fn std_dev(values: &[f32]) -> f32 {
    let n = values.len().max(1) as f64;
    let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = values
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    var.sqrt() as f32
}
