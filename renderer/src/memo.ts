// A component that renders again only when `same(prev, next)` says its props
// changed what it shows (preact/compat's memo, without compat's global hooks).
import { createElement, type FunctionComponent } from 'preact';

export function memo<P extends object>(render: FunctionComponent<P>, same: (prev: P, next: P) => boolean): FunctionComponent<P> {
  function Memo(this: { props: P; shouldComponentUpdate?: (next: P) => boolean }, props: P) {
    this.shouldComponentUpdate = (next) => !same(this.props, next);
    return createElement(render, props);
  }
  Memo.displayName = `Memo(${render.displayName ?? render.name})`;
  return Memo as FunctionComponent<P>;
}
