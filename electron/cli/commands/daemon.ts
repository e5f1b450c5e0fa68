import type { Verb } from '../context.js';
import { parseVerb } from '../args.js';
import { CliError, EXIT } from '../exit-codes.js';
import { startDaemon, rotationFromEnv } from '../../host/daemon.js';
import { OwnerBusyError, readOwnerLock } from '../../engine/state/owner-lock.js';
import { SocketPathError } from '../../host/control/socket-path.js';
import { ControlClient, pingOwner } from '../../host/control/client.js';
import { DataDir } from '../../engine/state/paths.js';
import { waitUntil } from '../../engine/wait.js';
import { version } from '../package-root.js';
import { ago } from '../output.js';

export const daemon: Verb = {
  name: 'daemon',
  summary: 'run the headless owner (`daemon start|stop|status` to manage it)',
  help: `Usage: corral daemon [--take-over]
       corral daemon start
       corral daemon stop [--stop-services]
       corral daemon status [--json]

The owner supervises the stacks of a data directory (CORRAL_HOME): the tray
app or this headless daemon, never both. Other verbs start a daemon when no
owner answers, so you rarely need this.

  (no subcommand)  run the owner in the foreground; Ctrl-C or SIGTERM ends it
                   and leaves the services running (the next owner adopts them).
                   If an owner already runs, says so and exits 0.
    --take-over    ask a running owner (the app, say) to hand over first
  start            start a daemon in the background unless an owner runs
  stop             end the owner; services keep running unless --stop-services
  status           is an owner running, and does it answer?

Exit: 0 done (status: an owner answers); 1 status: no owner answers, or a
stop did not complete; 2 usage; 4 the owner could not be reached or started.`,
  async run(ctx, argv) {
    const { values, positionals } = parseVerb('daemon', argv, { 'take-over': { type: 'boolean' }, 'stop-services': { type: 'boolean' } });
    if (values.help) return ctx.out.line(daemon.help), EXIT.ok;
    const sub = positionals[0];
    if (positionals.length > 1 || (sub && !['start', 'stop', 'status'].includes(sub))) throw new CliError(EXIT.usage, `Unknown \`corral daemon ${positionals.join(' ')}\`. See \`corral daemon --help\`.`);
    const dir = new DataDir(ctx.home);
    const { out } = ctx;

    if (sub === 'start') {
      const { owner, started } = await ctx.connect();
      if (values.json) out.json(owner);
      else out.line(`${started ? 'Started' : 'Already running:'} ${owner.kind} pid ${owner.pid}, socket ${owner.socket}.`);
      return EXIT.ok;
    }

    if (sub === 'status') {
      const { live } = await readOwnerLock(dir.lockFile);
      const ping = live?.socket ? await pingOwner(live.socket, 2000) : null;
      if (values.json) out.json({ running: live !== null, answering: ping !== null, home: dir.home, ...(live ? { pid: live.pid, kind: live.kind, socket: live.socket, since: live.since } : {}) });
      else if (!live) out.line(`No owner is running for ${dir.home}.`);
      else out.line(`${live.kind} pid ${live.pid}, up ${ago(Date.now() - live.since)}, socket ${live.socket ?? '(none yet)'}: ${ping ? 'answering' : out.paint('red', 'NOT answering')}.`);
      return ping ? EXIT.ok : EXIT.failed;
    }

    if (sub === 'stop') {
      const { live } = await readOwnerLock(dir.lockFile);
      if (!live) {
        out.line(`No owner is running for ${dir.home}.`);
        return EXIT.ok;
      }
      if (!live.socket) throw new CliError(EXIT.owner, `The owner (${live.kind}, pid ${live.pid}) has no control socket yet (still starting?); try again, or \`kill ${live.pid}\`.`);
      const stopServices = values['stop-services'] === true;
      let client: ControlClient;
      try {
        client = await ControlClient.connect(live.socket, 3000);
      } catch (e) {
        throw new CliError(EXIT.owner, `The owner (${live.kind}, pid ${live.pid}) does not answer on ${live.socket}: ${(e as Error).message} End it with \`kill ${live.pid}\` (services keep running).`);
      }
      let running = 0;
      try {
        running = (await client.call('snapshot', {})).stacks.flatMap((st) => st.services).filter((sv) => sv.pid !== null).length;
        await client.call('shutdown', { stopServices }, 10_000);
      } catch (e) {
        throw new CliError(EXIT.failed, `The owner (${live.kind}, pid ${live.pid}) refused to stop: ${(e as Error).message}${live.kind === 'app' ? ' Quit the Corral app from its menu.' : ''}`);
      } finally {
        client.close();
      }
      const bound = stopServices ? 180_000 : 20_000;
      if (stopServices) out.note(out.paint('dim', 'Stopping services, then the owner…'));
      const gone = await waitUntil(async () => (await readOwnerLock(dir.lockFile)).live?.pid !== live.pid, bound);
      if (!gone) throw new CliError(EXIT.failed, `The owner (pid ${live.pid}) accepted to stop but still runs after ${bound / 1000} s; see ${dir.ownerLog}.`);
      const services = running === 1 ? '1 service' : `${running} services`;
      const after =
        running === 0
          ? 'no service was running.'
          : stopServices
            ? `its ${services} ${running === 1 ? 'was' : 'were'} stopped.`
            : `${services} ${running === 1 ? 'keeps' : 'keep'} running (the next owner adopts ${running === 1 ? 'it' : 'them'}; \`corral down\` stops ${running === 1 ? 'it' : 'them'}).`;
      out.line(`Owner ${live.kind} pid ${live.pid} stopped; ${after}`);
      return EXIT.ok;
    }

    // Foreground owner. When started by the CLI its output is the owner log, which the owner writes itself: echo only to a terminal.
    const echo = process.stdout.isTTY ? (line: string) => void process.stdout.write(line + '\n') : undefined;
    let d;
    try {
      d = await startDaemon({ home: dir.home, takeOver: values['take-over'] === true, ...(echo ? { onLog: echo } : {}), rotation: rotationFromEnv(ctx.env), version: version(), processHandlers: true });
    } catch (e) {
      if (e instanceof OwnerBusyError) {
        const h = e.holder;
        out.line(`${new Date().toISOString()} a Corral owner already runs for ${dir.home}: ${h.kind} pid ${h.pid}${h.socket ? `, socket ${h.socket}` : ''}; not starting another (use --take-over to replace it).`);
        return EXIT.ok;
      }
      if (e instanceof SocketPathError) throw new CliError(EXIT.owner, e.message);
      throw e;
    }
    const running = d;
    const stop = () => void running.stop();
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // Detached, there is no terminal to hang up; in a terminal, closing it should not kill the owner mid-write.
    process.on('SIGHUP', () => {});
    if (echo) out.note(`Corral daemon pid ${process.pid} owns ${dir.home}; control socket ${d.socketPath}. Ctrl-C ends it (services keep running).`);
    const end = await d.done;
    if (echo) out.note(`owner closed (${end.reason}${end.stopServices ? ', services stopped' : ', services left running'})`);
    return EXIT.ok;
  },
};
