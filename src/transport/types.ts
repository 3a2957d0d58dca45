import type { Duplex, Readable } from 'node:stream';

import type { Command } from '../core/command.js';

/** One server to reach: `user@host:port` after defaults are applied. */
export interface HostTarget {
  readonly user: string;
  readonly host: string;
  readonly port: number;
}

export type HostKeyPolicy = 'strict' | 'accept-new';

/** Everything the SSH transport needs, already validated by the config layer. */
export interface ConnectionOptions {
  readonly privateKey: string;
  readonly passphrase?: string;
  /** known_hosts lines (plain or hashed `|1|salt|hash`, markers and comments allowed). */
  readonly knownHosts?: string;
  /** `SHA256:base64` fingerprints; any one matching is enough. */
  readonly hostFingerprints?: readonly string[];
  readonly hostKeyPolicy: HostKeyPolicy;
  readonly jumpHost?: HostTarget;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  /** Seconds between keepalive probes; the connection is dropped after 3 unanswered ones. */
  readonly keepaliveIntervalMs?: number;
}

export interface ExecOptions {
  /**
   * Data written to the command's standard input, which is then closed. A promise is written once it resolves,
   * so a command can start before all it reads is known; stdin is closed without data if it rejects or gives
   * undefined.
   */
  readonly stdin?: string | Buffer | Promise<string | Buffer | undefined>;
  /** Called with each chunk as it arrives (progress, live logs). */
  readonly onStdout?: (chunk: Buffer) => void;
  readonly onStderr?: (chunk: Buffer) => void;
  /** Overrides the connection's command timeout for this command. */
  readonly timeoutMs?: number;
}

export interface ExecResult {
  /** Exit code of the remote command; 255 style codes are passed through as they are. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the command was ended by a signal (e.g. after a timeout). */
  readonly signal?: string;
}

export interface Forward {
  /** Address on this machine that reaches `remoteHost:remotePort` as seen from the server. */
  readonly localHost: string;
  readonly localPort: number;
  close(): Promise<void>;
}

/** A place where commands run: a server over SSH, or this machine. */
export interface Transport {
  /** `user@host:port`, for messages. */
  readonly label: string;
  /** How the server's identity was established, e.g. `SHA256:… (ssh-ed25519) matched known-hosts`. */
  readonly hostKey?: string;
  exec(command: Command, options?: ExecOptions): Promise<ExecResult>;
  /** Write `content` to `remotePath` with `mode` (default 0644; use 0o600 for secrets). */
  upload(content: string | Buffer, remotePath: string, mode?: number): Promise<void>;
  uploadFile(localPath: string, remotePath: string, mode?: number): Promise<void>;
  /**
   * Write a stream to exactly `remotePath` (created exclusively with `mode`, default 0600), pulling the next chunk
   * only once earlier ones are on their way: memory stays flat whatever the size. No rename: the caller writes a
   * partial name, checks it, then renames it. On failure the file is removed.
   */
  uploadStream(source: AsyncIterable<Uint8Array>, remotePath: string, mode?: number): Promise<void>;
  /** Read `remotePath` as a stream, with backpressure: it reads ahead only a bounded amount. */
  download(remotePath: string): Promise<Readable>;
  /** Local TCP port forwarding to an address as seen from the server. */
  forward(remoteHost: string, remotePort: number): Promise<Forward>;
  /**
   * A stream to the Unix socket `path` on the server (the Docker Engine's, to ask it without starting the docker
   * CLI there); undefined when it cannot be opened (forwarding refused, no such socket, no permission).
   */
  openSocket?(path: string): Promise<Duplex | undefined>;
  close(): Promise<void>;
}
