//! Exports for run.mjs: `alloc`, then `decode_zune` / `decode_jpeg_decoder` on bytes
//! written into the module's memory. Each returns the sum of the decoded samples (so
//! that the work is not optimised away, and two decoders' outputs can be compared), or
//! 0 when the file does not decode.

use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;

/// `len` bytes for the caller to fill; never freed (the harness keeps them all).
#[unsafe(no_mangle)]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut bytes = Vec::<u8>::with_capacity(len);
    let at = bytes.as_mut_ptr();
    std::mem::forget(bytes);
    at
}

fn bytes<'a>(at: *const u8, len: usize) -> &'a [u8] {
    // SAFETY: run.mjs passes a block from `alloc` that it filled with `len` bytes.
    unsafe { std::slice::from_raw_parts(at, len) }
}

fn sum(samples: &[u8]) -> u32 {
    samples.iter().map(|&v| u32::from(v)).sum()
}

/// zune-jpeg, grey output, as `image` asks it for a grey JPEG.
#[unsafe(no_mangle)]
pub extern "C" fn decode_zune(at: *const u8, len: usize, _scale: u32) -> u32 {
    let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::Luma);
    let mut decoder =
        zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes(at, len)), options);
    decoder.decode().map_or(0, |samples| sum(&samples))
}

/// jpeg-decoder, at 1/`scale` of the size through its DCT scaling (1: full size).
#[unsafe(no_mangle)]
pub extern "C" fn decode_jpeg_decoder(at: *const u8, len: usize, scale: u32) -> u32 {
    let mut decoder = jpeg_decoder::Decoder::new(bytes(at, len));
    let Some((width, height)) = decoder
        .read_info()
        .ok()
        .and_then(|()| decoder.info())
        .map(|i| (i.width, i.height))
    else {
        return 0;
    };
    if scale > 1
        && decoder
            .scale(width / scale as u16, height / scale as u16)
            .is_err()
    {
        return 0;
    }
    decoder.decode().map_or(0, |samples| sum(&samples))
}
