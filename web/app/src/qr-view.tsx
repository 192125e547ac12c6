/** The pay code drawn as a QR code (SVG), from the encoder in qr.ts; text only when the payload does not fit. */
import { encodeQr } from './qr';

export function QrCode({ text, label }: { text: string; label: string }) {
  const matrix = encodeQr(text);
  if (!matrix) return null;
  const size = matrix.length;
  const quiet = 4;
  let path = '';
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) if (matrix[y]![x]) path += `M${x + quiet},${y + quiet}h1v1h-1z`;
  }
  const total = size + quiet * 2;
  return (
    <svg class="qr" role="img" aria-label={label} viewBox={`0 0 ${total} ${total}`} width="240" height="240" shape-rendering="crispEdges" data-qr-size={size}>
      <rect width={total} height={total} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
