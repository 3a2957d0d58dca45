/**
 * An extra OpenSSH sshd for one test: same host keys, users and authorized keys as the test host's sshd (it is
 * started from the test host's config template), but its own port, pid file and log. Tests use it when they need
 * to observe the server side alone: a jump host whose log shows the forwarded connection, or a count of the TCP
 * connections one run opened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { testHost } from './test-host.js';

export interface ExtraSshd {
  readonly port: number;
  /** The log file sshd writes (`-E`). */
  readonly log: string;
  /** The log so far. */
  logText(): string;
  /** TCP connections sshd accepted so far: its "Connection from" lines (LogLevel VERBOSE or higher). */
  acceptedConnections(): number;
  stop(): Promise<void>;
}

export interface ExtraSshdOptions {
  /** sshd LogLevel; DEBUG1 shows forwarded (direct-tcpip) connections, which VERBOSE does not. */
  readonly logLevel?: 'VERBOSE' | 'DEBUG1';
  /** Extra sshd_config settings as `-o` takes them, e.g. `SetEnv=DOCKER_HOST=unix:///nowhere.sock`. */
  readonly settings?: readonly string[];
}

const READY_TIMEOUT_MS = 10_000;

export async function startSshd(options: ExtraSshdOptions = {}): Promise<ExtraSshd> {
  const host = testHost();
  const dir = mkdtempSync(join(tmpdir(), 'belay-sshd-'));
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  const log = join(dir, 'sshd.log');
  const template = readFileSync(host.sshdConfigTemplate, 'utf8');
  writeFileSync(config, template.replaceAll('__PORT__', String(port)).replaceAll('__PIDFILE__', join(dir, 'sshd.pid')));
  writeFileSync(log, '');

  // -D keeps the listener in the foreground so that this process owns it and can stop it by its pid;
  // sshd needs its absolute path to re-execute itself for each connection.
  const settings = [...(options.logLevel ? [`LogLevel=${options.logLevel}`] : []), ...(options.settings ?? [])];
  const args = ['-D', '-f', config, '-E', log, ...settings.flatMap((s) => ['-o', s])];
  const child = spawn(host.sshdBinary, args, { stdio: 'ignore' });
  const logText = (): string => readFileSync(log, 'utf8');

  try {
    await waitForListening(child, logText, port);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }

  return {
    port,
    log,
    logText,
    acceptedConnections: () => logText().match(/Connection from /g)?.length ?? 0,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port the kernel just handed out; the tiny window before sshd binds it is acceptable for tests. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no TCP address for a free port');
  return address.port;
}

/**
 * Ready means sshd logged that it listens. Probing the port with a TCP connect would also work, but each probe
 * would be a "Connection from" line, and tests count those.
 */
async function waitForListening(child: ChildProcess, logText: () => string, port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (logText().includes(`Server listening on 127.0.0.1 port ${port}`)) return;
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${lastLines(logText())}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `sshd did not listen on 127.0.0.1:${port} within ${READY_TIMEOUT_MS / 1000}s: ${lastLines(logText())}`,
  );
}

const lastLines = (text: string): string => text.trim().split('\n').slice(-3).join(' | ');
