/**
 * One connection per server per run. Every capability asks the pool for its transport; the first ask connects,
 * every later (or concurrent) ask for the same user@host:port gets the same connection. This keeps a deploy to
 * one TCP connection and one authentication per host, which is what sshd rate limits (MaxStartups, fail2ban)
 * and audit logs expect.
 */
import { SshTransport, type TransportLog } from './ssh.js';
import type { ConnectionOptions, HostTarget, Transport } from './types.js';

export type Connect = (target: HostTarget, options: ConnectionOptions, log?: TransportLog) => Promise<Transport>;

export class ConnectionPool {
  private readonly connections = new Map<string, Promise<Transport>>();

  constructor(
    private readonly options: ConnectionOptions,
    private readonly log?: TransportLog,
    private readonly connect: Connect = (target, options, log) => SshTransport.connect(target, options, log),
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
