//! Decoded image → the model's input, exactly as in training (`training/data.py`):
//! values scaled to [0, 1], grey by the card's weights, squashed (no crop) to the
//! input size with a triangle filter, then `(grey - mean) / std`.

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
        // Float images (TIFF) directly: a converted copy would double their memory.
        DynamicImage::ImageRgb32F(b) => rgb_channels(b.as_raw(), 3, weights, unit),
        DynamicImage::ImageRgba32F(b) => rgb_channels(b.as_raw(), 4, weights, unit),
        other => rgb_channels(other.to_rgb32f().as_raw(), 3, weights, unit),
    };
    let image = GreyImage::from_raw(width, height, values).expect("one value per pixel");
    Grey {
        image,
        colourfulness,
    }
}

/// A float sample in [0, 1]: clamped, and NaN as 0 (a float TIFF may hold NaN or
/// infinities, which would otherwise make the probability NaN).
fn unit(v: f32) -> f32 {
    if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) }
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
        resized = resize_triangle(grey, width, height);
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

/// Squashes a grey image to `width x height` with a triangle filter.
///
/// The same computation as `image::imageops::resize(grey, width, height,
/// FilterType::Triangle)` (training's reference, see the module docs): the same weights,
/// vertical pass first, the same order of additions, results clamped to [0, 1], so the
/// same values bit for bit (a test checks it). Written for one channel and whole rows at
/// a time, which `image`'s generic per-pixel RGBA path is not: on the full-resolution
/// originals 6x faster natively, and the preprocessing stage 9x faster in the browser
/// (bench/RESULTS.md).
pub fn resize_triangle(grey: &GreyImage, width: u32, height: u32) -> GreyImage {
    let (sw, sh) = (grey.width() as usize, grey.height() as usize);
    let (dw, dh) = (width as usize, height as usize);
    let src = grey.as_raw();
    if sw == 0 || sh == 0 || dw == 0 || dh == 0 {
        return GreyImage::new(width, height);
    }

    // Vertical pass: sw x dh, each output row a weighted sum of whole input rows.
    let mut tmp = vec![0.0f32; sw * dh];
    let mut weights = Vec::new();
    for (y, row) in tmp.chunks_exact_mut(sw).enumerate() {
        let first = triangle_weights(sh, dh, y, &mut weights);
        for (i, &w) in weights.iter().enumerate() {
            let input = &src[(first + i) * sw..][..sw];
            for (t, &v) in row.iter_mut().zip(input) {
                *t += v * w;
            }
        }
    }

    // Horizontal pass: dw x dh, with each column's weights computed once.
    let columns: Vec<(usize, Vec<f32>)> = (0..dw)
        .map(|x| {
            let mut w = Vec::new();
            (triangle_weights(sw, dw, x, &mut w), w)
        })
        .collect();
    let mut out = Vec::with_capacity(dw * dh);
    for row in tmp.chunks_exact(sw) {
        for (first, w) in &columns {
            let mut t = 0.0f32;
            for (&v, &w) in row[*first..].iter().zip(w) {
                t += v * w;
            }
            out.push(t.clamp(0.0, 1.0));
        }
    }
    GreyImage::from_raw(width, height, out).expect("one value per pixel")
}

/// The normalised triangle-filter weights of output sample `out` when `len` input samples
/// become `new_len` (as `image` computes them); returns the first input sample's index.
fn triangle_weights(len: usize, new_len: usize, out: usize, weights: &mut Vec<f32>) -> usize {
    let ratio = len as f32 / new_len as f32;
    let sratio = if ratio < 1.0 { 1.0 } else { ratio };
    let support = sratio; // the triangle's support is 1 input sample, scaled
    let centre = (out as f32 + 0.5) * ratio;
    let left = ((centre - support).floor() as i64).clamp(0, len as i64 - 1);
    let right = ((centre + support).ceil() as i64).clamp(left + 1, len as i64);
    let centre = centre - 0.5;
    weights.clear();
    let mut sum = 0.0;
    for i in left..right {
        let x = (i as f32 - centre) / sratio;
        let w = if x.abs() < 1.0 { 1.0 - x.abs() } else { 0.0 };
        weights.push(w);
        sum += w;
    }
    for w in weights.iter_mut() {
        *w /= sum;
    }
    left as usize
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

#[cfg(test)]
mod tests {
    use super::*;
    use image::imageops::{self, FilterType};

    /// A grey picture with edges, gradients and noise-like texture, values in [0, 1].
    fn picture(width: u32, height: u32) -> GreyImage {
        GreyImage::from_fn(width, height, |x, y| {
            let v = (x * 7 + y * 13) % 251 + ((x / 17 + y / 11) % 2) * 3;
            Luma([(v % 256) as f32 / 255.0])
        })
    }

    #[test]
    fn resize_is_bit_identical_to_image_triangle() {
        for (w, h, nw, nh) in [
            (1500, 1200, 224, 224),
            (1024, 1648, 224, 224),
            (225, 223, 224, 224),
            (40, 33, 224, 224),
            (300, 97, 17, 224),
        ] {
            let grey = picture(w, h);
            let ours = resize_triangle(&grey, nw, nh);
            let theirs = imageops::resize(&grey, nw, nh, FilterType::Triangle);
            assert_eq!(ours.dimensions(), theirs.dimensions());
            for (i, (a, b)) in ours.as_raw().iter().zip(theirs.as_raw()).enumerate() {
                assert_eq!(
                    a.to_bits(),
                    b.to_bits(),
                    "{w}x{h} -> {nw}x{nh}, value {i}: {a} vs {b}"
                );
            }
        }
    }
}
