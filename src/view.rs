//! Bytes → the image a viewer shows at full size: the same decoding as classification
//! ([`crate::input`]: the same limits, EXIF orientation, DICOM's Modality LUT, VOI window
//! and MONOCHROME1 inversion), but a JPEG 2000 image at its full resolution, and grey
//! samples at the file's own depth instead of the model's input. A 12- or 16-bit image
//! keeps all its contrast for the viewer's window and level, which 8-bit display values
//! (what a browser's own decoder gives) would have cut away.

use image::DynamicImage;

use crate::error::Error;
use crate::input::{self, Resolution};
use crate::preprocess;

/// One file's image for a viewer.
#[derive(Debug)]
pub struct View {
    /// Width in pixels, upright.
    pub width: u32,
    /// Height in pixels, upright.
    pub height: u32,
    /// 8 when the file's samples are 8-bit (values 0–255), 16 otherwise (0–65535): a
    /// DICOM file's rendering, a 16-bit PNG or TIFF, a JPEG 2000 or JPEG-LS image above 8
    /// bits.
    pub bits: u8,
    /// Grey samples, row by row, one per pixel, in `0..2^bits`; colour becomes grey by
    /// the model card's weights, as for the model.
    pub samples: Vec<u16>,
    /// Format name, e.g. `DICOM`.
    pub format: &'static str,
}

/// Decodes `bytes` for the viewer; colour is made grey with `grey_weights` (the model
/// card's). Errors are those of classification's decoding.
pub fn view(bytes: &[u8], grey_weights: [f32; 3]) -> Result<View, Error> {
    let decoded = input::decode_at(bytes, Resolution::Full)?;
    let (width, height) = (decoded.image.width(), decoded.image.height());
    let (bits, samples) = grey_samples(&decoded.image, grey_weights);
    Ok(View {
        width,
        height,
        bits,
        samples,
        format: decoded.format,
    })
}

/// The image's grey samples and their depth: grey images as they are, the rest through
/// preprocessing's grey conversion (the model's view of colour), rounded back.
fn grey_samples(image: &DynamicImage, weights: [f32; 3]) -> (u8, Vec<u16>) {
    match image {
        DynamicImage::ImageLuma8(b) => (8, b.as_raw().iter().map(|&v| u16::from(v)).collect()),
        DynamicImage::ImageLuma16(b) => (16, b.as_raw().clone()),
        other => {
            let eight = matches!(
                other,
                DynamicImage::ImageLumaA8(_)
                    | DynamicImage::ImageRgb8(_)
                    | DynamicImage::ImageRgba8(_)
            );
            let (bits, max) = if eight { (8, 255.0) } else { (16, 65535.0) };
            let grey = preprocess::to_grey(other, weights);
            let samples = grey
                .image
                .as_raw()
                .iter()
                .map(|&v| (v.clamp(0.0, 1.0) * max).round() as u16)
                .collect();
            (bits, samples)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Luma, Rgb};

    const WEIGHTS: [f32; 3] = [0.299, 0.587, 0.114];

    fn png(image: &DynamicImage) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        image
            .write_to(&mut out, image::ImageFormat::Png)
            .expect("encode");
        out.into_inner()
    }

    #[test]
    fn a_16_bit_png_keeps_every_sample() {
        let image = ImageBuffer::from_fn(64, 40, |x, y| Luma([(x * 1000 + y * 7) as u16]));
        let shown = view(&png(&DynamicImage::ImageLuma16(image.clone())), WEIGHTS).expect("view");
        assert_eq!((shown.width, shown.height, shown.bits), (64, 40, 16));
        assert_eq!(shown.samples, image.into_raw());
        assert_eq!(shown.format, "PNG");
    }

    #[test]
    fn an_8_bit_grey_png_stays_8_bit_and_colour_becomes_grey() {
        let grey = ImageBuffer::from_fn(48, 32, |x, y| Luma([(x * 5 + y) as u8]));
        let shown = view(&png(&DynamicImage::ImageLuma8(grey.clone())), WEIGHTS).expect("view");
        assert_eq!(shown.bits, 8);
        assert_eq!(
            shown.samples,
            grey.as_raw()
                .iter()
                .map(|&v| u16::from(v))
                .collect::<Vec<_>>()
        );

        let colour = ImageBuffer::from_pixel(48, 32, Rgb([200u8, 100, 50]));
        let shown = view(&png(&DynamicImage::ImageRgb8(colour)), WEIGHTS).expect("view");
        assert_eq!(shown.bits, 8);
        let expected = (200.0f32 * 0.299 + 100.0 * 0.587 + 50.0 * 0.114).round() as u16;
        assert!(shown.samples.iter().all(|&v| v.abs_diff(expected) <= 1));
    }

    #[test]
    fn what_classification_refuses_to_decode_the_viewer_refuses_too() {
        assert!(matches!(view(b"", WEIGHTS), Err(Error::Empty)));
        let tiny = DynamicImage::ImageLuma8(ImageBuffer::from_pixel(8, 8, Luma([1u8])));
        assert!(matches!(
            view(&png(&tiny), WEIGHTS),
            Err(Error::TooSmall { .. })
        ));
    }
}
