// The core's grey image of a file (client.js view: {width, height, bits, samples}, the
// samples in 0..2^bits − 1) → canvas pixels, through a window: `low` is the sample value
// shown black, `low + width` the one shown white, linear between. The viewer redraws
// with the user's window; the report draws the file's own (the full range).

/** Writes `view` through the window into `target` (an ImageData of the view's size). */
export function windowed(view, low, width, target) {
  const max = 2 ** view.bits - 1;
  const lut = new Uint8ClampedArray(max + 1); // assignments round and clamp to 0..255
  for (let v = 0; v <= max; v++) lut[v] = ((v - low) * 255) / width;
  const pixels = new Uint32Array(target.data.buffer); // RGBA, little endian: alpha high
  const { samples } = view;
  for (let i = 0; i < samples.length; i++) pixels[i] = 0xff000000 | (lut[samples[i]] * 0x010101);
  return target;
}

/** The view at its full range, as an ImageBitmap (for drawing on another canvas). */
export function bitmapOf(view) {
  const max = 2 ** view.bits - 1;
  return createImageBitmap(windowed(view, 0, max, new ImageData(view.width, view.height)));
}

/**
 * A small PNG of the view, its longer side at most `side` px (twice a card's thumbnail,
 * for sharp screens): a card's thumbnail where the browser cannot decode the file itself.
 */
export async function thumbnailBlob(view, side = 352) {
  const scale = Math.min(1, side / Math.max(view.width, view.height));
  const width = Math.max(1, Math.round(view.width * scale));
  const height = Math.max(1, Math.round(view.height * scale));
  const full = windowed(view, 0, 2 ** view.bits - 1, new ImageData(view.width, view.height));
  const small = await createImageBitmap(full, { resizeWidth: width, resizeHeight: height, resizeQuality: "medium" });
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext("2d").drawImage(small, 0, 0);
  small.close();
  return canvas.convertToBlob({ type: "image/png" });
}
