// Which tray image shows the aggregate state. macOS gets monochrome template
// images (the system tints them for light/dark menu bars and the state is told
// by the glyph); other platforms get coloured ones. build/make-icons.mjs draws
// every file named here.
import { aggregateState, type Aggregate, type Snapshot } from '../../shared/state.js';

export const TRAY_STATES: readonly Aggregate[] = ['running', 'starting', 'degraded', 'failed', 'stopped'];

export interface TrayIcon {
  /** File name inside the tray icon directory; the @2x variant next to it is picked up by Electron. */
  file: string;
  template: boolean;
}

export function trayIcon(aggregate: Aggregate, platform: NodeJS.Platform): TrayIcon {
  // The "Template" suffix is what makes nativeImage treat the file as a template image.
  if (platform === 'darwin') return { file: `tray-${aggregate}Template.png`, template: true };
  return { file: `tray-${aggregate}.png`, template: false };
}

export function snapshotAggregate(snapshot: Snapshot): Aggregate {
  return aggregateState(snapshot.stacks.flatMap((st) => st.services));
}

const SUMMARY: Record<Aggregate, string> = {
  running: 'all running',
  starting: 'starting',
  degraded: 'degraded',
  failed: 'a service failed',
  stopped: 'stopped',
};

/** The tooltip: the aggregate in words, then the services that need attention. */
export function trayTooltip(snapshot: Snapshot): string {
  const services = snapshot.stacks.flatMap((st) => st.services);
  if (services.length === 0) return 'Corral: no stacks';
  const aggregate = snapshotAggregate(snapshot);
  const running = services.filter((s) => s.state === 'running').length;
  const attention = services.filter((s) => s.state === 'failed' || s.state === 'unhealthy' || s.state === 'backoff');
  const head = `Corral: ${SUMMARY[aggregate]} (${running} of ${services.length} running)`;
  return attention.length === 0 ? head : `${head}\n${attention.map((s) => `${s.name}: ${s.state}`).join('\n')}`;
}
