/**
 * The one-line messages of the transport. Each says what happened, on which host, and the next step, naming the
 * input to change (`ssh-key`, `ssh-passphrase`, `known-hosts`, `host-fingerprint`, `connect-timeout`).
 * None of them may carry key material or a passphrase: they only ever receive key *types* and fingerprints.
 */
import { formatDuration } from '../core/duration.js';
import { BelayError } from '../core/errors.js';
import { hostLabel } from '../core/hosts.js';
import { type HostKeyVerdict, knownHostsLine } from './known-hosts.js';
import type { HostTarget } from './types.js';

/** A host the transport talks to, and whether it is the target or the jump host (for messages). */
export interface Endpoint {
  readonly target: HostTarget;
  readonly role: 'host' | 'jump host';
}

export const hostPort = (t: HostTarget): string => hostLabel({ host: t.host, port: t.port });
export const userHostPort = (t: HostTarget): string => hostLabel(t);

/** `deploy@host:22` or `jump host deploy@host:22`. */
const named = (e: Endpoint, form: (t: HostTarget) => string): string =>
  e.role === 'host' ? form(e.target) : `jump host ${form(e.target)}`;

/** The start of a rendered command, enough to recognize it in a message. */
export function commandPreview(rendered: string): string {
  const oneLine = rendered.replace(/\s+/g, ' ');
  return oneLine.length > 80 ? `${oneLine.slice(0, 80)}...` : oneLine;
}

// ------------------------------------------------------------------------------------------------ host keys

export function hostKeyRefused(endpoint: Endpoint, verdict: Extract<HostKeyVerdict, { ok: false }>): BelayError {
  const presented = `${verdict.presented} (${verdict.presentedType})`;
  const { host, port } = endpoint.target;
  switch (verdict.reason) {
    case 'revoked':
      return new BelayError(
        `Host key ${presented} of ${named(endpoint, userHostPort)} is marked @revoked in known-hosts; refusing to ` +
          `connect. Give the server a new host key and put that one in known-hosts.`,
      );
    case 'mismatch': {
      const expected = verdict.expectedKeys.map((k) => `${k.fingerprint} (${k.from})`).join(' or ');
      const sources = [...new Set(verdict.expectedKeys.map((k) => k.from))].join(' and ');
      return new BelayError(
        `Host key for ${named(endpoint, userHostPort)} did not match: expected ${expected}, the server presented ` +
          `${presented}. If the server was reinstalled, update ${sources}; otherwise someone may be intercepting ` +
          `the connection.`,
      );
    }
    case 'unknown': {
      const keyscan = port === 22 ? `ssh-keyscan ${host}` : `ssh-keyscan -p ${port} ${host}`;
      const subject = endpoint.role === 'host' ? 'Host' : 'Jump host';
      return new BelayError(
        `${subject} ${hostPort(endpoint.target)} is not in known-hosts and no host-fingerprint matched; it ` +
          `presented ${presented}. Add its key to known-hosts (${keyscan}) or set host-fingerprint, after ` +
          `checking it out of band.`,
      );
    }
  }
}

/** The accept-new warning: the key we trusted on first use and the line that pins it from now on. */
export function acceptedNewHostKey(
  endpoint: Endpoint,
  presentedKey: Buffer,
  verdict: { presented: string; presentedType: string },
): string {
  const { host, port } = endpoint.target;
  return (
    `${endpoint.role === 'host' ? 'Host' : 'Jump host'} ${hostPort(endpoint.target)} was not in known-hosts; ` +
    `accepted its ${verdict.presentedType} key ${verdict.presented} on first use (host-key-policy: accept-new). ` +
    `To pin it, add this line to known-hosts: ${knownHostsLine(host, port, presentedKey)}`
  );
}

// ------------------------------------------------------------------------------------------------ client key

/** Why ssh2 could not read the private key, as a message about the `ssh-key` / `ssh-passphrase` inputs. */
export function privateKeyUnreadable(keyText: string, reason: Error, passphraseGiven: boolean): BelayError {
  const why = reason.message;
  if (/no passphrase given/i.test(why)) {
    return new BelayError(
      'The private key in ssh-key is encrypted and no ssh-passphrase was given. Set ssh-passphrase (from a ' +
        'secret) or use an unencrypted deploy key.',
    );
  }
  if (passphraseGiven && /passphrase|bad decrypt|integrity check/i.test(why)) {
    return new BelayError(
      'The ssh-passphrase does not decrypt the private key in ssh-key. Check that the ssh-passphrase secret ' +
        'belongs to this key.',
    );
  }
  return new BelayError(`ssh-key is not a private key belay can read: ${keyShapeHint(keyText)}.`);
}

export function notAPrivateKey(): BelayError {
  return new BelayError('ssh-key holds a public key. Give the private key (the file without .pub).');
}

/**
 * The usual ways a key gets mangled on its way into a CI secret, judged from the text's shape only
 * (the text itself is never echoed).
 */
function keyShapeHint(keyText: string): string {
  const fix = 'give an OpenSSH or PEM private key (ed25519, ecdsa or rsa) with its BEGIN and END lines';
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(keyText)) {
    return `it has no "-----BEGIN ... PRIVATE KEY-----" line; ${fix}`;
  }
  if (!/-----END [A-Z0-9 ]*PRIVATE KEY-----/.test(keyText)) return `its END line is missing (truncated?); ${fix}`;
  if (keyText.trim().split('\n').length < 3) return `its line breaks are missing; ${fix}`;
  return `its content is not a supported key; ${fix}`;
}

/** `ssh-ed25519` → `ed25519`, `ecdsa-sha2-nistp256` → `ecdsa`, `ssh-rsa` → `rsa`. */
export function shortKeyType(sshType: string): string {
  if (sshType.includes('ed25519')) return 'ed25519';
  if (sshType.startsWith('ecdsa')) return 'ecdsa';
  if (sshType.includes('rsa')) return 'rsa';
  return sshType.replace(/^ssh-/, '');
}

// ------------------------------------------------------------------------------------------------ connecting

interface SshError extends Error {
  readonly level?: string;
  readonly code?: string;
}

export interface ConnectContext {
  readonly keyType: string;
  readonly connectTimeoutMs: number;
}

/** Translate an ssh2 / socket error raised while connecting. */
export function connectFailed(endpoint: Endpoint, err: unknown, context: ConnectContext): BelayError {
  const e = (err ?? {}) as SshError;
  const where = named(endpoint, hostPort);
  const { user } = endpoint.target;
  if (e.level === 'client-authentication') {
    return new BelayError(
      `SSH authentication refused for user ${user} on ${where} with the ${context.keyType} key given in ssh-key. ` +
        `Check that its public key is in ~${user}/.ssh/authorized_keys on that server.`,
    );
  }
  if (e.level === 'client-timeout') {
    return new BelayError(
      `Could not connect to ${where} within ${formatDuration(context.connectTimeoutMs)} (connect-timeout). ` +
        `Check that the server is up and that this runner can reach that port (firewall, security group).`,
    );
  }
  switch (e.code) {
    case 'ECONNREFUSED':
      return new BelayError(
        `Could not connect to ${where}: connection refused. Check the host and port, and that sshd is running there.`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new BelayError(
        `Could not connect to ${where}: the host name ${endpoint.target.host} could not be resolved (${e.code}). ` +
          `Check the host name.`,
      );
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new BelayError(
        `Could not connect to ${where}: ${e.code}. Check that the server is up and reachable from this runner.`,
      );
    case 'ECONNRESET':
      return new BelayError(
        `The server at ${where} closed the connection during the SSH handshake (ECONNRESET). Check sshd's log ` +
          `there (MaxStartups, fail2ban, AllowUsers).`,
      );
  }
  if (e.level === 'handshake' || e.level === 'protocol') {
    return new BelayError(`SSH handshake with ${where} failed: ${firstLine(e.message)}.`);
  }
  return new BelayError(`Could not connect to ${where}: ${firstLine(e.message ?? String(err))}.`);
}

export function connectionLost(target: HostTarget, rendered: string, reason?: string): BelayError {
  return new BelayError(
    `Lost the SSH connection to ${userHostPort(target)}${reason ? ` (${reason})` : ''} while running: ` +
      `${commandPreview(rendered)}. The command may or may not have completed on the server; check its state ` +
      `before retrying.`,
  );
}

/** An operation asked for after the connection had already dropped. */
export function connectionGone(label: string, reason: string, action: string): BelayError {
  return new BelayError(`The SSH connection to ${label} was lost earlier (${reason}); could not ${action}.`);
}

export function commandTimedOut(label: string, timeoutMs: number, rendered: string, stopped: boolean): BelayError {
  const outcome = stopped ? 'and was stopped' : 'and could not be confirmed stopped (it may still be running)';
  return new BelayError(
    `Command timed out after ${formatDuration(timeoutMs)} on ${label} ${outcome}: ${commandPreview(rendered)}`,
  );
}

const firstLine = (text: string): string => text.split('\n')[0]?.replace(/\.$/, '') ?? '';
