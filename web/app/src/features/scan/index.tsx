/**
 * Scan to pay: read a merchant's (or a friend's) pay code and hand it to the transfer screen,
 * which confirms before anything is sent. Three ways in, in every browser:
 *  - the camera (getUserMedia, wherever the page may use one; stopped when leaving the screen);
 *  - a photo or screenshot of the code;
 *  - pasting the code's text.
 * Codes are decoded by BarcodeDetector where the browser has it, else by jsQR, which is
 * fetched on the first decode only (decode.ts).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { textOf } from '../../features';
import { BASE, route } from '../../router';
import { Title, useReady } from '../../ui';
import { DECODER, NotAnImage, qrReader, readImageFile } from './decode';
import { parsePayCode, type PayCode } from './payload';

const say = textOf({
  en: {
    title: 'Scan to pay',
    intro: 'Scan the pay code of the person or shop you are paying. You confirm the amount before anything is sent.',
    camera: 'Scan with the camera',
    camera_stop: 'Stop the camera',
    camera_starting: 'Starting the camera…',
    camera_live: 'Point the camera at the pay code.',
    camera_not_pay: 'That QR code is not a Capillary pay code. Point the camera at a pay code.',
    camera_refused: 'The camera may not be used: permission was refused. Allow the camera in the browser’s site settings, or use a photo or the code text below.',
    camera_none: 'No camera was found on this device. Use a photo of the code or paste the code text below.',
    camera_busy: 'The camera is in use by another app. Close it and try again, or use a photo or the code text below.',
    camera_denied: 'The camera could not be used: {detail}. Use a photo or paste the code text instead.',
    camera_unavailable: 'This browser does not let the page use a camera. Use a photo of the code or paste the code text below.',
    camera_video: 'Camera view',
    upload: 'Choose a photo of the code',
    upload_hint: 'A screenshot or photo that shows the whole QR code.',
    upload_reading: 'Reading the image…',
    no_code_in_image: 'No QR code was found in this image. Try a sharper photo that shows the whole code, or paste the code text.',
    not_an_image: 'This file could not be opened as an image.',
    reader_failed: 'The QR code reader could not be loaded (are you offline?). Paste the code text instead.',
    paste: 'Code text',
    paste_hint: 'It starts with capillary:pay? (the payer’s app shows it under the QR code)',
    paste_go: 'Continue',
    invalid: 'This is not a Capillary pay code.',
    found: 'Paying {name}',
  },
  zh: {
    title: '扫码付款',
    intro: '扫描收款人或商户的收款码。发送前您会先确认金额。',
    camera: '用相机扫码',
    camera_stop: '关闭相机',
    camera_starting: '正在打开相机…',
    camera_live: '请将相机对准收款码。',
    camera_not_pay: '这个二维码不是 Capillary 收款码。请对准收款码。',
    camera_refused: '无法使用相机：权限被拒绝。请在浏览器的网站设置中允许使用相机，或改用下方的图片或码文本。',
    camera_none: '此设备上没有找到相机。请改用收款码图片或粘贴下方的码文本。',
    camera_busy: '相机正被其他应用使用。请关闭后重试，或改用图片或码文本。',
    camera_denied: '无法使用相机：{detail}。请改用图片或粘贴码文本。',
    camera_unavailable: '此浏览器不允许网页使用相机。请改用收款码图片或粘贴下方的码文本。',
    camera_video: '相机画面',
    upload: '选择收款码图片',
    upload_hint: '包含完整二维码的截图或照片。',
    upload_reading: '正在识别图片…',
    no_code_in_image: '图片中没有找到二维码。请换一张清晰、包含完整二维码的照片，或粘贴码文本。',
    not_an_image: '无法将此文件作为图片打开。',
    reader_failed: '无法加载二维码识别程序（是否已离线？）。请改为粘贴码文本。',
    paste: '收款码文本',
    paste_hint: '以 capillary:pay? 开头（对方应用在二维码下方显示）',
    paste_go: '继续',
    invalid: '这不是 Capillary 收款码。',
    found: '向{name}付款',
  },
});

/** The transfer screen with the pay code's account (and amount, when the code fixes one). */
function handOver(code: PayCode): void {
  const q = new URLSearchParams({ to_account: code.account_id, name: code.name });
  if (code.amount_minor) q.set('amount', code.amount_minor);
  history.pushState(null, '', `${BASE}transfer?${q.toString()}`);
  route.set('transfer');
  window.scrollTo(0, 0);
}

const canUseCamera = () => typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getUserMedia === 'function';

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
    <section class="screen" data-decoder={DECODER}>
      <Title>{say('title')}</Title>
      <p class="note">{say('intro')}</p>
      {canUseCamera() ? (
        <Camera onCode={handOver} />
      ) : (
        <p class="note" data-testid="no-camera">
          {say('camera_unavailable')}
        </p>
      )}
      <Upload onTexts={(texts) => {
        const code = texts.map(parsePayCode).find((c) => c !== undefined);
        if (code) handOver(code);
        else setError(texts.length ? say('invalid') : say('no_code_in_image'));
      }} onError={setError} />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <Paste onText={(text) => (setError(undefined), accept(text))} />
    </section>
  );
}

/** A getUserMedia failure, in words the customer can act on. */
function cameraMessage(err: unknown): string {
  const name = err instanceof DOMException || err instanceof Error ? err.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') return say('camera_refused');
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') return say('camera_none');
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') return say('camera_busy');
  return say('camera_denied', { detail: err instanceof Error ? err.message : String(err) });
}

function Camera({ onCode }: { onCode: (code: PayCode) => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const mounted = useRef(true);
  const [stream, setStream] = useState<MediaStream>();
  const [starting, setStarting] = useState(false);
  const [notPay, setNotPay] = useState(false);
  const [error, setError] = useState<string>();

  const stop = () => {
    stream?.getTracks().forEach((track) => track.stop());
    setStream(undefined);
  };

  async function start() {
    setError(undefined);
    setNotPay(false);
    setStarting(true);
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      // Left the screen while the permission prompt was up: give the camera back at once.
      if (!mounted.current) s.getTracks().forEach((track) => track.stop());
      else setStream(s);
    } catch (err) {
      if (mounted.current) setError(cameraMessage(err));
    } finally {
      if (mounted.current) setStarting(false);
    }
  }

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  // Look for a code about four times a second while the camera runs; stop at the first pay code.
  useEffect(() => {
    if (!stream || !video.current) return;
    const el = video.current;
    el.srcObject = stream;
    void el.play().catch(() => undefined);
    const reader = qrReader('camera');
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      if (!live) return;
      if (el.readyState >= 2 && el.videoWidth > 0) {
        const texts = await reader.read({ source: el, width: el.videoWidth, height: el.videoHeight }).catch(() => [] as string[]);
        if (!live) return;
        const code = texts.map(parsePayCode).find((c) => c !== undefined);
        if (code) {
          live = false;
          stream.getTracks().forEach((track) => track.stop());
          onCode(code);
          return;
        }
        if (texts.length) setNotPay(true);
      }
      timer = setTimeout(() => void tick(), 250);
    };
    void tick();
    // A hidden page (another tab, the phone locked) gives the camera back.
    const hidden = () => {
      if (document.visibilityState === 'hidden') stop();
    };
    document.addEventListener('visibilitychange', hidden);
    return () => {
      live = false;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', hidden);
      // Leaving the screen (or stopping) releases the camera.
      stream.getTracks().forEach((track) => track.stop());
      el.srcObject = null;
    };
  }, [stream]);

  return (
    <div class="field">
      {stream ? (
        <>
          <p class="note" role="status">
            {notPay ? say('camera_not_pay') : say('camera_live')}
          </p>
          <video ref={video} class="qr" muted playsInline aria-label={say('camera_video')} />
          <button type="button" class="secondary" onClick={stop}>
            {say('camera_stop')}
          </button>
        </>
      ) : (
        <button type="button" class="primary" onClick={() => void start()} disabled={starting}>
          {starting ? say('camera_starting') : say('camera')}
        </button>
      )}
      {error && (
        <p class="error" role="alert" data-testid="camera-error">
          {error}
        </p>
      )}
    </div>
  );
}

function Upload({ onTexts, onError }: { onTexts: (texts: string[]) => void; onError: (message: string | undefined) => void }) {
  const [reading, setReading] = useState(false);
  async function read(input: HTMLInputElement) {
    const file = input.files?.[0];
    if (!file) return;
    onError(undefined);
    setReading(true);
    let texts: string[];
    try {
      texts = await readImageFile(file);
    } catch (err) {
      setReading(false);
      onError(err instanceof NotAnImage ? say('not_an_image') : say('reader_failed'));
      return;
    } finally {
      input.value = ''; // the same file may be chosen again
    }
    setReading(false);
    onTexts(texts);
  }
  return (
    <div class="field">
      <label for="scan_image">{say('upload')}</label>
      <p class="hint" id="scan_image-hint">
        {say('upload_hint')}
      </p>
      <input id="scan_image" type="file" accept="image/*" aria-describedby="scan_image-hint" disabled={reading} onChange={(e) => void read(e.currentTarget as HTMLInputElement)} />
      {reading && (
        <p class="note" role="status">
          {say('upload_reading')}
        </p>
      )}
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
