// A scroller that renders only the rows in view, so a million lines cost what
// fifty do. Rows have one fixed height. Past MAX_SCROLL_PX the scrollbar maps
// proportionally onto the content, because browsers cap an element's height
// (about 17.9 million px in Firefox, 33.5 million in Chromium).
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

const MAX_SCROLL_PX = 10_000_000;
const OVERSCAN = 8;

export interface VirtualListHandle {
  /** Scrolls so that row `index` is in view (a third from the top). */
  reveal(index: number): void;
  /** The first row in view. */
  firstVisible(): number;
  scrollToRow(index: number): void;
  /** Puts the keyboard focus on the lines (arrows, Page Up/Down, Home and End scroll them). */
  focus(): void;
}

interface Props {
  count: number;
  rowHeight: number;
  renderRow: (index: number) => ComponentChildren;
  /** Keep the newest row in view as rows arrive. */
  follow: boolean;
  /** The user scrolled away from the end (false) or back to it (true). */
  onFollowChange: (follow: boolean) => void;
  handle?: { current: VirtualListHandle | null };
  label: string;
  /** Changes whenever the rows' content changes, to re-render. */
  version: number;
  class?: string;
}

export function VirtualList({ count, rowHeight, renderRow, follow, onFollowChange, handle, label, version, class: cls }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(0);
  const frame = useRef(0);
  // The position we scrolled to ourselves: its scroll event is not the user's.
  const ours = useRef<number | null>(null);
  const followRef = useRef(follow);
  followRef.current = follow;

  const total = count * rowHeight;
  const virtual = Math.min(total, MAX_SCROLL_PX);
  const maxScroll = Math.max(0, virtual - height);
  const maxContent = Math.max(0, total - height);
  const ratio = maxScroll > 0 ? maxContent / maxScroll : 1;

  const toScroll = useCallback((contentPx: number) => (ratio > 0 ? contentPx / ratio : 0), [ratio]);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  // Following: pin to the end whenever rows arrive or the size changes.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || !follow) return;
    const end = el.scrollHeight - el.clientHeight;
    if (Math.abs(el.scrollTop - end) > 1) {
      el.scrollTop = end;
      ours.current = el.scrollTop;
    }
    if (el.scrollTop !== scrollTop) setScrollTop(el.scrollTop);
  }, [follow, count, height, version]);

  const onScroll = () => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      const el = ref.current;
      if (!el) return;
      setScrollTop(el.scrollTop);
      if (ours.current !== null && Math.abs(el.scrollTop - ours.current) < 1) return;
      ours.current = null;
      // The user scrolled: away from the end pauses, back to the end follows again.
      const atEnd = el.scrollTop >= el.scrollHeight - el.clientHeight - rowHeight / 2;
      if (followRef.current !== atEnd) onFollowChange(atEnd);
    });
  };
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  if (handle) {
    handle.current = {
      reveal(index) {
        const el = ref.current;
        if (!el) return;
        const top = Math.max(0, index * rowHeight - height / 3);
        el.scrollTop = toScroll(Math.min(top, maxContent));
        ours.current = el.scrollTop;
        setScrollTop(el.scrollTop);
      },
      firstVisible() {
        return Math.floor((scrollTop * ratio) / rowHeight);
      },
      focus() {
        ref.current?.focus();
      },
      scrollToRow(index) {
        const el = ref.current;
        if (!el) return;
        el.scrollTop = toScroll(Math.min(index * rowHeight, maxContent));
        ours.current = el.scrollTop;
        setScrollTop(el.scrollTop);
      },
    };
  }

  const onKeyDown = (e: KeyboardEvent) => {
    const el = ref.current;
    if (!el || e.altKey || e.metaKey) return;
    if (e.key === 'Home' || (e.key === 'ArrowUp' && e.ctrlKey)) {
      e.preventDefault();
      if (followRef.current) onFollowChange(false);
      el.scrollTop = 0;
    } else if (!e.ctrlKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown' || e.key === 'PageUp' || e.key === 'PageDown')) {
      // Scrolled here, at once (the browser's own scroll is animated: an End pressed
      // meanwhile would be undone by the rest of the animation). Up stops following
      // first, so a row arriving meanwhile does not pull the view back; reaching the
      // end follows again (onScroll).
      e.preventDefault();
      const up = e.key === 'ArrowUp' || e.key === 'PageUp';
      if (up && followRef.current) onFollowChange(false);
      const step = e.key.startsWith('Page') ? Math.max(rowHeight, el.clientHeight - rowHeight) : rowHeight;
      const top = Math.max(0, Math.min(maxContent, el.scrollTop * ratio + (up ? -step : step)));
      el.scrollTop = toScroll(top);
    } else if (e.key === 'End' || (e.key === 'ArrowDown' && e.ctrlKey)) {
      e.preventDefault();
      onFollowChange(true);
    }
  };

  // Stop following the moment the user scrolls up, before new rows pull the view back.
  const onWheel = (e: WheelEvent) => {
    if (e.deltaY < 0 && followRef.current) onFollowChange(false);
  };

  const contentTop = Math.min(scrollTop * ratio, maxContent);
  const first = Math.max(0, Math.floor(contentTop / rowHeight) - OVERSCAN);
  const last = Math.min(count, Math.ceil((contentTop + height) / rowHeight) + OVERSCAN);
  const rows: ComponentChildren[] = [];
  for (let i = first; i < last; i++) rows.push(renderRow(i));
  // Rows are placed relative to the scroll position, so the mapping above holds at any ratio.
  const blockTop = scrollTop - (contentTop - first * rowHeight);

  return (
    <div ref={ref} class={cls ? `vlist ${cls}` : 'vlist'} tabIndex={0} role="region" aria-label={label} onScroll={onScroll} onKeyDown={onKeyDown} onWheel={onWheel}>
      <div class="vlist-space" style={{ height: `${virtual}px` }}>
        {/* Rows are list items that say their place in the whole list (aria-posinset/setsize), not in the few rendered. */}
        <div class="vlist-rows" role="list" style={{ transform: `translateY(${blockTop}px)` }}>
          {rows}
        </div>
      </div>
    </div>
  );
}
