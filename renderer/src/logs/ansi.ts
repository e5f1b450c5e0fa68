// ANSI SGR colours in log lines, turned into styled spans. Only SGR changes
// the style; every other escape sequence is dropped. The output is data
// (text + style), rendered as text nodes: log text never reaches innerHTML.

interface Style {
  /** 0–7 normal, 8–15 bright; null = default colour. */
  fg: number | null;
  bg: number | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
}

export interface Span extends Style {
  text: string;
}

// CSI (ESC [ … final), OSC (ESC ] … BEL | ESC \), and two-byte escapes.
// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b(?:\[([0-9;:?<=>]*)[ -/]*([@-~])|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;
// Other C0 controls (except tab) would render as boxes or move nothing.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;

export function hasEscapes(text: string): boolean {
  return text.indexOf('\x1b') !== -1;
}

export function stripAnsi(text: string): string {
  if (!hasEscapes(text)) return text.indexOf('\r') === -1 ? text : text.replace(CONTROL, '');
  return text.replace(ESCAPE, '').replace(CONTROL, '');
}

const PLAIN: Style = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };

function applySgr(style: Style, params: string): Style {
  const s = { ...style };
  const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c === 0) Object.assign(s, PLAIN);
    else if (c === 1) s.bold = true;
    else if (c === 2) s.dim = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 22) {
      s.bold = false;
      s.dim = false;
    } else if (c === 23) s.italic = false;
    else if (c === 24) s.underline = false;
    else if (c >= 30 && c <= 37) s.fg = c - 30;
    else if (c === 39) s.fg = null;
    else if (c >= 40 && c <= 47) s.bg = c - 40;
    else if (c === 49) s.bg = null;
    else if (c >= 90 && c <= 97) s.fg = c - 90 + 8;
    else if (c >= 100 && c <= 107) s.bg = c - 100 + 8;
    else if (c === 38 || c === 48) {
      // 256-colour (5;n) keeps the 16 basic ones; truecolour (2;r;g;b) is
      // skipped so its numbers are not read as further codes.
      const mode = codes[i + 1];
      if (mode === 5) {
        const n = codes[i + 2] ?? 0;
        const idx = n < 16 ? n : null;
        if (c === 38) s.fg = idx;
        else s.bg = idx;
        i += 2;
      } else if (mode === 2) i += 4;
    }
  }
  return s;
}

export function parseAnsi(text: string): Span[] {
  if (!hasEscapes(text)) return [{ text: stripAnsi(text), ...PLAIN }];
  const spans: Span[] = [];
  let style: Style = PLAIN;
  let last = 0;
  ESCAPE.lastIndex = 0;
  for (let m = ESCAPE.exec(text); m; m = ESCAPE.exec(text)) {
    if (m.index > last) spans.push({ text: text.slice(last, m.index).replace(CONTROL, ''), ...style });
    last = ESCAPE.lastIndex;
    if (m[2] === 'm') style = applySgr(style, m[1] ?? '');
  }
  if (last < text.length) spans.push({ text: text.slice(last).replace(CONTROL, ''), ...style });
  return spans.filter((s) => s.text.length > 0);
}

/** CSS classes for a span; colours come from the theme, not from inline styles (CSP). */
export function spanClass(s: Span): string {
  let c = '';
  if (s.fg !== null) c += ` fg${s.fg}`;
  if (s.bg !== null) c += ` bg${s.bg}`;
  if (s.bold) c += ' b';
  if (s.dim) c += ' dim';
  if (s.italic) c += ' i';
  if (s.underline) c += ' u';
  return c.trim();
}
