/** From validated inputs to what the SSH transport needs: targets and connection options. */
import { InputError } from '../core/errors.js';
import type { ConnectionOptions, HostTarget } from '../transport/types.js';
import type { Values } from './inputs.js';
import { missing, type Face } from './layers.js';

export interface Connection {
  readonly targets: readonly HostTarget[];
  readonly options: ConnectionOptions;
}

export function resolveConnection(values: Partial<Values>, face: Face): Connection {
  if (!values.host) throw missing('host', face);
  const port = values.port ?? 22;
  const targets = values.host.map((h) => {
    const user = h.user ?? values.user;
    if (!user) {
      throw new InputError(
        'user',
        `no SSH user for ${h.host}`,
        'Set user (e.g. deploy) or write the host as deploy@host.',
      );
    }
    return { user, host: h.host, port: h.port ?? port };
  });
  if (!values.sshKey) {
    throw new InputError(
      'ssh-key',
      'no private key was given',
      face === 'action'
        ? 'Pass it from a secret: `ssh-key: ${{ secrets.SSH_KEY }}`.'
        : 'Pass --ssh-key-file ~/.ssh/id_ed25519 or set BELAY_SSH_KEY.',
    );
  }
  const policy = values.hostKeyPolicy ?? 'strict';
  const fingerprints = values.hostFingerprint ?? [];
  if (policy === 'strict' && !values.knownHosts && fingerprints.length === 0) {
    const first = targets[0]!;
    throw new InputError(
      'known-hosts',
      'neither known-hosts nor host-fingerprint is set, so the server cannot be verified',
      `Add the output of \`ssh-keyscan -p ${first.port} ${first.host}\` (checked out of band) as known-hosts, or set host-key-policy: accept-new to trust it on first use.`,
    );
  }
  const jump = values.jumpHost;
  const jumpUser = jump ? (jump.user ?? values.user ?? targets[0]!.user) : undefined;
  return {
    targets,
    options: {
      privateKey: values.sshKey,
      ...(values.sshPassphrase ? { passphrase: values.sshPassphrase } : {}),
      ...(values.knownHosts ? { knownHosts: values.knownHosts } : {}),
      ...(fingerprints.length ? { hostFingerprints: fingerprints } : {}),
      hostKeyPolicy: policy,
      ...(jump ? { jumpHost: { user: jumpUser!, host: jump.host, port: jump.port ?? 22 } } : {}),
      connectTimeoutMs: values.connectTimeout ?? 30_000,
      commandTimeoutMs: values.commandTimeout ?? 30 * 60_000,
    },
  };
}
