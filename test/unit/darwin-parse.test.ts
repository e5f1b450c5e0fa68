// The macOS platform cannot run on Linux CI, so everything it decides is tested
// here on recorded output of ps, sysctl, lsof and netstat (test/fixtures/darwin/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/env.js';
import {
  checkGroupProof,
  checkIdentity,
  isDead,
  isValidPid,
  mergeListeners,
  parseBootSessionUuid,
  parseBootTime,
  parseCpuTime,
  parsePsUsage,
  parseLsofListen,
  parseLstart,
  parseMarker,
  parseNetstatListen,
  parsePs,
  parsePsLine,
} from '../../electron/engine/process/platform/darwin-parse.js';
import type { ProcessIdentity } from '../../electron/engine/process/platform/types.js';

const rec = (name: string): string => readFileSync(fixture(`darwin/${name}`), 'utf8');
const epoch = (iso: string): string => String(Date.parse(iso) / 1000);

// ---------------------------------------------------------------- boot id

test('kern.bootsessionuuid: the UUID, upper-cased; anything else is null', () => {
  assert.equal(parseBootSessionUuid(rec('sysctl-bootsessionuuid.txt')), '3C2B7A51-9E0F-4D6B-8A2C-1F4E5D6C7B8A');
  assert.equal(parseBootSessionUuid('3c2b7a51-9e0f-4d6b-8a2c-1f4e5d6c7b8a\n'), '3C2B7A51-9E0F-4D6B-8A2C-1F4E5D6C7B8A');
  assert.equal(parseBootSessionUuid(''), null);
  assert.equal(parseBootSessionUuid("sysctl: unknown oid 'kern.bootsessionuuid'"), null);
  assert.equal(parseBootSessionUuid('3C2B7A51-9E0F-4D6B-8A2C'), null);
});

test('kern.boottime: "sec.usec" with usec zero-padded', () => {
  assert.equal(parseBootTime(rec('sysctl-boottime.txt')), '1699869518.402113');
  assert.equal(parseBootTime(rec('sysctl-boottime-small-usec.txt')), '1701417600.005012');
  assert.equal(parseBootTime('{ sec = 1700000000, usec = 123456 } Mon Nov 13 22:13:20 2023'), '1700000000.123456');
  assert.equal(parseBootTime('Mon Nov 13 22:13:20 2023'), null);
  assert.equal(parseBootTime(''), null);
});

// ---------------------------------------------------------------- lstart

test('lstart: C-locale "%c" to epoch seconds (UTC), single-digit days padded with a space', () => {
  assert.equal(parseLstart('Mon Nov 13 10:02:03 2023'), epoch('2023-11-13T10:02:03Z'));
  assert.equal(parseLstart('Fri Dec  1 08:00:00 2023'), epoch('2023-12-01T08:00:00Z'));
  assert.equal(parseLstart('Thu Feb 29 12:00:00 2024'), epoch('2024-02-29T12:00:00Z'));
  assert.equal(parseLstart('  Mon Jan  1 00:00:00 2024    '), epoch('2024-01-01T00:00:00Z'));
  assert.equal(parseLstart('-'), null);
  assert.equal(parseLstart('Mon Foo 13 10:02:03 2023'), null);
  assert.equal(parseLstart('lun. 13 nov. 2023 10:02:03'), null, 'a localised date would not be stable');
});

// ---------------------------------------------------------------- ps

test('ps -axww: every row, with commands holding spaces and parentheses intact', () => {
  const rows = parsePs(rec('ps-axww.txt'));
  assert.equal(rows.length, 20);
  assert.deepEqual(rows[0], {
    pid: 1, ppid: 0, pgid: 1, sid: 1, state: 'S', start: epoch('2023-11-13T09:58:41Z'), command: '/sbin/launchd',
  });
  const byPid = new Map(rows.map((r) => [r.pid, r]));
  assert.equal(byPid.get(415)!.command, '(mds_stores)', 'another user: ps shows only the name in parentheses');
  assert.equal(
    byPid.get(2044)!.command,
    '/Applications/Visual Studio Code.app/Contents/Frameworks/Code Helper (Plugin).app/Contents/MacOS/Code Helper (Plugin) --type=utility --utility-sub-type=node.mojom.NodeService --lang=en-GB',
  );
  assert.equal(
    byPid.get(8123)!.command,
    'temporal server start-dev --port 7233 --db-filename /Users/ana/Library/Application Support/Corral/temporal.db',
  );
  assert.equal(byPid.get(8140)!.command, '/bin/sh -c node worker.js --name "agent (primary)" 2>&1');
  assert.equal(byPid.get(8141)!.command, 'node worker.js --name agent (primary)');
  assert.equal(byPid.get(9001)!.command, '-zsh');
  assert.equal(byPid.get(9001)!.start, epoch('2023-12-01T08:00:00Z'));
});

test('ps: group membership, sid falls back to pgid, state is the first letter of stat', () => {
  const byPid = new Map(parsePs(rec('ps-axww.txt')).map((r) => [r.pid, r]));
  const w = byPid.get(8141)!;
  assert.deepEqual([w.ppid, w.pgid, w.sid], [8140, 8140, 8140]);
  const py = byPid.get(8142)!; // moved to its own group
  assert.deepEqual([py.ppid, py.pgid, py.sid], [8141, 8142, 8142]);
  assert.equal(byPid.get(98765)!.pgid, 98765, 'five-digit pids fill the column');
  const states = Object.fromEntries([...byPid.values()].map((r) => [r.pid, r.state]));
  assert.equal(states[1], 'S'); // Ss
  assert.equal(states[9001], 'S'); // S+
  assert.equal(states[9077], 'R'); // R+
  assert.equal(states[9302], 'T');
  assert.equal(states[98765], 'S'); // SN
  assert.equal(states[99001], 'I');
  assert.equal(states[99002], 'U'); // Us
  assert.equal(states[8150], 'Z');
});

test('ps: zombies are listed by the parser and dead for Corral', () => {
  const rows = parsePs(rec('ps-axww.txt'));
  const zombies = rows.filter(isDead).map((r) => [r.pid, r.command]);
  assert.deepEqual(zombies, [[8150, '<defunct>'], [8151, '(node)']]);
  assert.equal(rows.filter((r) => !isDead(r)).length, 18);
  const [z] = parsePs(rec('ps-p-zombie.txt'));
  assert.ok(z && isDead(z));
});

test('ps -p: one row, or nothing when the pid is gone', () => {
  const rows = parsePs(rec('ps-p-live.txt'));
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.pid, 8123);
  assert.equal(rows[0]!.start, epoch('2023-11-14T10:02:03Z'));
  assert.deepEqual(parsePs(rec('ps-p-missing.txt')), []);
});

test('ps: garbage, headers, blank lines and continuation lines are ignored', () => {
  const text = [
    '  PID  PPID  PGID STAT STARTED                      COMMAND',
    '',
    'ps: No user named \'x\'',
    ' 8123     1  8123 Ss   Tue Nov 14 10:02:03 2023     node -e "console.log(1);',
    'console.log(2)"',
    ' 8124     1  8124 Ss   -                            (node)',
    ' abc     1  8124 Ss   Tue Nov 14 10:02:03 2023     x',
    ' 8125     1  8125 S    Tue Nov 14 10:02:03 2023',
    '\r',
  ].join('\n');
  const rows = parsePs(text);
  assert.deepEqual(rows.map((r) => [r.pid, r.command]), [[8123, 'node -e "console.log(1);'], [8125, '']]);
  assert.equal(parsePsLine('Tue Nov 14 10:02:03 2023'), null);
});

test('isValidPid refuses what kill() would read as a group', () => {
  assert.ok(isValidPid(1));
  assert.ok(isValidPid(99999));
  for (const bad of [0, -1, -8123, 1.5, Number.NaN, 2 ** 31]) assert.equal(isValidPid(bad), false, String(bad));
});

// ---------------------------------------------------------------- identity

const BOOT = '3C2B7A51-9E0F-4D6B-8A2C-1F4E5D6C7B8A';
const startOf = (iso: string): string => epoch(iso);

test('checkIdentity: match, reused pid, other boot, gone, zombie', () => {
  const [row] = parsePs(rec('ps-p-live.txt'));
  const id: ProcessIdentity = { pid: 8123, start: startOf('2023-11-14T10:02:03Z'), boot: BOOT };
  assert.equal(checkIdentity(id, row!, BOOT), 'match');
  assert.equal(checkIdentity({ ...id, start: startOf('2023-11-14T10:02:02Z') }, row!, BOOT), 'not-ours', 'pid reused');
  assert.equal(checkIdentity({ ...id, boot: 'OTHER-BOOT' }, row!, BOOT), 'not-ours', 'state file from another boot');
  assert.equal(checkIdentity(id, null, BOOT), 'gone');
  assert.equal(checkIdentity({ ...id, pid: 8124 }, row!, BOOT), 'gone', 'a row for another pid proves nothing');
  const [zombie] = parsePs(rec('ps-p-zombie.txt'));
  assert.equal(checkIdentity({ pid: 8150, start: zombie!.start, boot: BOOT }, zombie!, BOOT), 'gone');
});

test('checkGroupProof: a live member with matching start and pgid proves the group', () => {
  const rows = parsePs(rec('ps-p-group.txt')); // 8140 (leader), 8141 (member), 8150 (zombie)
  const leader: ProcessIdentity = { pid: 8140, start: startOf('2023-11-14T10:02:06Z'), boot: BOOT };
  const member: ProcessIdentity = { pid: 8141, start: startOf('2023-11-14T10:02:06Z'), boot: BOOT };
  const zombie: ProcessIdentity = { pid: 8150, start: startOf('2023-11-14T10:02:08Z'), boot: BOOT };
  const missing: ProcessIdentity = { pid: 8199, start: startOf('2023-11-14T10:02:08Z'), boot: BOOT };

  assert.equal(checkGroupProof(8140, [leader], rows, BOOT), 'match');
  assert.equal(checkGroupProof(8140, [missing, zombie, member], rows, BOOT), 'match', 'any one proof is enough');
  assert.equal(checkGroupProof(8140, [zombie, missing], rows, BOOT), 'gone');
  assert.equal(checkGroupProof(8140, [], rows, BOOT), 'gone');
  assert.equal(checkGroupProof(8141, [member], rows, BOOT), 'not-ours', 'member alive but in another group');
  assert.equal(checkGroupProof(8140, [{ ...leader, start: startOf('2023-11-14T10:01:00Z') }], rows, BOOT), 'not-ours');
  assert.equal(checkGroupProof(8140, [leader], rows, 'OTHER-BOOT'), 'not-ours');
});

test('checkGroupProof never approves pgid 0 or 1 (kill(0) is our own group, kill(-1) everyone)', () => {
  const rows = parsePs(rec('ps-axww.txt'));
  const launchd: ProcessIdentity = { pid: 1, start: startOf('2023-11-13T09:58:41Z'), boot: BOOT };
  assert.equal(checkGroupProof(1, [launchd], rows, BOOT), 'not-ours');
  assert.equal(checkGroupProof(0, [launchd], rows, BOOT), 'not-ours');
  assert.equal(checkGroupProof(-8140, [launchd], rows, BOOT), 'not-ours');
});

// ---------------------------------------------------------------- marker

// `ps -E` output and the same column without -E (the process's arguments).
const argsOf = (text: string, args: string): [string, string] => [text.trim(), args];

test('ps -E: the marker is read from the environment part only; \'\' when readable and absent', () => {
  const stigmer = '/Users/ana/.stigmer/bin/stigmer-server --config /Users/ana/Library/Application Support/Corral/stigmer.yaml';
  assert.equal(parseMarker(...argsOf(rec('ps-E-marked.txt'), stigmer)), '5f3a9c1e/stigmer/stigmer-server/01HF3K9Z7QW2');
  assert.equal(parseMarker(...argsOf(rec('ps-E-unmarked.txt'), '/usr/bin/python3 -m http.server 8000')), '', 'readable, not ours');
});

test('ps -E: no environment shown (another user, a SIP-restricted binary) is unreadable, never "not ours"', () => {
  assert.equal(parseMarker(...argsOf(rec('ps-E-other-user.txt'), '(postgres)')), null);
  assert.equal(parseMarker('/bin/sleep 1000', '/bin/sleep 1000'), null);
  assert.equal(parseMarker('', ''), null);
  assert.equal(parseMarker('node b.js PATH=/usr/bin', 'node a.js'), null, 'arguments changed between the two calls');
});

test('ps -E: a marker among the arguments never counts; partial names do not count', () => {
  const args = '/bin/sh -c echo CORRAL_INSTANCE=from-the-arguments; exec node worker.js';
  assert.equal(parseMarker(...argsOf(rec('ps-E-marker-in-args.txt'), args)), '5f3a9c1e/stigmer/agent-runner/01HF3KA2B7YY');
  // A grep for our marker, environment without one: not ours (the old parser said it was).
  assert.equal(parseMarker('grep CORRAL_INSTANCE=5f3a9c1e/x HOME=/Users/ana', 'grep CORRAL_INSTANCE=5f3a9c1e/x'), '');
  // Restricted binary whose arguments hold the marker: unreadable, not ours by its arguments.
  assert.equal(parseMarker('/bin/bash -c : CORRAL_INSTANCE=5f3a9c1e/x', '/bin/bash -c : CORRAL_INSTANCE=5f3a9c1e/x'), null);
  assert.equal(parseMarker('node x.js MY_CORRAL_INSTANCE=abc HOME=/Users/ana', 'node x.js'), '');
  assert.equal(parseMarker('node x.js CORRAL_INSTANCE= HOME=/Users/ana', 'node x.js'), '', 'empty value');
});

test('ps: the user column is read when asked for, and optional', () => {
  const row = parsePsLine(' 8123     1  8123 ana              Ss   Tue Nov 14 10:02:03 2023     temporal server start-dev');
  assert.equal(row?.user, 'ana');
  assert.equal(row?.state, 'S');
  assert.equal(row?.command, 'temporal server start-dev');
  assert.equal(parsePs(rec('ps-p-live.txt'))[0]!.user, undefined);
});

// ---------------------------------------------------------------- listeners

test('lsof -F: IPv4, IPv6 and wildcard rows, addresses as on Linux', () => {
  const rows = parseLsofListen(rec('lsof-listen.txt'));
  const temporal = rows.filter((r) => r.pid === 8123);
  assert.deepEqual(temporal, [
    { pid: 8123, command: 'temporal', family: 'IPv4', address: '127.0.0.1', port: 7233 },
    { pid: 8123, command: 'temporal', family: 'IPv6', address: '::1', port: 7233 },
  ]);
  assert.deepEqual(rows.filter((r) => r.pid === 8131).map((r) => [r.address, r.port]), [['::', 7234]]);
  assert.deepEqual(rows.filter((r) => r.pid === 8142).map((r) => [r.address, r.port, r.command]), [['0.0.0.0', 8000, 'python3.11']]);
  assert.equal(rows.length, 13);
});

test('lsof -F: a socket shared by forked workers keeps every pid', () => {
  const listeners = mergeListeners(parseLsofListen(rec('lsof-listen.txt')), [], [5000]);
  assert.deepEqual(listeners, [
    { port: 5000, address: '0.0.0.0', pids: [9410] },
    { port: 5000, address: '127.0.0.1', pids: [8201, 8202, 8203] },
    { port: 5000, address: '::', pids: [9410] },
  ]);
});

test('lsof -F: garbage, unknown fields, non-LISTEN files and missing f lines', () => {
  const text = [
    'lsof: WARNING: can\'t stat() nfs file system /Volumes/share',
    '',
    'p700',
    'cnode',
    'u501', // a field we did not ask for
    'f20',
    'tIPv4',
    'n127.0.0.1:52610->127.0.0.1:7233',
    'TST=ESTABLISHED',
    'f21',
    'tIPv4',
    'n127.0.0.1:9229',
    'TST=CLOSE_WAIT',
    'f22',
    'tIPv6',
    'n[fe80::1%lo0]:9230',
    'TST=LISTEN',
    'n*:9231', // second name without an f line: a new file, family unknown
    'pnot-a-pid',
    'cghost',
    'f3',
    'n*:9232',
    'p701',
    'f4',
    'n127.0.0.1:notaport',
    'f5',
    'n127.0.0.1:70000',
    'f6',
    'n127.0.0.1:9233\r',
  ].join('\n');
  assert.deepEqual(
    parseLsofListen(text).map((r) => [r.pid, r.address, r.port]),
    [
      [700, 'fe80::1', 9230],
      [700, '*', 9231],
      [701, '127.0.0.1', 9233],
    ],
  );
  assert.deepEqual(parseLsofListen(''), []);
});

test('netstat -an: LISTEN rows of every user, tcp46 as ::, scope dropped', () => {
  const rows = parseNetstatListen(rec('netstat-an.txt'));
  assert.equal(rows.length, 14);
  assert.deepEqual(rows.filter((r) => r.port === 7234), [{ address: '::', port: 7234 }]);
  assert.deepEqual(rows.filter((r) => r.port === 5432), [
    { address: '127.0.0.1', port: 5432 },
    { address: '::1', port: 5432 },
  ]);
  assert.deepEqual(rows.filter((r) => r.port === 631), [{ address: 'fe80::1', port: 631 }]);
  assert.ok(!rows.some((r) => r.port === 52610 || r.port === 5223), 'connections are not listeners');
  assert.deepEqual(parseNetstatListen('garbage\n\ntcp4 0 0 *.x *.* LISTEN'), []);
});

test('listeners: lsof holders, plus sockets only netstat sees (another user) with no pids', () => {
  const all = mergeListeners(parseLsofListen(rec('lsof-listen.txt')), parseNetstatListen(rec('netstat-an.txt')));
  const at = (port: number) => all.filter((l) => l.port === port);
  assert.deepEqual(at(7233), [
    { port: 7233, address: '127.0.0.1', pids: [8123] },
    { port: 7233, address: '::1', pids: [8123] },
  ]);
  assert.deepEqual(at(7234), [{ port: 7234, address: '::', pids: [8131] }], 'tcp46 *.7234 is the same socket as lsof IPv6 *:7234');
  assert.deepEqual(at(5432), [
    { port: 5432, address: '127.0.0.1', pids: [] },
    { port: 5432, address: '::1', pids: [] },
  ]);
  assert.deepEqual(at(631), [{ port: 631, address: 'fe80::1', pids: [] }]);
  assert.equal(all.length, 14);
  assert.deepEqual(all.map((l) => l.port), [...all.map((l) => l.port)].sort((a, b) => a - b), 'sorted by port');
});

test('listeners: restricted to the asked ports', () => {
  const lsof = parseLsofListen(rec('lsof-listen.txt'));
  const netstat = parseNetstatListen(rec('netstat-an.txt'));
  assert.deepEqual(mergeListeners(lsof, netstat, [7234, 5432, 1234]).map((l) => [l.port, l.address, l.pids]), [
    [5432, '127.0.0.1', []],
    [5432, '::1', []],
    [7234, '::', [8131]],
  ]);
  assert.deepEqual(mergeListeners(lsof, netstat, []), []);
});

test('ps -o time: minutes:seconds.hundredths as macOS prints it, and the BSD forms with hours and days, to ms', () => {
  assert.equal(parseCpuTime('0:01.23'), 1230);
  assert.equal(parseCpuTime('  125:07.90 '), (125 * 60 + 7.9) * 1000);
  assert.equal(parseCpuTime('1:02:03.45'), (3600 + 2 * 60 + 3.45) * 1000);
  assert.equal(parseCpuTime('2-01:02:03'), ((2 * 24 + 1) * 3600 + 2 * 60 + 3) * 1000);
  for (const bad of ['', '1.5', 'abc', '1:xx.00', '-1:00.00']) assert.equal(parseCpuTime(bad), null, bad);
});

test('ps usage rows: CPU time and RSS (KiB) with what membership needs; zombies and garbage left out', () => {
  const rows = parsePsUsage(readFileSync(fixture('darwin/ps-usage.txt'), 'utf8'));
  assert.deepEqual(
    rows.map((r) => [r.pid, r.ppid, r.pgid, r.state, r.cpuMs, r.rssBytes, r.command]),
    [
      [1, 0, 1, 'S', (125 * 60 + 7.9) * 1000, 14240 * 1024, '/sbin/launchd'],
      [501, 1, 501, 'S', 1230, 98304 * 1024, '/Applications/Foo.app/Contents/MacOS/Foo Helper'],
      [700, 501, 700, 'R', (3600 + 2 * 60 + 3.45) * 1000, 512000 * 1024, 'node'],
    ],
  );
  assert.equal(rows[1]!.start, String(Date.UTC(2025, 10, 3, 10, 2, 3) / 1000), 'the same start as every other ps row of that process');
});
