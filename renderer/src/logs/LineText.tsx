// One log line as DOM: ANSI styles as classes, filter matches as <mark>.
// Text only ever becomes text nodes.
import { parseAnsi, spanClass, type Span } from './ansi.js';

interface Range {
  start: number;
  end: number;
}

function matchRanges(text: string, re: RegExp | null): Range[] {
  if (!re) return [];
  const out: Range[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    out.push({ start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** Splits styled spans at match boundaries. */
function pieces(spans: Span[], ranges: Range[]) {
  const out: { text: string; cls: string; mark: boolean }[] = [];
  let pos = 0;
  let r = 0;
  for (const s of spans) {
    const cls = spanClass(s);
    let i = 0;
    while (i < s.text.length) {
      const at = pos + i;
      while (r < ranges.length && ranges[r]!.end <= at) r++;
      const range = ranges[r];
      let end: number;
      let mark = false;
      if (range && range.start <= at) {
        mark = true;
        end = Math.min(s.text.length, range.end - pos);
      } else {
        end = range ? Math.min(s.text.length, range.start - pos) : s.text.length;
      }
      out.push({ text: s.text.slice(i, end), cls, mark });
      i = end;
    }
    pos += s.text.length;
  }
  return out;
}

export function LineText({ text, highlight }: { text: string; highlight: RegExp | null }) {
  const spans = parseAnsi(text);
  if (!highlight && spans.length === 1 && spanClass(spans[0]!) === '') return <>{spans[0]!.text}</>;
  const plain = spans.map((s) => s.text).join('');
  const parts = pieces(spans, matchRanges(plain, highlight));
  return (
    <>
      {parts.map((p) => {
        const inner = p.cls ? <span class={p.cls}>{p.text}</span> : p.text;
        return p.mark ? <mark>{inner}</mark> : inner;
      })}
    </>
  );
}
