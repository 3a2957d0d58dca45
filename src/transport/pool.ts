/**
 * One connection per server per run. Every capability asks the pool for its transport; the first ask connects,
 * every later (or concurrent) ask for the same user@host:port gets the same connection. This keeps a deploy to
 * one TCP connection and one authentication per host, which is what sshd rate limits (MaxStartups, fail2ban)
 * and audit logs expect.
 */
import { dial, hangUp } from './dial.js';
import type { TransportLog } from './ssh.js';
import type { ConnectionOptions, Forward, HostTarget, Transport } from './types.js';

export type Connect = (target: HostTarget, options: ConnectionOptions, log?: TransportLog) => Promise<Transport>;

/**
 * The SSH connection: its TCP connection is opened first, then the SSH code (ssh2, the largest part of the
 * bundle) is loaded while sshd starts up on the other end.
 */
const connectOverSsh: Connect = async (target, options, log) => {
  const first = options.jumpHost ?? target;
  const dialed = dial(first.host, first.port, options.connectTimeoutMs);
  const { SshTransport } = await import('./ssh.js').catch((err: unknown) => {
    hangUp(dialed);
    throw err;
  });
  return SshTransport.connect(target, options, log, dialed);
};

export class ConnectionPool {
  private readonly connections = new Map<string, Promise<Transport>>();

  constructor(
    private readonly options: ConnectionOptions,
    private readonly log?: TransportLog,
    private readonly connect: Connect = connectOverSsh,
  ) {}

  /**
   * The transport for `target`. Do not close it yourself: it is shared; `closeAll` closes it.
   * A failed connect is forgotten, so a later call tries again instead of repeating a stale error.
   */
  get(target: HostTarget): Promise<Transport> {
    const key = `${target.user}@${target.host.toLowerCase()}:${target.port}`;
    let connection = this.connections.get(key);
    if (!connection) {
      connection = this.connect(target, this.options, this.log);
      this.connections.set(key, connection);
      connection.catch(() => {
        if (this.connections.get(key) === connection) this.connections.delete(key);
      });
    }
    return connection;
  }

  /** Close every connection (those still connecting too, once they are up). */
  async closeAll(): Promise<void> {
    const pending = [...this.connections.values()];
    this.connections.clear();
    const settled = await Promise.allSettled(pending);
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
  }
}

/** A forward that owns its connection: closing it closes both. */
export interface OwnedForward extends Forward {
  /** The server the forward goes through. */
  readonly server: HostTarget;
  /** The address it reaches, as the server sees it. */
  readonly remoteHost: string;
  readonly remotePort: number;
}

/** Where a forward goes, as the server sees it; or found on the server first (a container's address). */
export type ForwardTarget =
  | { readonly host: string; readonly port: number }
  | ((server: Transport) => Promise<{ readonly host: string; readonly port: number }>);

/**
 * Local forwarding to an address as the first of `targets` sees it, on a connection of its own (health-check
 * via-ssh, migrate through db-host or db-service): nothing else of the run needs that server.
 */
export async function forwardThroughFirst(
  targets: readonly HostTarget[],
  options: ConnectionOptions,
  log: TransportLog | undefined,
  to: ForwardTarget,
): Promise<OwnedForward> {
  const pool = new ConnectionPool(options, log);
  const server = targets[0]!;
  try {
    const transport = await pool.get(server);
    const { host, port } = typeof to === 'function' ? await to(transport) : to;
    const forward = await transport.forward(host, port);
    return {
      server,
      remoteHost: host,
      remotePort: port,
      localHost: forward.localHost,
      localPort: forward.localPort,
      close: async () => {
        await forward.close();
        await pool.closeAll();
      },
    };
  } catch (err) {
    await pool.closeAll();
    throw err;
  }
}
