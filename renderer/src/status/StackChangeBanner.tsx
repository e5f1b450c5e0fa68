// The stack file changed on disk: what applying it would do (or why it cannot
// be applied), and the one button that applies it. Never applied by itself.
// Words from shared/explain.ts, like `corral status` and the tray.
import { useState } from 'preact/hooks';
import type { StackSnapshot } from '../../../shared/state.js';
import { applyStackLabel, explainStackChange } from '../../../shared/explain.js';

export function StackChangeBanner({ stack, now }: { stack: StackSnapshot; now: number }) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const change = stack.pending;
  if (!change) return null;
  const apply = () => {
    setBusy(true);
    setFailure(null);
    window.corral.applyStack({ stack: stack.name }).then(
      (r) => {
        const failed = r.outcomes.filter((o) => !o.ok);
        if (failed.length > 0) setFailure(failed.map((o) => (o.message.startsWith(o.service) ? o.message : `${o.service}: ${o.message}`)).join('; '));
      },
      (err: unknown) => setFailure((err as Error).message),
    ).finally(() => setBusy(false));
  };
  const invalid = change.error !== null;
  return (
    <div class={`panel ${invalid ? 'error' : 'warn'} stack-change`} role="status">
      <p>{explainStackChange(stack.file, change, now)}</p>
      {invalid && change.error!.includes('\n') && <pre class="last-lines">{change.error}</pre>}
      {!invalid && (
        <button type="button" aria-label={applyStackLabel(stack.name, change)} title={applyStackLabel(stack.name, change)} disabled={busy} aria-busy={busy} onClick={apply}>
          Apply
        </button>
      )}
      {failure && <p role="alert">Apply failed: {failure}</p>}
    </div>
  );
}
