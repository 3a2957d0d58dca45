/**
 * The transport for "the server is this machine": same contract as SshTransport (exit codes, streaming, stdin,
 * timeouts that stop the whole command, uploads created with their final mode), without SSH in between.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, open, rename, unlink } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { connect } from 'node:net';
import type { Duplex, Readable } from 'node:stream';

import { render, type Command } from '../core/command.js';
import { BelayError } from '../core/errors.js';
import { commandTimedOut } from './errors.js';
import { endInput } from './input.js';
import type { ExecOptions, ExecResult, Forward, Transport } from './types.js';

export interface LocalTransportOptions {
  /** Default command timeout; 0 or absent means none. */
  readonly commandTimeoutMs?: number;
}

/** Between SIGTERM and SIGKILL for a timed-out command, as on the SSH transport. */
const STOP_GRACE_MS = 3_000;
const POLL_MS = 100;

export class LocalTransport implements Transport {
  readonly label = 'local';

  constructor(private readonly options: LocalTransportOptions = {}) {}

  exec(command: Command, options: ExecOptions = {}): Promise<ExecResult> {
    const rendered = render(command);
    const timeoutMs = options.timeoutMs ?? this.options.commandTimeoutMs ?? 0;
    // detached: the shell becomes a process group leader, so a timeout can stop everything it started.
    const child = spawn('sh', ['-c', rendered], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];

    return new Promise<ExecResult>((resolve, reject) => {
      let timedOut = false;
      child.stdout.on('data', (chunk: Buffer) => {
        stdout.push(chunk);
        options.onStdout?.(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr.push(chunk);
        options.onStderr?.(chunk);
      });
      child.on('error', (err) => reject(new BelayError(`Could not run sh on this machine: ${err.message}.`)));

      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              timedOut = true;
              void stopGroup(child.pid).then((stopped) =>
                reject(commandTimedOut(this.label, timeoutMs, rendered, stopped)),
              );
            }, timeoutMs)
          : undefined;

      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) return;
        resolve({
          code: code ?? exitCodeOfSignal(signal),
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
          ...(signal ? { signal } : {}),
        });
      });

      // A command that does not read its stdin closes the pipe early; that is not an error.
      child.stdin.on('error', () => undefined);
      endInput(options.stdin, (data) => {
        if (!child.stdin.destroyed && !child.stdin.writableEnded) child.stdin.end(data);
      });
    });
  }

  upload(content: string | Buffer, path: string, mode = 0o644): Promise<void> {
    return writeAtomically(path, mode, [typeof content === 'string' ? Buffer.from(content, 'utf8') : content]);
  }

  async uploadFile(localPath: string, path: string, mode = 0o644): Promise<void> {
    await access(localPath).catch((err: NodeJS.ErrnoException) => {
      throw new BelayError(`Cannot upload ${localPath}: it cannot be read here (${err.code}).`);
    });
    await writeAtomically(path, mode, createReadStream(localPath));
  }

  async uploadStream(source: AsyncIterable<Uint8Array>, path: string, mode = 0o600): Promise<void> {
    await writeNew(path, mode, source).catch((err: NodeJS.ErrnoException) => {
      throw new BelayError(`Could not write ${path} on local: ${describeWriteError(err)}.`);
    });
  }

  async download(path: string): Promise<Readable> {
    const handle = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
      throw new BelayError(
        `Could not read ${path} on local: ${err.code === 'ENOENT' ? 'it does not exist' : err.code}.`,
      );
    });
    return handle.createReadStream();
  }

  /** Nothing to tunnel: the address is already reachable from here. */
  async forward(remoteHost: string, remotePort: number): Promise<Forward> {
    return { localHost: remoteHost, localPort: remotePort, close: async () => undefined };
  }

  openSocket(path: string): Promise<Duplex | undefined> {
    return new Promise((resolve) => {
      const socket = connect({ path });
      socket.once('connect', () => resolve(socket));
      socket.once('error', () => resolve(undefined));
    });
  }

  async close(): Promise<void> {}
}

/** TERM the process group, KILL it if it outlives the grace period; true once it is gone. */
async function stopGroup(pid: number | undefined): Promise<boolean> {
  if (pid === undefined) return true;
  const signalGroup = (signal: NodeJS.Signals | 0): boolean => {
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      return false; // ESRCH: no process left in the group
    }
  };
  const waitGone = async (ms: number): Promise<boolean> => {
    for (let waited = 0; waited < ms; waited += POLL_MS) {
      if (!signalGroup(0)) return true;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return !signalGroup(0);
  };
  if (!signalGroup('SIGTERM')) return true;
  if (await waitGone(STOP_GRACE_MS)) return true;
  signalGroup('SIGKILL');
  return waitGone(2_000);
}

/**
 * Same guarantee as the SSH upload: an exclusive create of a temporary sibling with `mode` (then chmod to exactly
 * `mode`, whatever the umask), then a rename over the destination.
 */
async function writeAtomically(
  path: string,
  mode: number,
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.belay-${randomBytes(6).toString('hex')}`);
  try {
    await writeNew(temporary, mode, source);
    await rename(temporary, path);
  } catch (err) {
    await unlink(temporary).catch(() => undefined);
    throw new BelayError(`Could not upload ${path} to local: ${describeWriteError(err as NodeJS.ErrnoException)}.`);
  }
}

/** Exclusive create with exactly `mode` (whatever the umask), then the chunks; the file is removed on failure. */
async function writeNew(
  path: string,
  mode: number,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<void> {
  let created = false;
  try {
    const handle = await open(path, 'wx', mode);
    created = true;
    try {
      await handle.chmod(mode);
      for await (const chunk of source) await handle.write(chunk);
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (created) await unlink(path).catch(() => undefined);
    throw err;
  }
}

function describeWriteError(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return 'its directory does not exist';
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'permission denied';
  return err.code ?? err.message;
}

function exitCodeOfSignal(signal: NodeJS.Signals | null): number {
  const number = signal ? osConstants.signals[signal] : undefined;
  return number ? 128 + number : 255;
}
