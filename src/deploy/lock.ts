/**
 * The deploy lock on the server: `<app-dir>/.belay/lock`, a directory made by an atomic `mkdir`, with the holder
 * in `owner.json`. It lives on the server so that every runner, CLI and human sees the same one, and it outlives a
 * lost connection on purpose: a deploy that vanished mid-way leaves the lock, which a later deploy breaks once it
 * is older than lock-stale-after (by the server's clock).
 *
 * Every step that looks at or changes the lock runs as one short script under `flock` on `.belay/lock.guard`.
 * The kernel drops that guard when the script ends, however it ends, so it can never be left held; it is what
 * makes "this lock is stale, break it and take it" one atomic step: of two waiters that find the same stale lock,
 * the second sees that it changed and goes back to waiting. (A bare `mv` + `mkdir` cannot promise that: the slower
 * waiter's `mv` would move away the lock the faster one had just taken.) The owner record is written in the same
 * critical section as the `mkdir`, so nobody ever sees a fresh lock without its owner.
 */
import { z } from 'zod';

import { quote } from '../core/command.js';
import { formatDuration } from '../core/duration.js';
import { BelayError } from '../core/errors.js';
import type { ExecResult, Transport } from '../transport/types.js';
import { belayDir, ENSURE_BELAY_DIR, runChecked, shellScript, uniqueToken } from './belay-dir.js';

export interface LockOwner {
  /** The release the holder is deploying. Release ids are unique, which makes the owner record unique. */
  readonly release: string;
  readonly run?: string;
  readonly actor?: string;
  /** Hostname of the runner (or the machine of the CLI). */
  readonly host: string;
  readonly pid: number;
  /**
   * When the lock was taken, ISO 8601. `acquireDeployLock` replaces what the caller gives with the server's clock
   * at the moment of the `mkdir`, so that the age of a lock is always judged on one clock.
   */
  readonly time: string;
}

export interface HeldLock {
  /** The owner record as written on the server (its `time` is the server's). */
  readonly owner: LockOwner;
  /** What the `then` script printed, run under the lock right after it was taken (empty without one). */
  readonly then: { readonly code: number; readonly stdout: string; readonly stderr: string };
  /**
   * Remove the lock if it is still ours; someone else's (it was broken as stale and taken) is left alone, with a
   * warning. When the connection is gone it tries once more over `reconnect` (when given). Never throws: when the
   * server cannot be reached it warns with the command to run by hand, since the lock then goes stale by itself.
   * Safe to call more than once. True when the lock is no longer ours (released, or someone else's).
   */
  release(): Promise<boolean>;
  /**
   * `step` (shell text; `args` are its `$1` …, `stdin` its input) and then the release, in one command: a
   * deploy's last writes and its unlock in one round trip. The lock is released whatever the step did; the
   * step's status and messages come back. When the release itself did not happen (the command could not run,
   * or the guard failed), the lock is still held and `release()` does it as usual.
   */
  releaseAfter(step: {
    readonly script: string;
    readonly args: readonly string[];
    readonly stdin?: string;
  }): Promise<{ code: number; stderr: string }>;
}

export interface AcquireOptions {
  /** How long to wait for a lock someone else holds; 0 means one look. */
  readonly timeoutMs: number;
  /** A lock older than this (by the server's clock) is broken with a warning. */
  readonly staleAfterMs: number;
  /** Time between looks while waiting (default 2 s). */
  readonly pollMs?: number;
  /** Time between progress calls while waiting (default 10 s). */
  readonly progressEveryMs?: number;
  /** Called when the first look finds the lock held, then every `progressEveryMs` while waiting. */
  progress(waitedMs: number, holder: LockOwner | undefined): void;
  /** Problems the deploy goes on after: a stale lock broken, a lock that was no longer ours at release. */
  warn(message: string): void;
  /** A new connection to the same server, for a release after the first one was lost. */
  reconnect?: () => Promise<Transport>;
  /**
   * Shell text run in the same command as the `mkdir` that took the lock, once it is taken: what a deploy reads
   * first (its state), in the round trip that took the lock. It gets `args` as `$1`, `$2` …, starts in no
   * particular folder, and its stdout and exit status come back in `HeldLock.then`. It runs while the lock's
   * guard is held: keep it short, and start nothing in the background.
   */
  readonly then?: { readonly script: string; readonly args: readonly string[] };
}

/** The owner record as it is stored (owner.json, and the action's step state). */
export const ownerSchema = z.object({
  release: z.string(),
  run: z.string().optional(),
  actor: z.string().optional(),
  host: z.string(),
  pid: z.number().int(),
  time: z.string(),
});

/**
 * The owner record up to the value of `time`, which the server appends (`<ISO time>"}`). Keys in a fixed order,
 * so that one owner always has one text and "is this lock ours" is a comparison of text on the server.
 */
export function ownerPrefix(owner: LockOwner): string {
  const { release, run, actor, host, pid } = owner;
  const json = JSON.stringify({ release, run, actor, host, pid });
  return `${json.slice(0, -1)},"time":"`;
}

/** An owner record as the server has it, or undefined when it is missing or not one. */
export function parseOwner(text: string): LockOwner | undefined {
  try {
    const parsed = ownerSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** `release 20261123T170102Z-1a2b (actor octocat, run https://…, runner fv-az12 pid 4242)`. */
export function describeOwner(owner: LockOwner | undefined): string {
  if (!owner) return 'an unknown deploy (its owner.json is missing or unreadable)';
  const facts = [
    owner.actor ? `actor ${owner.actor}` : '',
    owner.run ? `run ${owner.run}` : '',
    `runner ${owner.host} pid ${owner.pid}`,
  ].filter(Boolean);
  return `release ${owner.release} (${facts.join(', ')})`;
}

/** What one look at the lock found, when it was not ours to take. */
export interface LockState {
  /** The server's clock, seconds since the epoch. */
  readonly now: number;
  readonly owner: LockOwner | undefined;
  /** The lock folder's mtime (server clock, seconds); undefined when it vanished while being looked at. */
  readonly mtime: number | undefined;
  /** Identifies this one lock (inode, mtime, owner text), so a break can check it is still the same lock. */
  readonly fingerprint: string | undefined;
}

/**
 * Age of a held lock in ms by the server's clock: from the owner's time, or, when the owner record is missing or
 * unreadable, from the lock folder's mtime.
 */
export function lockAge(state: LockState): number | undefined {
  const since = lockSince(state);
  return since === undefined ? undefined : state.now * 1000 - since;
}

function lockSince(state: LockState): number | undefined {
  const ownerTime = state.owner ? Date.parse(state.owner.time) : NaN;
  if (Number.isFinite(ownerTime)) return ownerTime;
  return state.mtime === undefined ? undefined : state.mtime * 1000;
}

/** `held <now>` then the fingerprint: `<inode> <mtime>` and the owner.json text. */
export function parseLockState(stdout: string): LockState {
  const [head = '', stat = '', ...rest] = stdout.split('\n');
  const now = Number(/^held (\d+)$/.exec(head.trim())?.[1] ?? NaN);
  const m = /^(\d+) (\d+)$/.exec(stat.trim());
  const ownerText = rest.join('\n').replace(/\n+$/, '');
  return {
    now,
    owner: parseOwner(ownerText),
    mtime: m ? Number(m[2]) : undefined,
    fingerprint: m ? `${stat}\n${ownerText}`.replace(/\n+$/, '') : undefined,
  };
}

// The scripts below get app-dir in $1 and the owner prefix in $2. GUARD takes the flock that every lock step runs
// under, making app-dir and .belay first; HOLD_GUARD is the same without them, for a step that found the lock
// folder (so both are there). `take` and `fp` are functions, whose $1, $2 … are their own, hence $p. The steps that
// run on every deploy start as few programs as they can: each costs a few ms on a small server.
const HOLD_GUARD = `b="$1/.belay"; l="$b/lock"; p="$2"
command -v flock >/dev/null 2>&1 || { echo "flock is not installed (util-linux or busybox provides it)" >&2; exit 91; }
exec 9>>"$b/lock.guard" && flock 9 || exit 92
fp() { stat -c '%i %Y' -- "$l" 2>/dev/null; cat -- "$l/owner.json" 2>/dev/null; }
take() {
  mkdir -- "$l" 2>/dev/null || return 1
  o="$p$(date -u +%Y-%m-%dT%H:%M:%SZ)"'"}'
  if printf '%s\\n' "$o" > "$l/.owner" && mv -f -- "$l/.owner" "$l/owner.json"
  then echo taken; printf '%s\\n' "$o"
  else rm -rf -- "$l"; exit 93
  fi
}
# Once taken: the guard is let go (the lock is ours now) and the caller's step runs, in a subshell so that its
# own exit ends only the step, and its status comes last: the caller learns it holds the lock whatever the step did.
then_step() { exec 9>&-; ( belay_then "$@" ); printf '\nbelay-then-exit=%s\n' "$?"; exit 0; }`;

const GUARD = `${ENSURE_BELAY_DIR} || exit 90
${HOLD_GUARD}`;

/** Take the lock (then run the caller's step with $3 … as its arguments), or describe it. */
const ATTEMPT = `${GUARD}
shift 2
take && then_step "$@"
echo "held $(date +%s)"; fp; exit 0`;

/**
 * $3 fingerprint of the lock found stale, $4 unique token, then the caller's step's arguments. Break that very
 * lock and take it.
 */
const BREAK = `${GUARD}
[ -n "$3" ] && [ "$(fp)" = "$3" ] || { echo changed; exit 0; }
mv -- "$l" "$b/lock.broken-$4" || exit 94
rm -rf -- "$b/lock.broken-$4"
shift 4
take && then_step "$@"
echo changed`;

/** The caller's step as the function the scripts above call. */
const thenFunction = (then: AcquireOptions['then']) => `belay_then() {\n${then?.script ?? ':'}\n}\n`;

/** Sets $o to the owner record at `path` (one line), or to nothing when there is none; read by the shell itself. */
const READ_OWNER = (path: string) => `o=""; { IFS= read -r o || [ -n "$o" ]; } 2>/dev/null < ${path} || o=""`;

/** $3 unique token. Remove the lock only if its owner record starts with our prefix. */
const RELEASE = `[ -d "$1/.belay/lock" ] || { echo gone; exit 0; }
${HOLD_GUARD}
${READ_OWNER('"$l/owner.json"')}
case "$o" in
  "$p"*) mv -- "$l" "$b/lock.released-$3" && rm -rf -- "$b/lock.released-$3" && echo released ;;
  *) [ -d "$l" ] || { echo gone; exit 0; }; echo other; printf '%s\\n' "$o" ;;
esac`;

/**
 * $1 app-dir, $2 owner prefix, $3 unique token, then the caller's step's arguments: the step (in a subshell, its
 * stdout to stderr, its status after it), only while the lock is still ours; then RELEASE with the first three.
 */
const RELEASE_AFTER = `a1=$1; a2=$2; a3=$3; shift 3
${READ_OWNER('"$a1/.belay/lock/owner.json"')}
case "$o" in
  "$a2"*) ( belay_step "$@" ) 1>&2; printf '\\nbelay-step-exit=%s\\n' "$?" >&2 ;;
  *) printf '\\nbelay-step-exit=lost\\n' >&2 ;;
esac
set -- "$a1" "$a2" "$a3"
${RELEASE}`;

const lockPath = (appDir: string): string => `${belayDir(appDir)}/lock`;
const FIX = 'Check that the SSH user can write to app-dir.';

/**
 * Take the deploy lock of `appDir`, waiting up to `timeoutMs` while someone else holds it, and breaking it when
 * it is older than `staleAfterMs`. Throws a BelayError naming the holder when the wait runs out.
 */
export async function acquireDeployLock(
  t: Transport,
  appDir: string,
  owner: LockOwner,
  options: AcquireOptions,
): Promise<HeldLock> {
  const prefix = ownerPrefix(owner);
  const steps = thenFunction(options.then);
  const thenArgs = options.then?.args ?? [];
  const pollMs = options.pollMs ?? 2000;
  const progressEveryMs = options.progressEveryMs ?? 10_000;
  const started = Date.now();
  let nextProgress = 0;
  for (;;) {
    const attempt = shellScript(steps + ATTEMPT, appDir, prefix, ...thenArgs);
    const r = await runChecked(t, `take the deploy lock in ${appDir}`, attempt, FIX);
    const taken = takenLock(r);
    if (taken) return heldLock(t, appDir, taken, options);
    const state = parseLockState(r.stdout);
    const age = lockAge(state);

    if (age !== undefined && age > options.staleAfterMs && state.fingerprint) {
      const what = `break the stale deploy lock in ${appDir}`;
      const command = shellScript(steps + BREAK, appDir, prefix, state.fingerprint, uniqueToken(), ...thenArgs);
      const broken = takenLock(await runChecked(t, what, command, FIX));
      if (broken) {
        options.warn(
          `Broke a stale deploy lock on ${t.label}: it was held by ${describeOwner(state.owner)} ${since(state)}, ` +
            `longer than lock-stale-after (${formatDuration(options.staleAfterMs)}); that deploy is taken to be dead.`,
        );
        return heldLock(t, appDir, broken, options);
      }
      // Someone else broke or released it first: look again after the usual pause.
    }

    const waited = Date.now() - started;
    if (waited >= options.timeoutMs) throw lockHeldError(t, appDir, state, waited);
    if (waited >= nextProgress) {
      options.progress(waited, state.owner);
      nextProgress = waited + progressEveryMs;
    }
    await sleep(Math.min(pollMs, Math.max(0, options.timeoutMs - waited)));
  }
}

/** The owner of the lock of `appDir`, or undefined when there is no lock (or it has no readable owner yet). */
export async function readLockOwner(t: Transport, appDir: string): Promise<LockOwner | undefined> {
  const script = 'f="$1/.belay/lock/owner.json"; [ -f "$f" ] || exit 0; cat -- "$f"';
  const r = await runChecked(t, `read the deploy lock in ${appDir}`, shellScript(script, appDir), FIX);
  return parseOwner(r.stdout.trim());
}

/**
 * Remove the lock of `appDir` if `owner` holds it (same release, run, actor, runner and pid; the time does not
 * matter), for the action's post step after a cancelled job. True when it removed it; false when there was no
 * lock or it is someone else's, which is left alone.
 */
export async function releaseIfOurs(t: Transport, appDir: string, owner: LockOwner): Promise<boolean> {
  return (await releaseLock(t, appDir, owner)).released;
}

async function releaseLock(
  t: Transport,
  appDir: string,
  owner: LockOwner,
): Promise<{ released: boolean; other?: { owner: LockOwner | undefined } }> {
  const command = shellScript(RELEASE, appDir, ownerPrefix(owner), uniqueToken());
  return releaseVerdict(await runChecked(t, `release the deploy lock in ${appDir}`, command, FIX));
}

/** What RELEASE printed: released, someone else's (and whose), or gone. */
function releaseVerdict(r: ExecResult): { released: boolean; other?: { owner: LockOwner | undefined } } {
  const [verdict = '', ...rest] = r.stdout.split('\n');
  if (verdict === 'released') return { released: true };
  if (verdict === 'other') return { released: false, other: { owner: parseOwner(rest.join('\n').trim()) } };
  return { released: false };
}

function heldLock(
  t: Transport,
  appDir: string,
  { owner, then }: Pick<HeldLock, 'owner' | 'then'>,
  { warn, reconnect }: Pick<AcquireOptions, 'warn' | 'reconnect'>,
): HeldLock {
  let done = false;
  const settle = (result: { other?: { owner: LockOwner | undefined } }) => {
    done = true;
    if (result.other) {
      warn(
        `The deploy lock on ${t.label} was no longer ours at the end (it is held by ` +
          `${describeOwner(result.other.owner)}, which broke it as stale); left it in place.`,
      );
    }
  };
  const attempt = async (on: Transport) => settle(await releaseLock(on, appDir, owner));
  return {
    owner,
    then,
    async releaseAfter(step) {
      if (done) throw new Error('releaseAfter: the lock was released already');
      const script = `belay_step() {\n${step.script}\n}\n${RELEASE_AFTER}`;
      const command = shellScript(script, appDir, ownerPrefix(owner), uniqueToken(), ...step.args);
      const r = await t.exec(command, step.stdin !== undefined ? { stdin: step.stdin } : {});
      const marker = /\nbelay-step-exit=(\d+|lost)\n/.exec(r.stderr);
      // The release ran (and said what it found) only when the command got through it.
      if (marker && r.code === 0) settle(releaseVerdict(r));
      if (marker?.[1] === 'lost') {
        const lost = `the deploy lock on ${t.label} is no longer this deploy's (broken as stale by another), so the step did not run`;
        return { code: -1, stderr: lost };
      }
      const stderr = marker
        ? r.stderr.slice(0, marker.index) + r.stderr.slice(marker.index + marker[0].length)
        : r.stderr;
      return { code: marker ? Number(marker[1]) : r.code, stderr };
    },
    async release() {
      if (done) return true;
      try {
        await attempt(t);
        return true;
      } catch (err) {
        let why = err instanceof Error ? err.message : String(err);
        if (reconnect) {
          try {
            await attempt(await reconnect());
            warn(`The connection to ${t.label} was lost; the deploy lock was released over a new one.`);
            return true;
          } catch (again) {
            why = again instanceof Error ? again.message : String(again);
          }
        }
        warn(notReleased(t.label, why, appDir));
        return false;
      }
    },
  };
}

/** What to say when a lock could not be released: it goes stale by itself, or this command frees it now. */
export const notReleased = (where: string, why: string, appDir: string): string =>
  `Could not release the deploy lock on ${where}: ${why} It is broken after lock-stale-after; ` +
  `to free it now, run on the server: ${breakCommand(appDir)}`;

/** The exact command that breaks the lock by hand. */
export const breakCommand = (appDir: string): string => `rm -rf -- ${quote(lockPath(appDir))}`;

function since(state: LockState): string {
  const at = lockSince(state);
  if (at === undefined) return 'since an unknown time';
  const iso = new Date(at).toISOString().replace(/\.\d+Z$/, 'Z');
  return `since ${iso} (${formatDuration(Math.max(0, state.now * 1000 - at))} ago by the server's clock)`;
}

function lockHeldError(t: Transport, appDir: string, state: LockState, waitedMs: number): BelayError {
  return new BelayError(
    `The deploy lock on ${t.label} (${lockPath(appDir)}) is held by ${describeOwner(state.owner)} ${since(state)}; ` +
      `gave up after waiting ${formatDuration(waitedMs)} (lock-timeout). Wait for that deploy to finish and run ` +
      `again, or, if it is dead, break the lock by hand on the server: ${breakCommand(appDir)}`,
  );
}

/**
 * When the script took the lock: the owner record (the line after `taken`) and what the caller's step printed
 * after it, up to its status line.
 */
function takenLock(r: ExecResult): Pick<HeldLock, 'owner' | 'then'> | undefined {
  const [verdict = '', ownerLine = '', ...rest] = r.stdout.split('\n');
  if (verdict !== 'taken') return undefined;
  const owner = parseOwner(ownerLine.trim());
  if (!owner) throw new BelayError(`The deploy lock was taken but its owner record reads back wrong: ${ownerLine}.`);
  const out = rest.join('\n');
  const end = out.lastIndexOf('\nbelay-then-exit=');
  const code = end < 0 ? -1 : Number(out.slice(end + '\nbelay-then-exit='.length).trim());
  return { owner, then: { code, stdout: end < 0 ? out : out.slice(0, end), stderr: r.stderr } };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
