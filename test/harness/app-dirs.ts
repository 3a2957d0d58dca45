/**
 * What the tests of server-side deploy state (lock, release records) share: SSH transports to the test host's
 * sshd (or an extra one), and app directories owned by the deploy user, each test its own, as app-dir would be on
 * a server. The tests run as root on the same machine, so they can look at (and tamper with) those folders
 * directly.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SshTransport } from '../../src/transport/ssh.js';
import type { ConnectionOptions, Transport } from '../../src/transport/types.js';
import { testHost } from './test-host.js';

export interface AppDirs {
  /** A new, empty folder owned by the deploy user. */
  make(name: string): string;
  /** Give a file or folder made by the test to the deploy user, as if a deploy had made it. */
  own(path: string): void;
  /** Connect to the test host's sshd, or to an extra sshd on `port`; closed by `cleanup`. */
  connect(port?: number): Promise<Transport>;
  cleanup(): Promise<void>;
}

export function appDirs(prefix: string): AppDirs {
  const host = testHost();
  const root = mkdtempSync(join(tmpdir(), prefix));
  const id = (flag: string) => Number(execFileSync('id', [flag, host.user], { encoding: 'utf8' }).trim());
  const [uid, gid] = [id('-u'), id('-g')];
  chownSync(root, uid, gid);
  const knownHosts = readFileSync(host.knownHosts, 'utf8');
  const options: ConnectionOptions = {
    privateKey: readFileSync(host.keys.ed25519, 'utf8'),
    knownHosts,
    hostKeyPolicy: 'strict',
    connectTimeoutMs: 5_000,
    commandTimeoutMs: 20_000,
  };
  const open: Transport[] = [];
  return {
    make(name) {
      const dir = join(root, name);
      mkdirSync(dir);
      chownSync(dir, uid, gid);
      return dir;
    },
    own(path) {
      chownSync(path, uid, gid);
    },
    async connect(port = host.sshPort) {
      const forPort = knownHosts.replaceAll(`[${host.sshHost}]:${host.sshPort}`, `[${host.sshHost}]:${port}`);
      const target = { user: host.user, host: host.sshHost, port };
      const transport = await SshTransport.connect(target, { ...options, knownHosts: forPort });
      open.push(transport);
      return transport;
    },
    async cleanup() {
      await Promise.all(open.splice(0).map((t) => t.close().catch(() => undefined)));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
