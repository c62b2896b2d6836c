// An in-page QR scanner: the camera (getUserMedia) into a <video>, frames
// sampled onto a canvas and decoded by jsQR (npm, pinned by
// package-lock.json, copied into the relay's /vendor/ at build time and
// loaded only when a scanner starts).
const FRAME_INTERVAL_MS = 120;
const MAX_SIDE = 720; // decode at most this many pixels on the longer side

let decoderReady = null;

// jsQR ships as a UMD script; imported as a module it defines globalThis.jsQR.
function loadDecoder() {
  decoderReady ??= import('../vendor/jsQR.js').then(() => {
    if (typeof globalThis.jsQR !== 'function') throw new Error('the QR decoder did not load');
    return globalThis.jsQR;
  });
  return decoderReady;
}

export function cameraAvailable() {
  return typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getUserMedia === 'function';
}

/**
 * Starts the camera into `video` and calls onCode(text) for every QR code it
 * decodes (the same text is reported again only after another one was seen).
 * Resolves to { stop() } once the camera runs; rejects when there is no
 * camera or permission was refused.
 */
export async function startScanner(video, { onCode }) {
  if (!cameraAvailable()) throw new Error('this browser gives the page no camera (it needs https or localhost)');
  const jsQR = await loadDecoder();
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
  });
  let stopped = false;
  let timer = null;
  let last = null;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  try {
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    await video.play();
  } catch (e) {
    stop();
    throw e;
  }
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  const tick = () => {
    if (stopped) return;
    const w = video.videoWidth;
    const h = video.videoHeight;
    if (w > 0 && h > 0) {
      const scale = Math.min(1, MAX_SIDE / Math.max(w, h));
      canvas.width = Math.round(w * scale);
      canvas.height = Math.round(h * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = jsQR(image.data, image.width, image.height, { inversionAttempts: 'attemptBoth' });
      if (found?.data && found.data !== last) {
        last = found.data;
        onCode(found.data);
      }
    }
    if (!stopped) timer = setTimeout(tick, FRAME_INTERVAL_MS);
  };
  tick();
  return { stop };
}
