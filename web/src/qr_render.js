// Draws a QR code as an SVG element: black modules on white with the
// standard four-module quiet zone, one <path>, crisp at any size. The
// encoding is qrcode-generator's (npm, pinned by package-lock.json, copied
// into the relay's /vendor/ at build time); this file only draws its modules.
import qrcode from '../vendor/qrcode.mjs';

const SVG_NS = 'http://www.w3.org/2000/svg';
const QUIET_ZONE = 4; // modules of white around the code (ISO/IEC 18004)

// The modules of `text` (byte mode, error correction level M: enough to
// survive glare on a screen, small enough to stay coarse).
export function qrMatrix(text, level = 'M') {
  const qr = qrcode(0, level);
  qr.addData(text, 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const rows = [];
  for (let r = 0; r < n; r += 1) {
    const row = new Array(n);
    for (let c = 0; c < n; c += 1) row[c] = qr.isDark(r, c);
    rows.push(row);
  }
  return rows;
}

// An <svg> for `text`; `label` becomes its accessible name (role img).
export function qrSvg(text, { label = 'QR code', level = 'M' } = {}) {
  const rows = qrMatrix(text, level);
  const size = rows.length + 2 * QUIET_ZONE;
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.setAttribute('class', 'qr');
  const background = document.createElementNS(SVG_NS, 'rect');
  background.setAttribute('width', String(size));
  background.setAttribute('height', String(size));
  background.setAttribute('fill', '#fff');
  let d = '';
  rows.forEach((row, r) => {
    for (let c = 0; c < row.length;) {
      if (!row[c]) {
        c += 1;
        continue;
      }
      let run = 1;
      while (c + run < row.length && row[c + run]) run += 1;
      d += `M${c + QUIET_ZONE} ${r + QUIET_ZONE}h${run}v1h-${run}z`;
      c += run;
    }
  });
  const modules = document.createElementNS(SVG_NS, 'path');
  modules.setAttribute('d', d);
  modules.setAttribute('fill', '#000');
  svg.append(background, modules);
  return svg;
}
