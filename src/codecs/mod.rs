//! Pixel codecs that both ordinary image files ([`crate::input`]) and DICOM pixel data
//! ([`crate::dicom`]) use, wrapped so that each reports its size before it decodes (for
//! the limits of [`crate::limits`]) and gives samples at their native bit depth.
//!
//! - [`jpeg2000`]: JPEG 2000 Part 1 and High-Throughput JPEG 2000, codestreams and JP2
//!   files, through `dicom-toolkit-jpeg2000` (pure Rust, keeps samples above 8 bits,
//!   decodes at a reduced resolution level on request);
//! - [`jpegls`]: JPEG-LS lossless and near-lossless, vendored (see its docs for why);
//! - [`jpeg12`]: sequential DCT JPEG at 12 bits per sample (DICOM's JPEG Extended),
//!   hand-written (see its docs for why).

pub mod jpeg12;
pub mod jpeg2000;
pub mod jpegls;

/// Decoded samples at their native bit depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Samples {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Significant bits per sample (1–16).
    pub bits: u8,
    /// Components per pixel (1 grey, 3 colour, 4 colour with alpha).
    pub components: u8,
    /// The codestream says the samples are signed. They are still stored offset by half
    /// the range (0 for the most negative value), as the decoder gives them.
    pub signed: bool,
    /// Interleaved samples: one byte each when `bits` ≤ 8, else two, little endian.
    pub data: Vec<u8>,
}

impl Samples {
    /// Bytes each sample takes in [`Samples::data`].
    pub fn sample_bytes(&self) -> usize {
        if self.bits <= 8 { 1 } else { 2 }
    }

    /// True when `data` holds exactly width × height × components samples.
    pub fn is_complete(&self) -> bool {
        self.data.len()
            == self.width as usize
                * self.height as usize
                * usize::from(self.components)
                * self.sample_bytes()
    }
}

impl Samples {
    /// The samples as an image for preprocessing, for formats without a viewer's
    /// rendering step (a `.jp2` file): 8-bit samples as they are, deeper ones scaled to
    /// the full 16-bit range (a 12-bit 4095 becomes 65535), so that preprocessing's
    /// value scale holds. `None` when the component count has no image type.
    pub fn into_image(self) -> Option<image::DynamicImage> {
        use image::{DynamicImage, ImageBuffer};
        let (w, h) = (self.width, self.height);
        if self.bits <= 8 {
            let max = (1u32 << self.bits) - 1;
            let data: Vec<u8> = if self.bits == 8 {
                self.data
            } else {
                self.data
                    .iter()
                    .map(|&v| (u32::from(v).min(max) * 255 / max.max(1)) as u8)
                    .collect()
            };
            return Some(match self.components {
                1 => DynamicImage::ImageLuma8(ImageBuffer::from_raw(w, h, data)?),
                2 => DynamicImage::ImageLumaA8(ImageBuffer::from_raw(w, h, data)?),
                3 => DynamicImage::ImageRgb8(ImageBuffer::from_raw(w, h, data)?),
                4 => DynamicImage::ImageRgba8(ImageBuffer::from_raw(w, h, data)?),
                _ => return None,
            });
        }
        let max = (1u64 << self.bits) - 1;
        let data: Vec<u16> = self
            .data
            .chunks_exact(2)
            .map(|b| {
                let v = u64::from(u16::from_le_bytes([b[0], b[1]])).min(max);
                (v * 65535 / max) as u16
            })
            .collect();
        Some(match self.components {
            1 => DynamicImage::ImageLuma16(ImageBuffer::from_raw(w, h, data)?),
            2 => DynamicImage::ImageLumaA16(ImageBuffer::from_raw(w, h, data)?),
            3 => DynamicImage::ImageRgb16(ImageBuffer::from_raw(w, h, data)?),
            4 => DynamicImage::ImageRgba16(ImageBuffer::from_raw(w, h, data)?),
            _ => return None,
        })
    }
}
