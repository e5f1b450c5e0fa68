// What the status view asks of the app: the calls behind its buttons, and which are in flight.
import type { CorralApi } from '../../../shared/api.js';
import type { ServiceSnapshot } from '../../../shared/state.js';

export type ServiceAction = 'start' | 'stop' | 'restart';

export interface StatusHandlers {
  /** Keys of calls in flight: `${call}:${stack}:${service ?? '*'}`. */
  pending: ReadonlySet<string>;
  act: (call: ServiceAction, stack: string, service?: string) => void;
  forceStop: (stack: string, service: string) => void;
  askKillHolder: (s: ServiceSnapshot) => void;
  openLogs: (stack: string, service: string) => void;
  openService: (stack: string, service: string) => void;
}

/** The two reads the detail panel makes itself: the service's details and its log tail. */
export type DetailApi = Pick<CorralApi, 'describeService' | 'onLogs'>;

export const pendingKey = (call: string, stack: string, service?: string): string => `${call}:${stack}:${service ?? '*'}`;
