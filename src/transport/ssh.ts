/**
 * The SSH transport: one authenticated connection to a server (optionally through a jump host) on which commands
 * run, files are uploaded and ports are forwarded. Built on node-ssh for connecting; exec, SFTP and forwarding use
 * its underlying ssh2 Client directly because they need the raw channel (stdin, exit signals, a second channel to
 * stop a timed-out command).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { posix } from 'node:path';
import { Readable, type Duplex } from 'node:stream';

import { NodeSSH } from 'node-ssh';
import ssh2 from 'ssh2';
import type { Client, ClientChannel, ConnectConfig, ParsedKey, ServerHostKeyAlgorithm, SFTPWrapper } from 'ssh2';

import { cmd, render, script, seq, type Command } from '../core/command.js';
import { BelayError } from '../core/errors.js';
import {
  acceptedNewHostKey,
  commandPreview,
  commandTimedOut,
  connectFailed,
  connectionGone,
  connectionLost,
  hostKeyRefused,
  hostPort,
  notAPrivateKey,
  privateKeyUnreadable,
  shortKeyType,
  userHostPort,
  type Endpoint,
} from './errors.js';
import { dial, hangUp } from './dial.js';
import { endInput } from './input.js';
import { knownKeyTypes, verifyHostKey, type HostKeyVerdict } from './known-hosts.js';
import type { ConnectionOptions, ExecOptions, ExecResult, Forward, HostTarget, Transport } from './types.js';

export interface TransportLog {
  warn(message: string): void;
  debug(message: string): void;
}

const silent: TransportLog = { warn: () => {}, debug: () => {} };

const DEFAULT_KEEPALIVE_MS = 15_000;
const KEEPALIVE_COUNT_MAX = 3;
/** OpenSSH's default MaxSessions is 10; the rest is left for the SFTP session and the stopper channel. */
const MAX_CONCURRENT_COMMANDS = 8;
/** How long a timed-out command gets between SIGTERM and SIGKILL (tenths of a second, for the stop script). */
const STOP_GRACE_TENTHS = 30;
/** After stopping, how long to wait for the server to close the command's channel before closing it ourselves. */
const CHANNEL_CLOSE_WAIT_MS = 2_000;
const CLIENT_CLOSE_WAIT_MS = 2_000;
const PGID_MARKER = 'belay-pgid=';

/** ssh2's host key algorithms, in its default order. */
const HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

interface ClientKey {
  /** The key text as ssh2 reads it (line endings normalized). */
  readonly text: string;
  readonly passphrase?: string;
  /** `ed25519`, `ecdsa` or `rsa`, for messages. */
  readonly type: string;
}

export class SshTransport implements Transport {
  readonly label: string;
  /** How the target's identity was established: `SHA256:… (ed25519) matched known-hosts`. */
  readonly hostKey: string;
  private readonly commands = new Limiter(MAX_CONCURRENT_COMMANDS);
  private readonly forwards = new Set<Forward>();
  private sftpSession: Promise<SFTPWrapper> | undefined;
  private lostReason: string | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly target: HostTarget,
    private readonly options: ConnectionOptions,
    private readonly log: TransportLog,
    private readonly client: Client,
    /** The connections to close, innermost (target) first. */
    private readonly hops: readonly Client[],
    hostKey: string,
  ) {
    this.label = userHostPort(target);
    this.hostKey = hostKey;
    client.on('error', (err) => {
      this.lostReason = err.message;
      log.debug(`${this.label}: connection error: ${err.message}`);
    });
    client.on('close', () => {
      this.lostReason ??= 'connection closed';
    });
  }

  /**
   * Connect and authenticate, through `options.jumpHost` when set. Throws a one-line BelayError on failure.
   * `dialed`: the TCP connection to the first hop (the jump host, else the target), when the caller opened it
   * already (see dial.ts); it is closed if the key cannot be read.
   */
  static async connect(
    target: HostTarget,
    options: ConnectionOptions,
    log: TransportLog = silent,
    dialed?: Promise<Socket>,
  ): Promise<SshTransport> {
    let key: ClientKey;
    try {
      key = loadClientKey(options.privateKey, options.passphrase);
    } catch (err) {
      hangUp(dialed);
      throw err;
    }
    if (!options.jumpHost) {
      const { client, hostKey } = await openClient({ target, role: 'host' }, key, options, log, undefined, dialed);
      return new SshTransport(target, options, log, client, [client], hostKey);
    }
    const jumpEndpoint: Endpoint = { target: options.jumpHost, role: 'jump host' };
    const { client: jump } = await openClient(jumpEndpoint, key, options, log, undefined, dialed);
    try {
      const tunnel = await forwardOut(jump, target.host, target.port).catch((err: Error) => {
        throw new BelayError(
          `Jump host ${userHostPort(options.jumpHost!)} could not open a connection to ${hostPort(target)}: ` +
            `${err.message}. Check that the jump host can reach it and allows TCP forwarding.`,
        );
      });
      const { client, hostKey } = await openClient({ target, role: 'host' }, key, options, log, tunnel);
      return new SshTransport(target, options, log, client, [client, jump], hostKey);
    } catch (err) {
      await endClient(jump);
      throw err;
    }
  }

  // ---------------------------------------------------------------------------------------------- exec

  async exec(command: Command, options: ExecOptions = {}): Promise<ExecResult> {
    const rendered = render(command);
    const timeoutMs = options.timeoutMs ?? this.options.commandTimeoutMs;
    return this.commands.run(() => this.run(rendered, options, timeoutMs));
  }

  private async run(rendered: string, options: ExecOptions, timeoutMs: number): Promise<ExecResult> {
    const channel = await this.openChannel(withGroupReport(rendered), rendered);
    let channelClosed = false;
    const closed = once(channel, 'close').then(() => {
      channelClosed = true;
    });
    const stdout = new PgidReader((noise) => this.log.debug(`${this.label}: shell start-up output dropped: ${noise}`));
    const collected = { stdout: [] as Buffer[], stderr: [] as Buffer[] };

    return new Promise<ExecResult>((resolve, reject) => {
      let timedOut = false;

      const emitStdout = (chunk: Buffer): void => {
        collected.stdout.push(chunk);
        options.onStdout?.(chunk);
      };
      channel.on('data', (chunk: Buffer) => stdout.push(chunk).forEach(emitStdout));
      channel.stderr.on('data', (chunk: Buffer) => {
        collected.stderr.push(chunk);
        options.onStderr?.(chunk);
      });
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              timedOut = true;
              this.stop(channel, closed, stdout.pgid)
                .then((stopped) => reject(commandTimedOut(this.label, timeoutMs, rendered, stopped)))
                .catch(reject);
            }, timeoutMs)
          : undefined;

      // ssh2 passes the exit status to 'close' too. That is the copy to read: the 'exit' event of a quick command
      // can fire in the same tick as the channel opens, before any listener could be attached here.
      channel.on('close', (code?: number | null, signal?: string) => {
        clearTimeout(timer);
        if (timedOut) return;
        stdout.flush().forEach(emitStdout);
        if (code === undefined) {
          // No exit status: the connection dropped (ssh2 then closes every channel). Let the client's own events
          // record why before reporting.
          setImmediate(() => reject(connectionLost(this.target, rendered, this.lostReason)));
          return;
        }
        resolve({
          code: code ?? exitCodeOfSignal(signal),
          stdout: Buffer.concat(collected.stdout).toString('utf8'),
          stderr: Buffer.concat(collected.stderr).toString('utf8'),
          ...(code === null && signal ? { signal } : {}),
        });
      });

      // Always close stdin, so that a command reading it sees end-of-file instead of waiting forever.
      endInput(options.stdin, (data) => {
        if (!channelClosed) channel.end(data);
      });
    });
  }

  private openChannel(commandText: string, rendered: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      // Gone before the command was asked for: it never ran. Lost while it was being started: the server may have
      // started it already (a command can even end the connection before its channel is confirmed).
      const goneBefore = this.lostReason;
      // Deferred a turn, like a dropped channel's close: the client's own events record why the connection went.
      const fail = (err: Error): void =>
        void setImmediate(() =>
          reject(
            goneBefore
              ? connectionGone(this.label, goneBefore, `run: ${commandPreview(rendered)}`)
              : this.lostReason
                ? connectionLost(this.target, rendered, this.lostReason)
                : new BelayError(`Could not start a command on ${this.label}: ${err.message}.`),
          ),
        );
      try {
        this.client.exec(commandText, (err, channel) => (err ? fail(err) : resolve(channel)));
      } catch (err) {
        fail(err as Error);
      }
    });
  }

  /**
   * Stop a timed-out command and everything it started. sshd runs each command in a new session (setsid), so
   * the command's process group id is the pid our wrapper reported. A second channel on the same connection
   * signals that group: TERM, then KILL if it is still there after a grace period. (The SSH "signal" channel
   * request would also reach the group on OpenSSH >= 7.9, but ssh2 only sends it while stdin is still open, and
   * we close stdin at once; it also cannot tell us whether the processes are gone.)
   * Resolves true when the group is confirmed gone.
   */
  private async stop(channel: ClientChannel, closed: Promise<void>, pgid: number | undefined): Promise<boolean> {
    let stopped = false;
    if (pgid !== undefined) {
      try {
        const stopper = await this.openChannel(render(stopGroup(pgid)), 'stop timed-out command');
        stopper.resume();
        stopper.stderr.resume();
        stopper.end();
        const [code] = (await once(stopper, 'close')) as [number | null | undefined];
        stopped = code === 0;
      } catch (err) {
        this.log.debug(`${this.label}: could not stop process group ${pgid}: ${(err as Error).message}`);
      }
    }
    // Once the processes are gone sshd closes the channel; if it does not, close it from this side.
    await Promise.race([closed, delay(CHANNEL_CLOSE_WAIT_MS)]);
    channel.close();
    return stopped;
  }

  // ---------------------------------------------------------------------------------------------- upload

  upload(content: string | Buffer, remotePath: string, mode = 0o644): Promise<void> {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    return this.writeRemote([data], remotePath, mode);
  }

  async uploadFile(localPath: string, remotePath: string, mode = 0o644): Promise<void> {
    await access(localPath).catch((err: NodeJS.ErrnoException) => {
      throw new BelayError(`Cannot upload ${localPath}: it cannot be read here (${err.code}).`);
    });
    await this.writeRemote(createReadStream(localPath), remotePath, mode);
  }

  /**
   * Write to a new temporary name next to `remotePath` (see writeNew for its mode), then rename over it: readers
   * of `remotePath` see the old file or the complete new one, never a partial one.
   */
  private async writeRemote(
    source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    remotePath: string,
    mode: number,
  ): Promise<void> {
    const sftp = await this.sftp();
    const temporary = posix.join(
      posix.dirname(remotePath),
      `.${posix.basename(remotePath)}.belay-${randomBytes(6).toString('hex')}`,
    );
    try {
      await writeNew(sftp, temporary, mode, source);
      await renameOver(sftp, temporary, remotePath);
    } catch (err) {
      await sftpCall((cb) => sftp.unlink(temporary, cb)).catch(() => undefined);
      if (err instanceof BelayError) throw err;
      throw new BelayError(`Could not upload ${remotePath} to ${this.label}: ${describeSftpError(err)}.`);
    }
  }

  async uploadStream(source: AsyncIterable<Uint8Array>, remotePath: string, mode = 0o600): Promise<void> {
    const sftp = await this.sftp();
    await writeNew(sftp, remotePath, mode, source).catch((err: unknown) => {
      if (err instanceof BelayError) throw err;
      throw new BelayError(`Could not write ${remotePath} on ${this.label}: ${describeSftpError(err)}.`);
    });
  }

  async download(remotePath: string): Promise<Readable> {
    const sftp = await this.sftp();
    const handle = await sftpCall<Buffer>((cb) => sftp.open(remotePath, 'r', cb)).catch((err: unknown) => {
      throw new BelayError(`Could not read ${remotePath} on ${this.label}: ${describeSftpError(err, 'it')}.`);
    });
    return Readable.from(pipelinedRead(sftp, handle, `${remotePath} on ${this.label}`), { objectMode: false });
  }

  /** One SFTP session per connection, opened on first use and reopened if the server ends it. */
  private sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise<SFTPWrapper>((resolve, reject) => {
      try {
        this.client.sftp((err, sftp) => {
          if (err) return reject(err);
          sftp.on('close', () => (this.sftpSession = undefined));
          resolve(sftp);
        });
      } catch (err) {
        reject(err as Error);
      }
    }).catch((err: Error) => {
      this.sftpSession = undefined;
      if (this.lostReason) throw connectionGone(this.label, this.lostReason, 'start SFTP for an upload');
      throw new BelayError(`Could not start SFTP on ${this.label}: ${err.message}. Check sshd's Subsystem sftp line.`);
    });
    return this.sftpSession;
  }

  // ---------------------------------------------------------------------------------------------- forward

  async forward(remoteHost: string, remotePort: number): Promise<Forward> {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      this.tunnel(socket, remoteHost, remotePort);
    });
    await listen(server);
    const { port } = server.address() as AddressInfo;
    const forward: Forward = {
      localHost: '127.0.0.1',
      localPort: port,
      close: async () => {
        this.forwards.delete(forward);
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
    this.forwards.add(forward);
    return forward;
  }

  async openSocket(path: string): Promise<Duplex | undefined> {
    return new Promise((resolve) => {
      try {
        this.client.openssh_forwardOutStreamLocal(path, (err, channel) => resolve(err ? undefined : channel));
      } catch {
        resolve(undefined);
      }
    });
  }

  /** Carry one local TCP connection to `host:port` as seen from the server. */
  private tunnel(socket: Socket, host: string, port: number): void {
    socket.on('error', () => socket.destroy());
    forwardOut(this.client, host, port, socket.remotePort).then(
      (channel) => {
        channel.on('error', () => socket.destroy());
        channel.on('close', () => socket.destroy());
        socket.on('close', () => channel.close());
        socket.pipe(channel).pipe(socket);
      },
      (err: Error) => {
        this.log.debug(`${this.label}: forward to ${host}:${port} failed: ${err.message}`);
        socket.destroy();
      },
    );
  }

  // ---------------------------------------------------------------------------------------------- close

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.forwards].map((f) => f.close()));
      const sftp = await this.sftpSession?.catch(() => undefined);
      sftp?.end();
      for (const hop of this.hops) await endClient(hop);
    })();
    return this.closing;
  }
}

// ------------------------------------------------------------------------------------------------ connecting

function loadClientKey(privateKey: string, passphrase: string | undefined): ClientKey {
  const text = `${privateKey.replace(/\r\n?/g, '\n').trim()}\n`;
  const given = passphrase ? passphrase : undefined;
  const parsed = ssh2.utils.parseKey(text, given) as ParsedKey | ParsedKey[] | Error;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  // Duck-typed rather than `instanceof Error`: some of ssh2's errors come from node:crypto, another realm in jest.
  if (!key || typeof (key as ParsedKey).isPrivateKey !== 'function') {
    throw privateKeyUnreadable(text, key as Error, given !== undefined);
  }
  if (!(key as ParsedKey).isPrivateKey()) throw notAPrivateKey();
  return { text, ...(given !== undefined ? { passphrase: given } : {}), type: shortKeyType((key as ParsedKey).type) };
}

/** Open and authenticate one connection, verifying the host key; `sock` carries it through a jump host. */
async function openClient(
  endpoint: Endpoint,
  key: ClientKey,
  options: ConnectionOptions,
  log: TransportLog,
  sock?: ClientChannel,
  dialed?: Promise<Socket>,
): Promise<{ client: Client; hostKey: string }> {
  const { target } = endpoint;
  let verdict: HostKeyVerdict | undefined;
  const hostVerifier = (presentedKey: Buffer): boolean => {
    verdict = verifyHostKey({
      host: target.host,
      port: target.port,
      presentedKey,
      ...(options.knownHosts !== undefined ? { knownHosts: options.knownHosts } : {}),
      ...(options.hostFingerprints !== undefined ? { fingerprints: options.hostFingerprints } : {}),
      policy: options.hostKeyPolicy,
    });
    if (verdict.ok && verdict.how === 'accept-new') log.warn(acceptedNewHostKey(endpoint, presentedKey, verdict));
    if (verdict.ok) log.debug(`${userHostPort(target)}: host key ${verdict.presented} accepted (${verdict.how})`);
    return verdict.ok;
  };

  const config: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.user,
    privateKey: key.text,
    ...(key.passphrase !== undefined ? { passphrase: key.passphrase } : {}),
    readyTimeout: options.connectTimeoutMs,
    keepaliveInterval: options.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_MS,
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
    hostVerifier,
    ...(sock ? { sock } : {}),
  };
  // A direct connection gets a socket of our own with Nagle's algorithm off from the start: ssh2's pure-JS path
  // writes each packet in pieces, and with Nagle on every round trip of the handshake and the login waits ~40 ms
  // for the server's delayed ACK (about 0.15 s per connection).
  if (!sock) config.sock = await tcpSocket(endpoint, options.connectTimeoutMs, key.type, dialed);
  const serverHostKey = preferredHostKeyAlgorithms(options.knownHosts, target);
  if (serverHostKey) config.algorithms = { serverHostKey };

  const ssh = new NodeSSH();
  try {
    await ssh.connect(config as Parameters<NodeSSH['connect']>[0]);
  } catch (err) {
    ssh.dispose();
    if (verdict && !verdict.ok) throw hostKeyRefused(endpoint, verdict);
    throw connectFailed(endpoint, err, { keyType: key.type, connectTimeoutMs: options.connectTimeoutMs });
  }
  const client = ssh.connection;
  if (!client)
    throw connectFailed(endpoint, new Error('connection closed right after login'), {
      keyType: key.type,
      connectTimeoutMs: options.connectTimeoutMs,
    });
  // node-ssh stops listening for errors once connected; without a listener a late error would crash the process.
  client.on('error', () => undefined);
  client.once('close', () => closedClients.add(client));
  // ssh2's pure-JS cipher path writes each packet in several small pieces; with Nagle's algorithm on, every
  // request then waits ~40 ms for the server's delayed ACK (an SFTP upload of a 1 KB file took 220 ms).
  client.setNoDelay(true);
  const how = {
    'known-hosts': 'matched known-hosts',
    fingerprint: 'matched host-fingerprint',
    'accept-new': 'trusted on first use',
  };
  const hostKey = verdict?.ok ? `${verdict.presented} (${verdict.presentedType}) ${how[verdict.how]}` : 'verified';
  return { client, hostKey };
}

/** A TCP connection to the endpoint (dialed already, or now); its failures are translated like ssh2's own. */
async function tcpSocket(
  endpoint: Endpoint,
  timeoutMs: number,
  keyType: string,
  dialed?: Promise<Socket>,
): Promise<Socket> {
  try {
    return await (dialed ?? dial(endpoint.target.host, endpoint.target.port, timeoutMs));
  } catch (err) {
    throw connectFailed(endpoint, err, { keyType, connectTimeoutMs: timeoutMs });
  }
}

/**
 * Like OpenSSH, ask first for the host key types known_hosts has for this host: a server with several host keys
 * then presents one we can check, instead of an unknown type that would look like a changed key.
 */
function preferredHostKeyAlgorithms(
  knownHosts: string | undefined,
  target: HostTarget,
): ServerHostKeyAlgorithm[] | undefined {
  if (!knownHosts) return undefined;
  const preferred = knownKeyTypes(knownHosts, target.host, target.port)
    .flatMap((type) => (type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]))
    .filter((algorithm): algorithm is ServerHostKeyAlgorithm =>
      HOST_KEY_ALGORITHMS.includes(algorithm as ServerHostKeyAlgorithm),
    );
  return preferred.length > 0 ? [...new Set([...preferred, ...HOST_KEY_ALGORITHMS])] : undefined;
}

function forwardOut(client: Client, host: string, port: number, sourcePort = 0): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.forwardOut('127.0.0.1', sourcePort, host, port, (err, channel) => (err ? reject(err) : resolve(channel)));
    } catch (err) {
      reject(err as Error);
    }
  });
}

/** Clients whose connection has closed (a lost one too): ending them again would wait for a 'close' that is over. */
const closedClients = new WeakSet<Client>();

async function endClient(client: Client): Promise<void> {
  // The wait below is on an unref'd timer, so that it never holds the process open. Were the 'close' event already
  // gone, nothing would be left to settle the wait, and Node would end the process in the middle of its work.
  if (closedClients.has(client)) return;
  const closed = once(client, 'close').catch(() => undefined);
  client.end();
  await Promise.race([closed, delay(CLIENT_CLOSE_WAIT_MS)]);
}

// ------------------------------------------------------------------------------------------------ exec helpers

/**
 * The command as sent: report the process group id, then replace the login shell with `sh -c <command>`
 * (so commands run under the same POSIX sh as LocalTransport's, whatever the user's login shell is).
 * `exec` keeps the pid, and sshd made that pid a session and process group leader.
 */
function withGroupReport(rendered: string): string {
  return render(seq(script(`printf '${PGID_MARKER}%s\\n' "$$"`), cmd('exec', 'sh', '-c', rendered)));
}

/**
 * TERM the group, wait up to the grace period for it to go, then KILL it; exit 0 once it is gone. The pgid is an
 * argument, never pasted into the script. `kill -SIG -pgid` (no `--`) is the form dash, bash and busybox accept.
 */
const STOP_SCRIPT = [
  'pg=$1',
  'gone() { ! kill -0 -"$pg" 2>/dev/null; }',
  'wait_gone() { i=0; while [ "$i" -lt "$1" ]; do gone && return 0; sleep 0.1; i=$((i+1)); done; gone; }',
  'kill -TERM -"$pg" 2>/dev/null || exit 0',
  `wait_gone ${STOP_GRACE_TENTHS} && exit 0`,
  'kill -KILL -"$pg" 2>/dev/null',
  'wait_gone 20',
].join('\n');

const stopGroup = (pgid: number): Command => cmd('sh', '-c', STOP_SCRIPT, 'belay-stop', String(pgid));

/**
 * Takes the `belay-pgid=N` line off the front of stdout. Anything before it is output of the login shell's
 * start-up files, not of the command. If the marker does not show up in the first few KiB (a ForceCommand, an
 * exotic login shell), everything is passed through untouched and the command cannot be stopped by group.
 */
class PgidReader {
  pgid: number | undefined;
  private pending: Buffer | undefined = Buffer.alloc(0);
  private static readonly LIMIT = 4096;

  constructor(private readonly onNoise: (text: string) => void) {}

  push(chunk: Buffer): Buffer[] {
    if (!this.pending) return [chunk];
    const pending = Buffer.concat([this.pending, chunk]);
    const at = pending.indexOf(PGID_MARKER);
    const end = at >= 0 ? pending.indexOf(0x0a, at) : -1;
    if (end >= 0) {
      const value = pending.subarray(at + PGID_MARKER.length, end).toString('latin1');
      if (/^\d+$/.test(value)) this.pgid = Number(value);
      if (at > 0) this.onNoise(pending.subarray(0, at).toString('utf8').trim());
      this.pending = undefined;
      const rest = pending.subarray(end + 1);
      return rest.length > 0 ? [rest] : [];
    }
    if (pending.length > PgidReader.LIMIT) return this.flush(pending);
    this.pending = pending;
    return [];
  }

  /** Give back whatever is held (the marker never came). */
  flush(pending = this.pending): Buffer[] {
    this.pending = undefined;
    return pending && pending.length > 0 ? [pending] : [];
  }
}

/** Shell convention for a command killed by a signal: 128 + its number. */
function exitCodeOfSignal(signal: string | undefined): number {
  const name = (signal?.startsWith('SIG') ? signal : `SIG${signal ?? ''}`) as keyof typeof osConstants.signals;
  const number = osConstants.signals[name] as number | undefined;
  return number ? 128 + number : 255;
}

/** At most `max` tasks at a time; the others wait their turn in order. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.max) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next task, or give it back.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

// ------------------------------------------------------------------------------------------------ sftp helpers

function sftpCall<T = void>(call: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      call((err, value) => (err ? reject(err) : resolve(value as T)));
    } catch (err) {
      reject(err as Error);
    }
  });
}

/** Reads (and writes) kept in flight at once: one at a time would make a transfer crawl at one chunk per RTT. */
const SFTP_DEPTH = 16;
const SFTP_CHUNK = 64 * 1024;

/**
 * The file as chunks, in order, with up to SFTP_DEPTH reads of SFTP_CHUNK in flight ahead of the consumer (1 MiB):
 * nothing more is asked of the server until the consumer takes a chunk. Short reads are completed before moving
 * on, so the bytes are exactly the file's. The handle is closed however the iteration ends.
 */
async function* pipelinedRead(sftp: SFTPWrapper, handle: Buffer, what: string): AsyncGenerator<Buffer> {
  const inflight: { position: number; length: number; data: Promise<Buffer> }[] = [];
  let next = 0;
  let ended = false;
  const readAt = (position: number, length: number): Promise<Buffer> => {
    const buffer = Buffer.allocUnsafe(length);
    const data = sftpCall<number>((cb) => sftp.read(handle, buffer, 0, length, position, cb)).then((n) =>
      buffer.subarray(0, n),
    );
    data.catch(() => undefined); // awaited in order below; a failure ahead must not be unhandled meanwhile
    return data;
  };
  try {
    for (;;) {
      while (!ended && inflight.length < SFTP_DEPTH) {
        inflight.push({ position: next, length: SFTP_CHUNK, data: readAt(next, SFTP_CHUNK) });
        next += SFTP_CHUNK;
      }
      const request = inflight.shift();
      if (!request) return;
      let chunk = await request.data.catch((err: unknown) => {
        throw new BelayError(`Reading ${what} failed: ${describeSftpError(err, 'the file')}.`);
      });
      if (chunk.length === 0) {
        ended = true; // end of file: the reads queued after this one find nothing either
        continue;
      }
      // A short read before the end: fetch the rest of this request's range before its successors.
      while (chunk.length < request.length) {
        const more = await readAt(request.position + chunk.length, request.length - chunk.length);
        if (more.length === 0) {
          ended = true;
          break;
        }
        yield chunk;
        request.position += chunk.length;
        request.length -= chunk.length;
        chunk = more;
      }
      yield chunk;
    }
  } finally {
    await Promise.allSettled(inflight.map((r) => r.data));
    await sftpCall((cb) => sftp.close(handle, cb)).catch(() => undefined);
  }
}

/**
 * An exclusive open (O_EXCL), so the file is created by it with `mode` (the server's umask can only narrow that),
 * fchmod'ed to exactly `mode` before the first byte (a secret never exists with a wider mode), then the chunks;
 * the file is removed again if anything fails.
 */
async function writeNew(
  sftp: SFTPWrapper,
  path: string,
  mode: number,
  source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<void> {
  const handle = await sftpCall<Buffer>((cb) => sftp.open(path, 'wx', { mode }, cb));
  try {
    try {
      await sftpCall((cb) => sftp.fchmod(handle, mode, cb));
      await pipelinedWrite(sftp, handle, source);
    } finally {
      await sftpCall((cb) => sftp.close(handle, cb)).catch(() => undefined);
    }
  } catch (err) {
    await sftpCall((cb) => sftp.unlink(path, cb)).catch(() => undefined);
    throw err;
  }
}

/** Write the chunks in order at increasing offsets, up to SFTP_DEPTH writes in flight; the first failure wins. */
async function pipelinedWrite(
  sftp: SFTPWrapper,
  handle: Buffer,
  source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<void> {
  const pending = new Set<Promise<void>>();
  let failure: unknown;
  let position = 0;
  for await (const chunk of source) {
    if (failure !== undefined) break;
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const write: Promise<void> = sftpCall((cb) => sftp.write(handle, buffer, 0, buffer.length, position, cb))
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => pending.delete(write));
    pending.add(write);
    position += buffer.length;
    if (pending.size >= SFTP_DEPTH) await Promise.race(pending);
  }
  await Promise.all(pending);
  if (failure !== undefined) throw failure;
}

/** Atomic replace with OpenSSH's posix-rename extension; plain SFTP rename refuses an existing target. */
async function renameOver(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await sftpCall((cb) => sftp.ext_openssh_rename(from, to, cb));
  } catch {
    await sftpCall((cb) => sftp.unlink(to, cb)).catch(() => undefined);
    await sftpCall((cb) => sftp.rename(from, to, cb));
  }
}

function describeSftpError(err: unknown, missing = 'its directory'): string {
  const e = err as { code?: number; message?: string };
  if (e.code === ssh2.utils.sftp.STATUS_CODE.NO_SUCH_FILE) return `${missing} does not exist`;
  if (e.code === ssh2.utils.sftp.STATUS_CODE.PERMISSION_DENIED) return 'permission denied';
  return e.message ?? String(err);
}

// ------------------------------------------------------------------------------------------------ misc

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());
