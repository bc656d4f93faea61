//! The image attributes a frame is decoded and shown with ([`Header`]), and the decoded
//! frame → the grey image a viewer would show: stored bits, Modality LUT, VOI window or
//! LUT, MONOCHROME1 and Presentation LUT inversion.

use dicom_core::value::{PixelFragmentSequence, Value};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemElement;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use dicom_pixeldata::{
    DecodedPixelData, PhotometricInterpretation, PlanarConfiguration, VoiLutFunction, WindowLevel,
    WindowLevelTransform,
};
use image::{DynamicImage, ImageBuffer, Luma, Rgb};

use super::decode::corrupt;
use super::reader::{
    FRAME_VOI_LUT, File, LUT_DATA, LUT_DESCRIPTOR, PIXEL_VALUE_TRANSFORMATION,
    PRESENTATION_LUT_SHAPE, VOI_LUT_SEQUENCE,
};
use crate::error::Error;
use crate::limits::{MAX_DECODER_ALLOC, check_size};

/// The first frame's bytes, for the in-memory object dicom-pixeldata decodes.
pub(super) enum FrameData {
    Native(Vec<u8>),
    Encapsulated(Vec<u8>),
}

// ---- image attributes and limits ---------------------------------------------------------

/// The image attributes that decoding and rendering depend on.
pub(super) struct Header {
    pub(super) rows: u16,
    pub(super) columns: u16,
    pub(super) samples: u16,
    pub(super) bits_allocated: u16,
    pub(super) bits_stored: u16,
    pub(super) high_bit: u16,
    pub(super) signed: bool,
    pub(super) planar: u16,
    pub(super) frames: u32,
    pub(super) photometric: String,
    /// Modality LUT: slope and intercept.
    pub(super) rescale: (f64, f64),
    /// The first VOI window, when there is one.
    pub(super) window: Option<WindowLevel>,
    pub(super) function: VoiLutFunction,
    /// The first item of the VOI LUT Sequence, when there is one (used before a window).
    pub(super) voi_lut: Option<VoiLut>,
    /// Shown inverted: MONOCHROME1, or a Presentation LUT Shape of INVERSE.
    pub(super) inverse: bool,
}

/// A VOI LUT (PS3.3 C.11.2): rescaled values from `first` on map to `data`'s entries
/// (the last entry beyond them), each `bits` wide.
pub(super) struct VoiLut {
    pub(super) first: f64,
    pub(super) bits: u16,
    pub(super) data: Vec<u16>,
}

impl VoiLut {
    /// The first VOI LUT of the file, when its descriptor and data agree.
    fn read(file: &File<'_>) -> Option<VoiLut> {
        let set = file.item_set(VOI_LUT_SEQUENCE)?;
        let descriptor = file.words(set.get(LUT_DESCRIPTOR)?);
        let &[entries, first, bits] = descriptor.get(..3)? else {
            return None;
        };
        let entries = if entries == 0 {
            65536
        } else {
            usize::from(entries)
        };
        let data = file.words(set.get(LUT_DATA)?);
        // The first mapped value is signed when the pixels are (US or SS, PS3.3 C.11.1.1).
        let first = if file.us((0x0028, 0x0103)) == Some(1) {
            f64::from(first as i16)
        } else {
            f64::from(first)
        };
        (data.len() >= entries && (1..=16).contains(&bits)).then(|| VoiLut {
            first,
            bits,
            data: data[..entries].to_vec(),
        })
    }

    /// The LUT's output for a rescaled value, on 0..=1.
    fn apply(&self, value: f64) -> f64 {
        let last = self.data.len().saturating_sub(1);
        let index = (value.round() - self.first).clamp(0.0, last as f64) as usize;
        let max = f64::from((1u32 << self.bits) - 1);
        (f64::from(self.data[index]) / max).clamp(0.0, 1.0)
    }
}

impl Header {
    pub(super) fn read(file: &File<'_>) -> Result<Self, Error> {
        let required = |tag: (u16, u16), name: &str| {
            file.us(tag)
                .ok_or_else(|| corrupt(format!("{name} is missing")))
        };
        let rows = required((0x0028, 0x0010), "Rows")?;
        let columns = required((0x0028, 0x0011), "Columns")?;
        let bits_allocated = required((0x0028, 0x0100), "Bits Allocated")?;
        let bits_stored = file.us((0x0028, 0x0101)).unwrap_or(bits_allocated);
        let high_bit = file
            .us((0x0028, 0x0102))
            .unwrap_or(bits_stored.saturating_sub(1));
        let samples = file.us((0x0028, 0x0002)).unwrap_or(1);
        let frames = match file.top.number((0x0028, 0x0008)) {
            Some(n) if (1.0..=f64::from(u32::MAX)).contains(&n) => n as u32,
            _ => 1,
        };
        let photometric = file
            .top
            .text((0x0028, 0x0004))
            .ok_or_else(|| corrupt("Photometric Interpretation is missing"))?;

        if bits_allocated != 8 && bits_allocated != 16 {
            return Err(Error::DicomUnsupported(format!(
                "{bits_allocated} bits allocated per sample (8 and 16 are supported)"
            )));
        }
        if bits_stored == 0 || bits_stored > bits_allocated {
            return Err(corrupt(format!(
                "Bits Stored {bits_stored} does not fit in Bits Allocated {bits_allocated}"
            )));
        }
        let grey = matches!(photometric.as_str(), "MONOCHROME1" | "MONOCHROME2");
        match (samples, grey) {
            (1, true) => {}
            (3, false) if photometric.starts_with("RGB") || photometric.starts_with("YBR") => {}
            _ => {
                return Err(Error::DicomUnsupported(format!(
                    "photometric interpretation {photometric} with {samples} sample(s) per pixel"
                )));
            }
        }

        let transformation = |tag| file.number(PIXEL_VALUE_TRANSFORMATION, tag);
        let rescale = (
            transformation((0x0028, 0x1053)).unwrap_or(1.0),
            transformation((0x0028, 0x1052)).unwrap_or(0.0),
        );
        let voi = |tag| file.number(FRAME_VOI_LUT, tag);
        let window = match (voi((0x0028, 0x1050)), voi((0x0028, 0x1051))) {
            (Some(center), Some(width)) => Some(WindowLevel { center, width }),
            _ => None,
        };
        let photometric_inverse = photometric == "MONOCHROME1"
            || (photometric == "MONOCHROME2"
                && file.top.text(PRESENTATION_LUT_SHAPE).as_deref() == Some("INVERSE"));
        let function = match file.text(FRAME_VOI_LUT, (0x0028, 0x1056)).as_deref() {
            Some("SIGMOID") => VoiLutFunction::Sigmoid,
            Some("LINEAR_EXACT") => VoiLutFunction::LinearExact,
            _ => VoiLutFunction::Linear,
        };
        Ok(Header {
            rows,
            columns,
            samples,
            bits_allocated,
            bits_stored,
            high_bit,
            signed: file.us((0x0028, 0x0103)) == Some(1),
            planar: file.us((0x0028, 0x0006)).unwrap_or(0),
            frames,
            photometric,
            rescale,
            window,
            function,
            voi_lut: VoiLut::read(file),
            inverse: photometric_inverse,
        })
    }

    /// Bytes of one decoded frame.
    pub(super) fn frame_bytes(&self) -> usize {
        // YBR_FULL_422 stores two luma samples and one pair of chroma samples per two
        // pixels (PS3.3 C.7.6.3.1.2): two samples per pixel instead of three.
        let samples = if self.photometric == "YBR_FULL_422" {
            2
        } else {
            usize::from(self.samples)
        };
        usize::from(self.rows)
            * usize::from(self.columns)
            * samples
            * usize::from(self.bits_allocated / 8)
    }

    /// An uncompressed YBR_FULL_422 frame (Y1 Y2 Cb Cr per two pixels) → YBR_FULL
    /// (Y Cb Cr per pixel), which [`render`] turns into RGB.
    pub(super) fn expand_ybr_422(&mut self, frame: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(frame.len() / 2 * 3);
        for group in frame.chunks_exact(4) {
            let [y1, y2, cb, cr] = [group[0], group[1], group[2], group[3]];
            out.extend_from_slice(&[y1, cb, cr, y2, cb, cr]);
        }
        self.photometric = "YBR_FULL".into();
        self.planar = 0;
        out
    }

    /// The decode limits of [`crate::input`]: pixels per side and in all, and memory (at
    /// most four frames' worth at once: the frame handed to dicom-pixeldata, its decoded
    /// copy, a codec's buffer, the rendered image).
    pub(super) fn check_limits(&self) -> Result<(), Error> {
        check_size(u32::from(self.columns), u32::from(self.rows))?;
        if 4 * self.frame_bytes() as u64 > MAX_DECODER_ALLOC {
            return Err(Error::TooLarge(format!(
                "decoding it would need more than {} MiB",
                MAX_DECODER_ALLOC >> 20
            )));
        }
        Ok(())
    }

    /// A one-frame dicom-object holding just what dicom-pixeldata needs to decode it.
    pub(super) fn object(
        &self,
        syntax: &str,
        frame: FrameData,
    ) -> Result<dicom_object::DefaultDicomObject, Error> {
        let us = |tag: Tag, v: u16| -> InMemElement {
            DataElement::new(tag, VR::US, PrimitiveValue::from(v))
        };
        let mut elements = vec![
            us(tags::ROWS, self.rows),
            us(tags::COLUMNS, self.columns),
            us(tags::SAMPLES_PER_PIXEL, self.samples),
            us(tags::PLANAR_CONFIGURATION, self.planar),
            us(tags::BITS_ALLOCATED, self.bits_allocated),
            us(tags::BITS_STORED, self.bits_stored),
            us(tags::HIGH_BIT, self.high_bit),
            us(tags::PIXEL_REPRESENTATION, u16::from(self.signed)),
            DataElement::new(
                tags::PHOTOMETRIC_INTERPRETATION,
                VR::CS,
                PrimitiveValue::from(self.photometric.as_str()),
            ),
            DataElement::new(tags::NUMBER_OF_FRAMES, VR::IS, PrimitiveValue::from("1")),
        ];
        elements.push(match frame {
            FrameData::Native(bytes) => {
                let vr = if self.bits_allocated == 16 {
                    VR::OW
                } else {
                    VR::OB
                };
                DataElement::new(tags::PIXEL_DATA, vr, PrimitiveValue::from(bytes))
            }
            FrameData::Encapsulated(bytes) => DataElement::new(
                tags::PIXEL_DATA,
                VR::OB,
                Value::from(PixelFragmentSequence::new(Vec::<u32>::new(), vec![bytes])),
            ),
        });
        InMemDicomObject::from_element_iter(elements)
            .with_meta(
                FileMetaTableBuilder::new()
                    .transfer_syntax(syntax)
                    .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.7")
                    .media_storage_sop_instance_uid("2.25.1"),
            )
            .map_err(|e| corrupt(e.to_string()))
    }
}

// ---- rendering ----------------------------------------------------------------------------

/// The decoded first frame → the image a viewer would show.
pub(super) fn render(
    pixels: &DecodedPixelData<'_>,
    header: &Header,
) -> Result<DynamicImage, Error> {
    let (width, height) = (u32::from(header.columns), u32::from(header.rows));
    let data = pixels
        .frame_data(0)
        .map_err(|_| corrupt("the pixel data is shorter than Rows × Columns"))?;
    let wide = header.bits_allocated == 16;
    let sample = |i: usize| -> u16 {
        if wide {
            u16::from_le_bytes([data[2 * i], data[2 * i + 1]])
        } else {
            u16::from(data[i])
        }
    };
    let count = width as usize * height as usize;
    let buffer_error = || corrupt("the pixel data does not match Rows × Columns");

    if header.samples == 3 {
        // Colour: shown as stored (the gate refuses colour images in plain words). The
        // JPEG codec turns YBR into RGB; YBR stored as such is not converted.
        let ybr = *pixels.photometric_interpretation() == PhotometricInterpretation::YbrFull;
        if ybr && !wide {
            // YBR_FULL stored as such (ITU-R BT.601 full range, PS3.3 C.7.6.3.1.2) → RGB,
            // so that the gate refuses it as colour like any other colour image.
            let planar = pixels.planar_configuration() == PlanarConfiguration::PixelFirst;
            let at = |p: usize, c: usize| {
                f64::from(data[if planar { c * count + p } else { 3 * p + c }])
            };
            let mut values = Vec::with_capacity(count * 3);
            for p in 0..count {
                let (y, cb, cr) = (at(p, 0), at(p, 1) - 128.0, at(p, 2) - 128.0);
                for v in [
                    y + 1.402 * cr,
                    y - 0.344136 * cb - 0.714136 * cr,
                    y + 1.772 * cb,
                ] {
                    values.push(v.round().clamp(0.0, 255.0) as u8);
                }
            }
            return Ok(DynamicImage::ImageRgb8(
                ImageBuffer::<Rgb<u8>, _>::from_raw(width, height, values)
                    .ok_or_else(buffer_error)?,
            ));
        }
        if *pixels.photometric_interpretation() != PhotometricInterpretation::Rgb {
            return Err(Error::DicomUnsupported(format!(
                "colour pixels in {}",
                pixels.photometric_interpretation()
            )));
        }
        let planar = pixels.planar_configuration() == PlanarConfiguration::PixelFirst;
        let index = |p: usize, c: usize| if planar { c * count + p } else { 3 * p + c };
        return Ok(if wide {
            let values: Vec<u16> = (0..count * 3)
                .map(|i| sample(index(i / 3, i % 3)))
                .collect();
            DynamicImage::ImageRgb16(
                ImageBuffer::<Rgb<u16>, _>::from_raw(width, height, values)
                    .ok_or_else(buffer_error)?,
            )
        } else {
            let values: Vec<u8> = (0..count * 3).map(|i| data[index(i / 3, i % 3)]).collect();
            DynamicImage::ImageRgb8(
                ImageBuffer::<Rgb<u8>, _>::from_raw(width, height, values)
                    .ok_or_else(buffer_error)?,
            )
        });
    }

    let code = stored_bits(header);
    let lut = grey_lut(header, (0..count).map(|i| code(sample(i))));
    Ok(if header.bits_stored > 8 {
        let values: Vec<u16> = (0..count).map(|i| lut[code(sample(i))]).collect();
        DynamicImage::ImageLuma16(
            ImageBuffer::<Luma<u16>, _>::from_raw(width, height, values)
                .ok_or_else(buffer_error)?,
        )
    } else {
        let values: Vec<u8> = (0..count)
            .map(|i| (lut[code(sample(i))] >> 8) as u8)
            .collect();
        DynamicImage::ImageLuma8(
            ImageBuffer::<Luma<u8>, _>::from_raw(width, height, values).ok_or_else(buffer_error)?,
        )
    })
}

/// Sample → its stored bits (Bits Stored wide, ending at High Bit), as an index.
pub(super) fn stored_bits(header: &Header) -> impl Fn(u16) -> usize + use<> {
    let stored = u32::from(header.bits_stored.clamp(1, 16));
    let high_bit = u32::from(header.high_bit);
    // A High Bit that contradicts Bits Stored is taken as the usual Bits Stored - 1.
    let shift = if high_bit + 1 >= stored && high_bit < u32::from(header.bits_allocated) {
        high_bit + 1 - stored
    } else {
        0
    };
    let mask = (1u32 << stored) - 1;
    move |v: u16| ((u32::from(v) >> shift) & mask) as usize
}

/// The output value (0..=65535; its top byte for 8-bit output) of every possible stored
/// value: Modality LUT, then the first VOI window or the min–max of the rescaled values
/// in `codes` (the frame's stored values), then MONOCHROME1 inversion.
pub(super) fn grey_lut(header: &Header, codes: impl Iterator<Item = usize>) -> Vec<u16> {
    let count = 1usize << header.bits_stored.clamp(1, 16);
    let (slope, intercept) = header.rescale;
    let value = |code: usize| -> f64 {
        let raw = if header.signed && code >= count / 2 {
            code as f64 - count as f64
        } else {
            code as f64
        };
        raw * slope + intercept
    };
    let max = f64::from(u16::MAX);

    let mut lut: Vec<f64> = match (&header.voi_lut, header.window) {
        (Some(voi_lut), _) => (0..count).map(|c| voi_lut.apply(value(c)) * max).collect(),
        (None, Some(window)) => {
            let transform = WindowLevelTransform::new(header.function, window);
            (0..count).map(|c| transform.apply(value(c), max)).collect()
        }
        (None, None) => {
            // No window: stretch the rescaled values present in the frame.
            let mut seen = vec![false; count];
            for code in codes {
                seen[code] = true;
            }
            let (lo, hi) = (0..count)
                .filter(|&c| seen[c])
                .map(value)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                });
            let span = hi - lo;
            (0..count)
                .map(|c| {
                    if span > 0.0 {
                        (value(c) - lo) / span * max
                    } else {
                        0.0
                    }
                })
                .collect()
        }
    };
    if header.inverse {
        for v in &mut lut {
            *v = max - *v;
        }
    }
    lut.into_iter()
        .map(|v| v.round().clamp(0.0, max) as u16)
        .collect()
}
