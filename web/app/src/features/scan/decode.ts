/**
 * Reading QR codes from a photo or from camera frames, in every browser:
 *  - the BarcodeDetector API first, where the browser has it (Android Chrome, Safari on iOS,
 *    ChromeOS, macOS Chrome): native and fast;
 *  - otherwise jsQR (a pure-JS decoder), loaded by dynamic import the first time a decode is
 *    needed, so neither the first screen nor the scan screen's own chunk carries it. Pixels
 *    come from a canvas: the image (or the current video frame) is drawn, scaled down when
 *    large, and `getImageData` is handed to jsQR.
 */

/** The little of the Shape Detection API used here (not in TypeScript's DOM library yet). */
interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: ImageBitmapSource): Promise<DetectedBarcode[]>;
}
type DetectorClass = new (options: { formats: string[] }) => BarcodeDetectorLike;

const Detector = (globalThis as { BarcodeDetector?: DetectorClass }).BarcodeDetector;

/** Which decoder this browser uses (shown nowhere; for tests and the docs). */
export const DECODER: 'barcode-detector' | 'jsqr' = Detector ? 'barcode-detector' : 'jsqr';

type JsQr = typeof import('jsqr').default;
let jsQrModule: Promise<JsQr> | undefined;
/** jsQR, fetched once on first use (its own chunk). */
function loadJsQr(): Promise<JsQr> {
  jsQrModule ??= import('jsqr').then((m) => m.default).catch((err: unknown) => {
    jsQrModule = undefined; // a failed fetch (offline before it was cached) may be retried
    throw err;
  });
  return jsQrModule;
}

/** Something a canvas can draw, with its natural size. */
export type Frame = { source: CanvasImageSource & ImageBitmapSource; width: number; height: number };

export interface QrReader {
  /** The texts of the QR codes found in the frame (empty when none). */
  read(frame: Frame): Promise<string[]>;
}

/**
 * A reader for one use: a photo (`thorough`, tries inverted codes too, keeps up to 2048 px)
 * or camera frames (fast: normal polarity only, frames scaled to 720 px).
 */
export function qrReader(mode: 'photo' | 'camera'): QrReader {
  if (Detector) {
    let detector: BarcodeDetectorLike | undefined;
    return {
      async read(frame) {
        detector ??= new Detector({ formats: ['qr_code'] });
        const found = await detector.detect(frame.source);
        return found.map((code) => code.rawValue);
      },
    };
  }
  const maxSide = mode === 'photo' ? 2048 : 720;
  let canvas: HTMLCanvasElement | undefined;
  return {
    async read(frame) {
      const jsQR = await loadJsQr();
      if (!frame.width || !frame.height) return [];
      const scale = Math.min(1, maxSide / Math.max(frame.width, frame.height));
      const width = Math.max(1, Math.round(frame.width * scale));
      const height = Math.max(1, Math.round(frame.height * scale));
      canvas ??= document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      if (!ctx) return [];
      // A white background: transparent pixels of a PNG would otherwise read as black.
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, width, height);
      ctx.drawImage(frame.source, 0, 0, width, height);
      const pixels = ctx.getImageData(0, 0, width, height);
      const code = jsQR(pixels.data, width, height, { inversionAttempts: mode === 'photo' ? 'attemptBoth' : 'dontInvert' });
      return code ? [code.data] : [];
    },
  };
}

/** The file given is not an image the browser can open. */
export class NotAnImage extends Error {
  override name = 'NotAnImage';
}

/**
 * Decodes an image file (a photo or screenshot of a code): the texts of the QR codes in it.
 * Throws NotAnImage when the browser cannot open the file, or the loader's error when jsQR
 * cannot be fetched.
 */
export async function readImageFile(file: Blob): Promise<string[]> {
  const bitmap = await createImageBitmap(file).catch((err: unknown) => {
    throw new NotAnImage(err instanceof Error ? err.message : String(err));
  });
  try {
    return await qrReader('photo').read({ source: bitmap, width: bitmap.width, height: bitmap.height });
  } finally {
    bitmap.close();
  }
}
