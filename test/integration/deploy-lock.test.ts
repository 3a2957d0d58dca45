/**
 * The deploy lock (src/deploy/lock.ts) over the real sshd: one holder at a time, waiting with progress, a one-line
 * error naming the holder, stale locks broken by exactly one waiter, nobody else's lock ever removed, and a lock
 * left behind by a dropped connection broken once stale.
 */
import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { render, script } from '../../src/core/command.js';
import { BelayError } from '../../src/core/errors.js';
import {
  acquireDeployLock,
  readLockOwner,
  releaseIfOurs,
  type AcquireOptions,
  type HeldLock,
  type LockOwner,
} from '../../src/deploy/lock.js';
import type { Transport } from '../../src/transport/types.js';
import { appDirs } from '../harness/app-dirs.js';
import { startSshd } from '../harness/sshd.js';

const dirs = appDirs('belay-lock-');
/** Two connections, as two runners deploying at once would have. */
let a: Transport;
let b: Transport;
beforeAll(async () => {
  [a, b] = await Promise.all([dirs.connect(), dirs.connect()]);
});
afterAll(() => dirs.cleanup());

const HOUR = 3_600_000;
const owner = (name: string, over: Partial<LockOwner> = {}): LockOwner => ({
  release: `20261123T170102Z-${randomBytes(2).toString('hex')}-${name}`,
  run: `https://github.com/acme/shop/actions/runs/${name}`,
  actor: `actor-${name}`,
  host: `runner-${name}`,
  pid: 4242,
  time: '2000-01-01T00:00:00Z',
  ...over,
});

/** Options that record what the lock reports. */
function recorder(over: Partial<AcquireOptions> = {}) {
  const warnings: string[] = [];
  const progress: { waitedMs: number; holder: LockOwner | undefined }[] = [];
  const options: AcquireOptions = {
    timeoutMs: 30_000,
    staleAfterMs: HOUR,
    pollMs: 100,
    progressEveryMs: 500,
    progress: (waitedMs, holder) => progress.push({ waitedMs, holder }),
    warn: (message) => warnings.push(message),
    ...over,
  };
  return { options, warnings, progress };
}

const lockDir = (appDir: string) => join(appDir, '.belay', 'lock');
const ownerOnDisk = (appDir: string) => JSON.parse(readFileSync(join(lockDir(appDir), 'owner.json'), 'utf8'));

/** A lock as a dead deploy left it, written straight to disk (the tests run as root on the server). */
function plantLock(appDir: string, holder: LockOwner | undefined, mtime?: Date): void {
  mkdirSync(lockDir(appDir), { recursive: true, mode: 0o700 });
  dirs.own(join(appDir, '.belay'));
  dirs.own(lockDir(appDir));
  if (holder) writeFileSync(join(lockDir(appDir), 'owner.json'), `${JSON.stringify(holder)}\n`);
  if (mtime) utimesSync(lockDir(appDir), mtime, mtime);
}

/** The parent of a process, from /proc (its name may hold spaces: `sshd: deploy@notty`). */
const parentOf = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
};

/** SIGKILL a process of the extra sshd (and nothing else), if it still runs. */
function killIfAlive(pid: number): void {
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sshd')) return;
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone with the listener
  }
}

const isoAgo = (ms: number) => new Date(Date.now() - ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** Which of the promises settled by now (a short pause lets ready ones settle). */
async function settled<T>(promises: Promise<T>[]): Promise<boolean[]> {
  const done = promises.map(() => false);
  promises.forEach((p, i) =>
    p.then(
      () => (done[i] = true),
      () => (done[i] = true),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  return done;
}

describe('one holder at a time', () => {
  test('the lock is a 0700 folder with the owner record, time by the server', async () => {
    const appDir = dirs.make('layout');
    const me = owner('me');
    const before = Math.floor(Date.now() / 1000);
    const lock = await acquireDeployLock(a, appDir, me, recorder().options);
    expect(lock.owner).toEqual({ ...me, time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    expect(Date.parse(lock.owner.time) / 1000).toBeGreaterThanOrEqual(before - 1);
    expect(ownerOnDisk(appDir)).toEqual(lock.owner);
    expect(statSync(join(appDir, '.belay')).mode & 0o777).toBe(0o700);
    expect(statSync(lockDir(appDir)).mode & 0o777).toBe(0o700);
    expect(statSync(join(lockDir(appDir), 'owner.json')).mode & 0o777).toBe(0o600);
    expect(await readLockOwner(a, appDir)).toEqual(lock.owner);
    await lock.release();
    expect(existsSync(lockDir(appDir))).toBe(false);
    expect(await readLockOwner(a, appDir)).toBeUndefined();
    await lock.release(); // a second release is harmless
  });

  test('two acquirers at once: one holds, the other waits with progress and gets it after release', async () => {
    const appDir = dirs.make('two');
    const [ownerA, ownerB] = [owner('a'), owner('b')];
    const [recA, recB] = [recorder(), recorder()];
    const pending = [
      acquireDeployLock(a, appDir, ownerA, recA.options),
      acquireDeployLock(b, appDir, ownerB, recB.options),
    ];
    const first = await Promise.race(pending);
    const firstIndex = first.owner.release === ownerA.release ? 0 : 1;
    const waiter = pending[1 - firstIndex]!;
    const waiterRec = [recA, recB][1 - firstIndex]!;

    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(await settled([waiter])).toEqual([false]);
    expect(ownerOnDisk(appDir)).toEqual(first.owner);
    // Progress right away, then every progressEveryMs, naming the holder.
    expect(waiterRec.progress.length).toBeGreaterThanOrEqual(2);
    expect(waiterRec.progress[0]!.waitedMs).toBeLessThan(500);
    expect(waiterRec.progress.every((p) => p.holder?.release === first.owner.release)).toBe(true);

    await first.release();
    const second = await waiter;
    expect(second.owner.release).toBe([ownerA, ownerB][1 - firstIndex]!.release);
    expect(ownerOnDisk(appDir)).toEqual(second.owner);
    expect([...recA.warnings, ...recB.warnings]).toEqual([]);
    await second.release();
  });

  test('a waiter that runs out of time fails with one line naming the holder and the fix', async () => {
    const appDir = dirs.make('timeout');
    const holder = await acquireDeployLock(a, appDir, owner('holder'), recorder().options);
    const rec = recorder({ timeoutMs: 1_500, pollMs: 200 });
    const started = Date.now();
    const err = await acquireDeployLock(b, appDir, owner('late'), rec.options).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(err).toBeInstanceOf(BelayError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain(`is held by release ${holder.owner.release} (actor actor-holder, `);
    expect(message).toContain('run https://github.com/acme/shop/actions/runs/holder');
    expect(message).toContain(`since ${holder.owner.time} (`);
    expect(message).toContain('(lock-timeout)');
    expect(message).toContain(`break the lock by hand on the server: rm -rf -- ${lockDir(appDir)}`);
    expect(rec.progress[0]!.holder).toEqual(holder.owner);
    // The holder is untouched.
    expect(ownerOnDisk(appDir)).toEqual(holder.owner);
    await holder.release();
  });

  test('timeout 0 is a single look', async () => {
    const appDir = dirs.make('zero');
    const holder = await acquireDeployLock(a, appDir, owner('holder'), recorder().options);
    const started = Date.now();
    await expect(acquireDeployLock(b, appDir, owner('x'), recorder({ timeoutMs: 0 }).options)).rejects.toThrow(
      /is held by release/,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    await holder.release();
  });
});

describe('stale locks', () => {
  test('an owner older than staleAfter (by the server clock) is broken with a warning naming it', async () => {
    const appDir = dirs.make('stale');
    const dead = owner('dead', { time: isoAgo(2 * HOUR) });
    plantLock(appDir, dead);
    const rec = recorder();
    const lock = await acquireDeployLock(a, appDir, owner('new'), rec.options);
    expect(ownerOnDisk(appDir)).toEqual(lock.owner);
    expect(rec.warnings).toHaveLength(1);
    expect(rec.warnings[0]).toMatch(
      new RegExp(`^Broke a stale deploy lock on deploy@127\\.0\\.0\\.1:\\d+: it was held by release ${dead.release} `),
    );
    // Whole seconds: a busy machine may take one or two between planting the lock and breaking it.
    expect(rec.warnings[0]).toMatch(new RegExp(`since ${dead.time} \\(2h(?: \\d+s)? ago by the server's clock\\)`));
    expect(rec.warnings[0]).toContain('lock-stale-after (1h)');
    expect(rec.progress).toEqual([]);
    // Nothing of the broken lock is left behind.
    expect(readdirSync(join(appDir, '.belay')).sort()).toEqual(['lock', 'lock.guard']);
    await lock.release();
  });

  test('an owner younger than staleAfter is waited for, not broken', async () => {
    const appDir = dirs.make('young');
    const alive = owner('alive', { time: isoAgo(30 * 60_000) });
    plantLock(appDir, alive);
    const rec = recorder({ timeoutMs: 600 });
    await expect(acquireDeployLock(a, appDir, owner('new'), rec.options)).rejects.toThrow(
      `held by release ${alive.release}`,
    );
    expect(rec.warnings).toEqual([]);
    expect(ownerOnDisk(appDir)).toEqual(alive);
  });

  test("the runner's clock plays no part: a runner three hours ahead does not break a young lock", async () => {
    const appDir = dirs.make('runner-clock');
    const alive = owner('alive', { time: isoAgo(30 * 60_000) });
    plantLock(appDir, alive);
    const realNow = Date.now.bind(Date);
    const skewed = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 3 * HOUR);
    try {
      const rec = recorder({ timeoutMs: 600 });
      await expect(acquireDeployLock(a, appDir, owner('new'), rec.options)).rejects.toThrow(
        new RegExp(`since ${alive.time} \\(30m( [12]s)? ago by the server's clock\\)`),
      );
      expect(rec.warnings).toEqual([]);
    } finally {
      skewed.mockRestore();
    }
  });

  test('without a readable owner record the folder mtime decides, by the same rule', async () => {
    const old = dirs.make('no-owner-old');
    plantLock(old, undefined, new Date(Date.now() - 2 * HOUR));
    const rec = recorder();
    const lock = await acquireDeployLock(a, old, owner('new'), rec.options);
    expect(rec.warnings[0]).toContain('held by an unknown deploy (its owner.json is missing or unreadable) since ');
    await lock.release();

    // A fresh folder without owner (a lock being taken right now, or a half-written one) is not stale.
    const fresh = dirs.make('no-owner-fresh');
    plantLock(fresh, undefined);
    writeFileSync(join(lockDir(fresh), 'owner.json'), '{"not": "an owner"');
    const rec2 = recorder({ timeoutMs: 600 });
    await expect(acquireDeployLock(a, fresh, owner('new'), rec2.options)).rejects.toThrow(
      /held by an unknown deploy .* since \S+ \(\d+m?s ago by the server's clock\)/,
    );
    expect(rec2.warnings).toEqual([]);
    expect(rec2.progress[0]!.holder).toBeUndefined();
  });

  test('waiters racing for one stale lock: exactly one breaks it and holds, every round', async () => {
    const racers = await Promise.all([1, 2, 3, 4].map(() => dirs.connect()));
    for (let round = 0; round < 5; round++) {
      const appDir = dirs.make(`race-${round}`);
      plantLock(appDir, owner('dead', { time: isoAgo(2 * HOUR) }));
      const recs = racers.map(() => recorder({ timeoutMs: 1_000 }));
      const results = await Promise.allSettled(
        racers.map((t, i) => acquireDeployLock(t, appDir, owner(`racer${i}`), recs[i]!.options)),
      );
      const winners = results.filter((r): r is PromiseFulfilledResult<HeldLock> => r.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      const winner = winners[0]!.value;
      expect(ownerOnDisk(appDir)).toEqual(winner.owner);
      expect(recs.flatMap((r) => r.warnings)).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(String(r.reason)).toContain(`held by release ${winner.owner.release}`);
      }
      await winner.release();
    }
  });

  test('a waiter that found the lock stale does not break the fresh lock someone took meanwhile', async () => {
    const appDir = dirs.make('slow-breaker');
    plantLock(appDir, owner('dead', { time: isoAgo(2 * HOUR) }));
    // The slow waiter's transport holds its break command until the fast one has broken the lock and taken it.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let breakSeen!: () => void;
    const atBreak = new Promise<void>((resolve) => (breakSeen = resolve));
    const slowTransport: Transport = Object.create(a, {
      exec: {
        value: async (...args: Parameters<Transport['exec']>) => {
          if (render(args[0]).includes('lock.broken-')) {
            breakSeen();
            await gate;
          }
          return a.exec(...args);
        },
      },
    });
    const slowRec = recorder({ timeoutMs: 1_500 });
    const slow = acquireDeployLock(slowTransport, appDir, owner('slow'), slowRec.options).catch((e: unknown) => e);
    await atBreak;
    const fastRec = recorder();
    const fast = await acquireDeployLock(await dirs.connect(), appDir, owner('fast'), fastRec.options);
    expect(fastRec.warnings).toHaveLength(1);
    open();
    const err = await slow;
    expect(err).toBeInstanceOf(BelayError);
    expect((err as Error).message).toContain(`held by release ${fast.owner.release}`);
    expect(slowRec.warnings).toEqual([]);
    expect(ownerOnDisk(appDir)).toEqual(fast.owner);
    await fast.release();
  });
});

describe('release removes only our own lock', () => {
  test('releaseIfOurs leaves someone else’s lock and removes ours, whatever time it was given', async () => {
    const appDir = dirs.make('if-ours');
    const me = owner('me');
    const lock = await acquireDeployLock(a, appDir, me, recorder().options);
    expect(await releaseIfOurs(a, appDir, owner('other'))).toBe(false);
    expect(await releaseIfOurs(a, appDir, { ...me, pid: me.pid + 1 })).toBe(false);
    expect(await releaseIfOurs(a, appDir, { ...me, release: me.release.slice(0, -1) })).toBe(false);
    expect(ownerOnDisk(appDir)).toEqual(lock.owner);
    // The post step of a cancelled job knows the owner it saved; the time it has may differ.
    expect(await releaseIfOurs(a, appDir, { ...me, time: '1999-01-01T00:00:00Z' })).toBe(true);
    expect(existsSync(lockDir(appDir))).toBe(false);
    expect(await releaseIfOurs(a, appDir, me)).toBe(false);
    expect(await releaseIfOurs(a, dirs.make('never-locked'), me)).toBe(false);
  });

  test('a held lock that was broken and taken by another deploy is left to it, with a warning', async () => {
    const appDir = dirs.make('taken-over');
    const rec = recorder();
    const lock = await acquireDeployLock(a, appDir, owner('me'), rec.options);
    const other = owner('other', { time: isoAgo(0) });
    rmSync(lockDir(appDir), { recursive: true });
    plantLock(appDir, other);
    await lock.release();
    expect(ownerOnDisk(appDir)).toEqual(other);
    expect(rec.warnings).toEqual([
      expect.stringMatching(/^The deploy lock on \S+ was no longer ours at the end \(it is held by release \S+-other /),
    ]);
  });

  test('a lock folder without owner is nobody’s to release', async () => {
    const appDir = dirs.make('ownerless');
    plantLock(appDir, undefined);
    expect(await releaseIfOurs(a, appDir, owner('me'))).toBe(false);
    expect(existsSync(lockDir(appDir))).toBe(true);
  });
});

describe("the caller's step, run in the command that takes the lock", () => {
  // The step is constant shell text; what it works on arrives as arguments, never parsed.
  const step = (marker: string) => ({
    script: 'printf "arg=%s\\n" "$@"; [ -f "$1/.belay/lock/owner.json" ] && echo "owner there"; touch -- "$2"; exit 5',
    args: [marker.slice(0, marker.lastIndexOf('/')), marker, '$(touch x) `id`; "quoted"'],
  });

  test('runs once the lock is taken, under it, with its arguments as data; its output and status come back', async () => {
    const appDir = dirs.make('then');
    const marker = join(appDir, 'step-ran');
    const lock = await acquireDeployLock(a, appDir, owner('me'), recorder({ then: step(marker) }).options);
    expect(lock.then.code).toBe(5);
    expect(lock.then.stdout.split('\n')).toEqual([
      `arg=${appDir}`,
      `arg=${marker}`,
      'arg=$(touch x) `id`; "quoted"',
      'owner there',
      '', // what the step printed, to its last newline
    ]);
    expect(existsSync(marker)).toBe(true);
    expect(ownerOnDisk(appDir)).toEqual(lock.owner);
    await lock.release();
    expect(existsSync(lockDir(appDir))).toBe(false);
  });

  test('does not run while someone else holds the lock; runs for the waiter that breaks a stale one', async () => {
    const appDir = dirs.make('then-held');
    const marker = join(appDir, 'step-ran');
    const holder = await acquireDeployLock(a, appDir, owner('holder'), recorder().options);
    await expect(
      acquireDeployLock(b, appDir, owner('waiter'), recorder({ timeoutMs: 0, then: step(marker) }).options),
    ).rejects.toThrow(BelayError);
    expect(existsSync(marker)).toBe(false);
    await holder.release();

    plantLock(appDir, owner('dead', { time: isoAgo(2 * HOUR) }));
    const broke = await acquireDeployLock(b, appDir, owner('new'), recorder({ then: step(marker) }).options);
    expect(broke.then.code).toBe(5);
    expect(broke.then.stdout).toContain('owner there');
    expect(existsSync(marker)).toBe(true);
    await broke.release();
  });
});

describe('releaseAfter: a last step and the release in one command', () => {
  const step = {
    script: 'cat > "$1/written"; echo "said on stdout"; echo "said on stderr" >&2; exit "$2"',
    args: [] as string[],
  };

  test('the step runs with its arguments and input, and the lock is released whatever its status', async () => {
    for (const status of ['0', '7']) {
      const appDir = dirs.make(`after-${status}`);
      const lock = await acquireDeployLock(a, appDir, owner('me'), recorder().options);
      const r = await lock.releaseAfter({ ...step, args: [appDir, status], stdin: 'the record\n' });
      expect(r.code).toBe(Number(status));
      expect(r.stderr).toBe('said on stdout\nsaid on stderr\n');
      expect(readFileSync(join(appDir, 'written'), 'utf8')).toBe('the record\n');
      expect(existsSync(lockDir(appDir))).toBe(false);
      expect(await lock.release()).toBe(true); // already done: no second command
    }
  });

  test('a lock broken and taken by another meanwhile: the step does not run, and that lock stays', async () => {
    const appDir = dirs.make('after-lost');
    const rec = recorder();
    const mine = await acquireDeployLock(a, appDir, owner('slow'), rec.options);
    rmSync(lockDir(appDir), { recursive: true });
    const theirs = await acquireDeployLock(b, appDir, owner('other'), recorder().options);
    const r = await mine.releaseAfter({ ...step, args: [appDir, '0'], stdin: 'x' });
    expect(r.code).toBe(-1);
    expect(r.stderr).toContain('no longer this deploy');
    expect(existsSync(join(appDir, 'written'))).toBe(false);
    expect(ownerOnDisk(appDir)).toEqual(theirs.owner);
    expect(rec.warnings.join('\n')).toContain('was no longer ours at the end');
    await theirs.release();
  });
});

test('a connection dropped while holding the lock leaves it; a later deploy breaks it once stale', async () => {
  const appDir = dirs.make('dropped');
  const sshd = await startSshd();
  let lock!: HeldLock;
  try {
    const doomed = await dirs.connect(sshd.port);
    const rec = recorder();
    lock = await acquireDeployLock(doomed, appDir, owner('doomed'), rec.options);
    // Kill the sshd serving that connection: the listener and the connection's own processes.
    const session = Number((await doomed.exec(script('echo $PPID'))).stdout.trim());
    const monitor = parentOf(session);
    await sshd.stop();
    for (const pid of [session, monitor]) killIfAlive(pid);
    await expect(doomed.exec({ kind: 'argv', argv: ['true'] })).rejects.toThrow(/SSH connection/);
    // Release after the drop warns instead of throwing.
    await lock.release();
    expect(rec.warnings[0]).toMatch(/^Could not release the deploy lock on .*: .* rm -rf -- /);
  } finally {
    await sshd.stop();
  }
  expect(ownerOnDisk(appDir)).toEqual(lock.owner);

  const later = await dirs.connect();
  // With a long staleAfter it is still held...
  await expect(acquireDeployLock(later, appDir, owner('later'), recorder({ timeoutMs: 300 }).options)).rejects.toThrow(
    `held by release ${lock.owner.release}`,
  );
  // ...and with a short one it is broken when it gets that old, and the deploy proceeds.
  const rec = recorder({ staleAfterMs: 2_000 });
  const next = await acquireDeployLock(later, appDir, owner('later'), rec.options);
  expect(rec.warnings).toHaveLength(1);
  expect(rec.warnings[0]).toContain(`held by release ${lock.owner.release}`);
  expect(ownerOnDisk(appDir)).toEqual(next.owner);
  await next.release();
  expect(existsSync(lockDir(appDir))).toBe(false);
});
