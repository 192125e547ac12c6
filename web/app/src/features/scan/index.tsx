/**
 * Scan to pay: read a merchant's (or a friend's) pay code and hand it to the transfer screen,
 * which confirms before anything is sent. Three ways in:
 *  - the camera, where the browser has the BarcodeDetector API (Android Chrome, Safari…);
 *  - a photo of the code, decoded by the same BarcodeDetector (the app carries a QR encoder
 *    only, and no decoder library);
 *  - pasting the code's text, which always works (desktop browsers without BarcodeDetector).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { textOf } from '../../features';
import { BASE, route } from '../../router';
import { ErrorNote, Title, useReady } from '../../ui';
import { parsePayCode, type PayCode } from './payload';

const say = textOf({
  en: {
    title: 'Scan to pay',
    intro: 'Scan the pay code of the person or shop you are paying. You confirm the amount before anything is sent.',
    camera: 'Scan with the camera',
    camera_stop: 'Stop the camera',
    camera_live: 'Point the camera at the pay code.',
    camera_denied: 'The camera could not be used: {detail}. Use a photo or paste the code text instead.',
    camera_video: 'Camera view',
    upload: 'Choose a photo of the code',
    upload_hint: 'A screenshot or photo that shows the whole QR code.',
    no_code_in_image: 'No pay code was found in this image.',
    no_detector: 'This browser cannot read QR codes. Paste the text of the code instead (the payer’s app shows it under the QR code).',
    paste: 'Code text',
    paste_hint: 'It starts with capillary:pay?',
    paste_go: 'Continue',
    invalid: 'This is not a Capillary pay code.',
    found: 'Paying {name}',
  },
  zh: {
    title: '扫码付款',
    intro: '扫描收款人或商户的收款码。发送前您会先确认金额。',
    camera: '用相机扫码',
    camera_stop: '关闭相机',
    camera_live: '请将相机对准收款码。',
    camera_denied: '无法使用相机：{detail}。请改用图片或粘贴码文本。',
    camera_video: '相机画面',
    upload: '选择收款码图片',
    upload_hint: '包含完整二维码的截图或照片。',
    no_code_in_image: '图片中没有找到收款码。',
    no_detector: '此浏览器无法识别二维码。请粘贴收款码的文本（对方应用在二维码下方显示）。',
    paste: '收款码文本',
    paste_hint: '以 capillary:pay? 开头',
    paste_go: '继续',
    invalid: '这不是 Capillary 收款码。',
    found: '向{name}付款',
  },
});

/** The little of the Shape Detection API used here (not in TypeScript's DOM library yet). */
interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: ImageBitmapSource): Promise<DetectedBarcode[]>;
}
type DetectorClass = new (options: { formats: string[] }) => BarcodeDetectorLike;
const Detector = (globalThis as { BarcodeDetector?: DetectorClass }).BarcodeDetector;

/** The transfer screen with the pay code's account (and amount, when the code fixes one). */
function handOver(code: PayCode): void {
  const q = new URLSearchParams({ to_account: code.account_id, name: code.name });
  if (code.amount_minor) q.set('amount', code.amount_minor);
  history.pushState(null, '', `${BASE}transfer?${q.toString()}`);
  route.set('transfer');
  window.scrollTo(0, 0);
}

export function Screen(_: { path: string }) {
  useReady('scan');
  const [error, setError] = useState<string>();
  const accept = (text: string): boolean => {
    const code = parsePayCode(text);
    if (!code) {
      setError(say('invalid'));
      return false;
    }
    handOver(code);
    return true;
  };
  return (
    <section class="screen">
      <Title>{say('title')}</Title>
      <p class="note">{say('intro')}</p>
      {Detector ? (
        <>
          <Camera detector={Detector} onText={accept} />
          <Upload detector={Detector} onText={accept} onError={setError} />
        </>
      ) : (
        <p class="note" data-testid="no-detector">
          {say('no_detector')}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <Paste onText={(text) => (setError(undefined), accept(text))} />
    </section>
  );
}

function Camera({ detector, onText }: { detector: DetectorClass; onText: (text: string) => boolean }) {
  const video = useRef<HTMLVideoElement>(null);
  const [stream, setStream] = useState<MediaStream>();
  const [error, setError] = useState<unknown>();

  const stop = () => {
    stream?.getTracks().forEach((track) => track.stop());
    setStream(undefined);
  };

  async function start() {
    setError(undefined);
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      setStream(s);
    } catch (err) {
      setError(new Error(say('camera_denied', { detail: err instanceof Error ? err.message : String(err) })));
    }
  }

  // Look for a code a few times a second while the camera runs; stop at the first pay code.
  useEffect(() => {
    if (!stream || !video.current) return;
    const el = video.current;
    el.srcObject = stream;
    void el.play().catch(() => undefined);
    const reader = new detector({ formats: ['qr_code'] });
    let live = true;
    const tick = async () => {
      if (!live) return;
      if (el.readyState >= 2) {
        const found = await reader.detect(el).catch(() => [] as DetectedBarcode[]);
        for (const code of found) {
          if (code.rawValue.startsWith('capillary:pay?')) {
            live = false;
            stream.getTracks().forEach((track) => track.stop());
            onText(code.rawValue);
            return;
          }
        }
      }
      setTimeout(() => void tick(), 250);
    };
    void tick();
    return () => {
      live = false;
    };
  }, [stream]);

  useEffect(() => () => stream?.getTracks().forEach((track) => track.stop()), [stream]);

  return (
    <div class="field">
      {stream ? (
        <>
          <p class="note" role="status">
            {say('camera_live')}
          </p>
          <video ref={video} class="qr" muted playsInline aria-label={say('camera_video')} />
          <button type="button" class="secondary" onClick={stop}>
            {say('camera_stop')}
          </button>
        </>
      ) : (
        <button type="button" class="primary" onClick={start}>
          {say('camera')}
        </button>
      )}
      <ErrorNote error={error} />
    </div>
  );
}

function Upload({ detector, onText, onError }: { detector: DetectorClass; onText: (text: string) => boolean; onError: (message: string) => void }) {
  async function read(file: File | undefined) {
    if (!file) return;
    try {
      const bitmap = await createImageBitmap(file);
      const found = await new detector({ formats: ['qr_code'] }).detect(bitmap);
      bitmap.close();
      const code = found.find((c) => c.rawValue.startsWith('capillary:pay?'));
      if (!code) onError(say('no_code_in_image'));
      else onText(code.rawValue);
    } catch {
      onError(say('no_code_in_image'));
    }
  }
  return (
    <div class="field">
      <label for="scan_image">{say('upload')}</label>
      <p class="hint" id="scan_image-hint">
        {say('upload_hint')}
      </p>
      <input id="scan_image" type="file" accept="image/*" aria-describedby="scan_image-hint" onChange={(e) => void read((e.currentTarget as HTMLInputElement).files?.[0])} />
    </div>
  );
}

function Paste({ onText }: { onText: (text: string) => boolean }) {
  const [text, setText] = useState('');
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        onText(text);
      }}
    >
      <div class="field">
        <label for="pay_code_text">{say('paste')}</label>
        <p class="hint" id="pay_code_text-hint">
          {say('paste_hint')}
        </p>
        <input id="pay_code_text" name="pay_code_text" value={text} autoComplete="off" spellcheck={false} aria-describedby="pay_code_text-hint" onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)} />
      </div>
      <button type="submit" class="primary">
        {say('paste_go')}
      </button>
    </form>
  );
}
