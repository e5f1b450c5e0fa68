// Keeps the keyboard focus on something visible when what had it goes away:
// a button that becomes disabled while its call runs (Start, once pressed),
// or a panel or dialog that closes. The browser would drop the focus to the
// page's body, where the next Tab starts over from the top and a screen
// reader says nothing; this moves it to the nearest control in the same
// place (the same row) instead, and back to the control itself when it is
// enabled again while the focus has not been moved since.
const FOCUSABLE = 'button, [href], input, select, textarea, [tabindex]';

function usable(el: Element): el is HTMLElement {
  if (!(el instanceof HTMLElement) || !el.isConnected) return false;
  if ((el as HTMLButtonElement).disabled || el.closest('[inert], fieldset:disabled')) return false;
  if (el.tabIndex < 0) return false;
  return el.getClientRects().length > 0;
}

/** The nearest usable control around `lost`, by its ancestors when it was focused: the next one after it, else the first. */
function nearest(lost: HTMLElement, path: readonly Element[]): HTMLElement | null {
  for (const scope of path) {
    if (!scope.isConnected) continue;
    const all = [...scope.querySelectorAll(FOCUSABLE)].filter((e): e is HTMLElement => e !== lost && usable(e));
    if (all.length === 0) continue;
    if (lost.isConnected) {
      const after = all.find((e) => lost.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING);
      if (after) return after;
    }
    return all[0]!;
  }
  return null;
}

function ancestors(el: Element): Element[] {
  const out: Element[] = [];
  for (let p = el.parentElement; p && p !== document.documentElement; p = p.parentElement) out.push(p);
  return out;
}

/** Where the focus was: the element and its ancestors then (a detached element has none left). */
export interface FocusMark {
  el: HTMLElement;
  path: Element[];
}

export function markFocus(el: Element | null): FocusMark | null {
  return el instanceof HTMLElement && el !== document.body ? { el, path: ancestors(el) } : null;
}

/** Focuses `mark`'s element if it can take the focus, else the nearest control to where it was. */
export function restoreFocus(mark: FocusMark | null): HTMLElement | null {
  if (!mark) return null;
  const to = usable(mark.el) ? mark.el : nearest(mark.el, mark.path);
  to?.focus();
  return to;
}

const focusLost = () => {
  const a = document.activeElement;
  return a === null || a === document.body || (a as HTMLButtonElement).disabled === true;
};

/** Watches the document; returns the function that stops watching. */
export function keepFocusVisible(root: HTMLElement): () => void {
  let last: FocusMark | null = null;
  // A control that lost the focus by being disabled, and where the focus went meanwhile.
  let waiting: { mark: FocusMark; at: HTMLElement } | null = null;
  const onFocusIn = (e: FocusEvent) => {
    const t = e.target as HTMLElement;
    if (waiting && t !== waiting.at && t !== waiting.mark.el) waiting = null;
    last = markFocus(t);
  };
  const check = () => {
    if (waiting && document.activeElement === waiting.at && usable(waiting.mark.el)) {
      const back = waiting.mark;
      waiting = null;
      back.el.focus();
      return;
    }
    if (!last || !focusLost()) return;
    // The focus left on purpose (a click on the page's background) keeps its element usable: leave it.
    if (usable(last.el)) return;
    const mark = last;
    const to = nearest(mark.el, mark.path);
    if (!to) return;
    to.focus();
    if (mark.el.isConnected) waiting = { mark, at: to };
  };
  document.addEventListener('focusin', onFocusIn);
  const mo = new MutationObserver(check);
  mo.observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['disabled'] });
  return () => {
    document.removeEventListener('focusin', onFocusIn);
    mo.disconnect();
  };
}
