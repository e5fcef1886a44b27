// Plots too large for the model are downscaled to fit the image limit instead of being replaced by
// a note (users' most common complaint after time-outs: figures of 70–100k base64 characters that
// never reach the model). Pure JavaScript codecs (pngjs, jpeg-js): no native module in the .vsix.
// Only what the model reads is downscaled; the notebook keeps the original image.
import { createHash } from 'crypto';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';

export interface FittedImage {
  /** Base64 of the downscaled image, same MIME type as the original. */
  data: string;
  bytes: number;
  width: number;
  height: number;
  fromWidth: number;
  fromHeight: number;
}

/**
 * Beyond this many pixels the image is not decoded at all: decoding and downscaling run on the
 * event loop, ≈ 60 ns a pixel, and hold 4 bytes of RGBA plus 16 of working space per pixel (a
 * 40-megapixel PNG stalled the server 2.4 s and took 600 MB). 8 megapixels (3264×2448) is
 * larger than any figure a notebook shows; the note says the size instead.
 */
export const MAX_PIXELS = 8_000_000;
/** Not smaller than this on the longer side: below, a plot is no longer readable. */
const MIN_SIDE = 64;

/** Width and height from the image's header (PNG IHDR, JPEG SOF), without decoding it. */
export function imageSize(input: Buffer, mime: 'image/png' | 'image/jpeg'): { width: number; height: number } | undefined {
  if (mime === 'image/png') {
    if (input.length < 24 || input.readUInt32BE(0) !== 0x89504e47 || input.toString('latin1', 12, 16) !== 'IHDR') return undefined;
    return { width: input.readUInt32BE(16), height: input.readUInt32BE(20) };
  }
  // JPEG: markers from SOI on; the first start-of-frame (C0-CF, but not DHT C4, JPG C8, DAC CC) holds the size.
  if (input.length < 4 || input[0] !== 0xff || input[1] !== 0xd8) return undefined;
  for (let i = 2; i + 9 < input.length; ) {
    if (input[i] !== 0xff) return undefined;
    const marker = input[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    const len = input.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: input.readUInt16BE(i + 5), width: input.readUInt16BE(i + 7) };
    }
    i += 2 + len;
  }
  return undefined;
}

/** The header's size when the image has more pixels than MAX_PIXELS (it is then never decoded). */
export function tooLargeToFit(b64: string, mime: 'image/png' | 'image/jpeg'): { width: number; height: number } | undefined {
  // The header is in the first bytes: decode only those (a JPEG's SOF can come after its EXIF block).
  const head = Buffer.from(b64.slice(0, mime === 'image/png' ? 32 : 131_072).replace(/\s+/g, ''), 'base64');
  const size = imageSize(head, mime);
  return size && size.width * size.height > MAX_PIXELS ? size : undefined;
}

/** The last images fitted (their results, or that they could not be): reading a plot again costs nothing. */
const fitted = new Map<string, FittedImage | null>();
const FITTED_KEPT = 16;

/**
 * Returns the image downscaled (aspect ratio kept) so that it encodes within maxBytes, or
 * undefined when it cannot be decoded, is too large to decode safely (tooLargeToFit), or would
 * have to become unreadably small. Never throws. The last results are kept (by the image's hash).
 */
export function fitImage(b64: string, mime: 'image/png' | 'image/jpeg', maxBytes: number): FittedImage | undefined {
  if (tooLargeToFit(b64, mime)) return undefined;
  const key = `${mime} ${maxBytes} ${createHash('sha1').update(b64).digest('base64')}`;
  const hit = fitted.get(key);
  if (hit !== undefined) {
    fitted.delete(key);
    fitted.set(key, hit);
    return hit ?? undefined;
  }
  const result = fitUncached(b64, mime, maxBytes);
  fitted.set(key, result ?? null);
  if (fitted.size > FITTED_KEPT) fitted.delete(fitted.keys().next().value!);
  return result;
}

function fitUncached(b64: string, mime: 'image/png' | 'image/jpeg', maxBytes: number): FittedImage | undefined {
  try {
    const input = Buffer.from(b64, 'base64');
    const decoded = mime === 'image/png' ? decodePng(input) : decodeJpeg(input);
    if (!decoded) return undefined;
    const { width, height, data } = decoded;
    // Encoded size grows roughly with the pixel count: start from the area ratio, with a margin.
    let scale = Math.min(0.95, Math.sqrt(maxBytes / input.length) * 0.9);
    for (;;) {
      const w = Math.max(1, Math.round(width * scale));
      const h = Math.max(1, Math.round(height * scale));
      if (Math.max(w, h) < MIN_SIDE) return undefined;
      const pixels = resizeArea(data, width, height, w, h);
      const out = mime === 'image/png' ? encodePng(pixels, w, h) : encodeJpeg(pixels, w, h);
      if (out.length <= maxBytes) {
        return { data: out.toString('base64'), bytes: out.length, width: w, height: h, fromWidth: width, fromHeight: height };
      }
      // Flat-coloured pictures compress worse once averaged: aim again from what this attempt gave.
      scale *= Math.min(0.75, Math.sqrt(maxBytes / out.length) * 0.9);
    }
  } catch {
    return undefined;
  }
}

interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

function decodePng(input: Buffer): Rgba | undefined {
  // Width and height from the IHDR chunk, before decoding anything.
  const size = imageSize(input, 'image/png');
  if (!size || size.width * size.height > MAX_PIXELS) return undefined;
  const png = PNG.sync.read(input);
  return { width: png.width, height: png.height, data: png.data };
}

function decodeJpeg(input: Buffer): Rgba | undefined {
  const img = jpeg.decode(input, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 256 });
  return { width: img.width, height: img.height, data: img.data };
}

function encodePng(pixels: Uint8Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height });
  png.data = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  return PNG.sync.write(png, { colorType: 6, deflateLevel: 9 });
}

function encodeJpeg(pixels: Uint8Array, width: number, height: number): Buffer {
  return Buffer.from(jpeg.encode({ data: pixels, width, height }, 80).data);
}

/**
 * Area-average downscale of RGBA pixels (each target pixel is the mean of the source area it
 * covers, partial pixels weighted), with colour weighted by alpha so transparent edges do not
 * darken. Two separable passes.
 */
export function resizeArea(src: Uint8Array, sw: number, sh: number, dw: number, dh: number): Uint8Array {
  const xs = coverage(sw, dw);
  const ys = coverage(sh, dh);
  // Horizontal pass: sw x sh -> dw x sh, colour premultiplied by alpha.
  const tmp = new Float32Array(dw * sh * 4);
  for (let y = 0; y < sh; y++) {
    const srow = y * sw * 4;
    const drow = y * dw * 4;
    for (let x = 0; x < dw; x++) {
      const d = drow + x * 4;
      for (const [sx, wgt] of xs[x]) {
        const i = srow + sx * 4;
        const a = (src[i + 3] / 255) * wgt;
        tmp[d] += src[i] * a;
        tmp[d + 1] += src[i + 1] * a;
        tmp[d + 2] += src[i + 2] * a;
        tmp[d + 3] += a;
      }
    }
  }
  // Vertical pass: dw x sh -> dw x dh, then back from premultiplied.
  const out = new Uint8Array(dw * dh * 4);
  const acc = new Float32Array(dw * 4);
  for (let y = 0; y < dh; y++) {
    acc.fill(0);
    for (const [sy, wgt] of ys[y]) {
      const row = sy * dw * 4;
      for (let i = 0; i < dw * 4; i++) acc[i] += tmp[row + i] * wgt;
    }
    const drow = y * dw * 4;
    for (let x = 0; x < dw; x++) {
      const i = x * 4;
      const a = acc[i + 3];
      if (a > 0) {
        out[drow + i] = clamp(acc[i] / a);
        out[drow + i + 1] = clamp(acc[i + 1] / a);
        out[drow + i + 2] = clamp(acc[i + 2] / a);
      }
      out[drow + i + 3] = clamp(a * 255);
    }
  }
  return out;
}

/** For each of `to` target pixels, the source pixels it covers and the share of each (sums to 1). */
function coverage(from: number, to: number): Array<Array<[number, number]>> {
  const f = from / to;
  const out: Array<Array<[number, number]>> = [];
  for (let t = 0; t < to; t++) {
    const t0 = t * f;
    const t1 = t0 + f;
    const list: Array<[number, number]> = [];
    for (let s = Math.floor(t0); s < Math.min(from, Math.ceil(t1)); s++) {
      const w = (Math.min(t1, s + 1) - Math.max(t0, s)) / f;
      if (w > 0) list.push([s, w]);
    }
    out.push(list);
  }
  return out;
}

function clamp(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}
