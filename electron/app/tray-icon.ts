// Which tray image shows the aggregate state. macOS gets monochrome template
// images (the system tints them for light/dark menu bars and the state is told
// by the glyph); other platforms get coloured ones. build/make-icons.mjs draws
// every file named here.
import { aggregateState, type Aggregate, type ServiceSnapshot, type Snapshot } from '../../shared/state.js';
import { serviceLine, summarizeStack } from '../../shared/explain.js';
import { formatResources, sumResources } from '../../shared/resource-format.js';

/** The aggregates that have an image of their own; `partial` (some services stopped by the user, the rest running) shows `running`'s. */
export const TRAY_STATES: readonly Exclude<Aggregate, 'partial'>[] = ['running', 'starting', 'degraded', 'failed', 'stopped'];

export interface TrayIcon {
  /** File name inside the tray icon directory; the @2x variant next to it is picked up by Electron. */
  file: string;
  template: boolean;
}

export function trayIcon(aggregate: Aggregate, platform: NodeJS.Platform): TrayIcon {
  const image = aggregate === 'partial' ? 'running' : aggregate;
  // The "Template" suffix is what makes nativeImage treat the file as a template image.
  if (platform === 'darwin') return { file: `tray-${image}Template.png`, template: true };
  return { file: `tray-${image}.png`, template: false };
}

export function snapshotAggregate(snapshot: Snapshot): Aggregate {
  return aggregateState(snapshot.stacks.flatMap((st) => st.services));
}

/**
 * The resource line: "api 3.1% 41 MB · db 0.4% 120 MB" while the snapshot has
 * figures (a view is watching), or their sum when that would not fit in `max`
 * characters (Windows cuts a tooltip at 127); null without figures, so the
 * tooltip never shows old ones as current.
 */
export function resourceLine(services: readonly ServiceSnapshot[], multipleStacks: boolean, max = 90): string | null {
  const measured = services.filter((s) => s.resources !== null);
  if (measured.length === 0) return null;
  const each = measured.map((s) => `${multipleStacks ? `${s.stack}/` : ''}${s.name} ${formatResources(s.resources!)}`).join(' · ');
  if (each.length <= max) return each;
  return `${measured.length} services: ${formatResources(sumResources(measured.map((s) => s.resources!))!)}`;
}

/** The tooltip: each stack in one phrase, CPU and memory while watched, then the services that need attention, each with its explanation. */
export function trayTooltip(snapshot: Snapshot): string {
  const services = snapshot.stacks.flatMap((st) => st.services);
  if (services.length === 0) return 'Corral: no stacks';
  const head =
    snapshot.stacks.length === 1
      ? `Corral: ${snapshot.stacks[0]!.name}: ${summarizeStack(services).text}`
      : ['Corral', ...snapshot.stacks.map((st) => `${st.name}: ${summarizeStack(st.services).text}`)].join('\n');
  const usage = resourceLine(services, snapshot.stacks.length > 1);
  const attention = services.filter((s) => s.state === 'failed' || s.state === 'unhealthy' || s.state === 'backoff' || s.state === 'held');
  return [head, ...(usage ? [usage] : []), ...attention.map(serviceLine)].join('\n');
}
