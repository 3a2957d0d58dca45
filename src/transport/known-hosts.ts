/**
 * known_hosts parsing and host key verification, without I/O. The SSH transport hands in the raw key blob the
 * server presented during the handshake; this module decides whether that key is the one we were told to expect.
 *
 * Format (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"): `[@marker] hostpatterns keytype base64key [comment]`, where
 * hostpatterns is a comma-separated list of names (`*`, `?` wildcards, `!` negation, `[host]:port` for ports
 * other than 22) or one hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`.
 */
import { createHash, createHmac } from 'node:crypto';

import type { HostKeyPolicy } from './types.js';

export type KnownHostMarker = 'cert-authority' | 'revoked';

export interface KnownHostEntry {
  /** 1-based line number in the known_hosts text, for messages. */
  readonly line: number;
  readonly marker?: KnownHostMarker;
  /** The host field as written: a pattern list or a hashed name. */
  readonly hosts: string;
  readonly keyType: string;
  readonly key: Buffer;
}

export interface ParsedKnownHosts {
  readonly entries: readonly KnownHostEntry[];
  /** Lines that are neither blank, a comment nor a valid entry (OpenSSH skips them too). */
  readonly invalidLines: readonly number[];
}

export function parseKnownHosts(text: string): ParsedKnownHosts {
  const entries: KnownHostEntry[] = [];
  const invalidLines: number[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const entry = parseLine(line, index + 1);
    if (entry) entries.push(entry);
    else invalidLines.push(index + 1);
  });
  return { entries, invalidLines };
}

function parseLine(line: string, lineNumber: number): KnownHostEntry | undefined {
  const fields = line.split(/\s+/);
  let marker: KnownHostMarker | undefined;
  if (fields[0]?.startsWith('@')) {
    const name = fields.shift();
    if (name !== '@cert-authority' && name !== '@revoked') return undefined;
    marker = name.slice(1) as KnownHostMarker;
  }
  const [hosts, keyType, base64] = fields;
  if (!hosts || !keyType || !base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const key = Buffer.from(base64, 'base64');
  // The blob starts with its own type name; a line whose two disagree is corrupt, not a key to trust.
  if (blobKeyType(key) !== keyType) return undefined;
  return { line: lineNumber, ...(marker ? { marker } : {}), hosts, keyType, key };
}

/** How a host is written in known_hosts: bare for port 22, `[host]:port` otherwise (what ssh-keyscan prints). */
export function hostKeyName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/** Does the host field of an entry name this host? */
export function hostFieldMatches(hosts: string, host: string, port: number): boolean {
  const name = hostKeyName(host, port);
  if (hosts.startsWith('|1|')) return hashedNameMatches(hosts, name);
  let matched = false;
  for (const pattern of hosts.split(',')) {
    if (pattern.startsWith('!')) {
      // A matching negation vetoes the whole entry, whatever else matched.
      if (wildcardMatches(pattern.slice(1), name)) return false;
    } else if (wildcardMatches(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

function hashedNameMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (!salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return digest.equals(Buffer.from(hash, 'base64'));
}

function wildcardMatches(pattern: string, name: string): boolean {
  const source = pattern
    .toLowerCase()
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(name);
}

/** The key type name at the start of an SSH public key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`). */
export function blobKeyType(keyBlob: Buffer): string | undefined {
  if (keyBlob.length < 4) return undefined;
  const length = keyBlob.readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length > keyBlob.length) return undefined;
  return keyBlob.subarray(4, 4 + length).toString('latin1');
}

/** `SHA256:<base64 without padding>`, exactly what `ssh-keygen -lf -E sha256` prints. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Fingerprints compare without their padding, so a value pasted with or without `=` works. */
function normalizeFingerprint(value: string): string {
  return value.trim().replace(/=+$/, '');
}

/** The known_hosts line that pins this key, for the user to copy. */
export function knownHostsLine(host: string, port: number, keyBlob: Buffer): string {
  return `${hostKeyName(host, port)} ${blobKeyType(keyBlob) ?? 'unknown'} ${keyBlob.toString('base64')}`;
}

/** Key types known for a host, in known_hosts order: lets the client ask the server for a key it can check. */
export function knownKeyTypes(knownHosts: string, host: string, port: number): string[] {
  const types = parseKnownHosts(knownHosts)
    .entries.filter((e) => !e.marker && hostFieldMatches(e.hosts, host, port))
    .map((e) => e.keyType);
  return [...new Set(types)];
}

export interface HostKeyCheck {
  readonly host: string;
  readonly port: number;
  /** The raw public key blob the server presented. */
  readonly presentedKey: Buffer;
  readonly knownHosts?: string;
  readonly fingerprints?: readonly string[];
  readonly policy: HostKeyPolicy;
}

export interface ExpectedKey {
  readonly fingerprint: string;
  readonly from: 'known-hosts' | 'host-fingerprint';
  /** Key type, when known (known_hosts lines name it; bare fingerprints do not). */
  readonly keyType?: string;
}

export type HostKeyVerdict =
  | {
      readonly ok: true;
      readonly how: 'known-hosts' | 'fingerprint' | 'accept-new';
      readonly presented: string;
      readonly presentedType: string;
    }
  | {
      readonly ok: false;
      readonly reason: 'unknown' | 'mismatch' | 'revoked';
      /** Fingerprints we would have accepted for this host. */
      readonly expected: string[];
      /** The same, with where each came from. */
      readonly expectedKeys: ExpectedKey[];
      readonly presented: string;
      readonly presentedType: string;
    };

/**
 * Decide whether the presented host key is acceptable. Order matters and fails closed:
 * a revoked key is refused whatever else says; then a known_hosts line or a pinned fingerprint accepts;
 * then any expectation at all (a known key of this host, or a pinned fingerprint) makes it a mismatch, which even
 * `accept-new` refuses; only a host we know nothing about may be accepted, and only under `accept-new`.
 */
export function verifyHostKey(check: HostKeyCheck): HostKeyVerdict {
  const presented = fingerprint(check.presentedKey);
  const presentedType = blobKeyType(check.presentedKey) ?? 'unknown';
  const entries = check.knownHosts ? parseKnownHosts(check.knownHosts).entries : [];

  // A revoked key is refused for every host, not only the ones its line names: it is the key that is compromised.
  if (entries.some((e) => e.marker === 'revoked' && e.key.equals(check.presentedKey))) {
    return { ok: false, reason: 'revoked', expected: [], expectedKeys: [], presented, presentedType };
  }

  const forHost = entries.filter((e) => !e.marker && hostFieldMatches(e.hosts, check.host, check.port));
  if (forHost.some((e) => e.key.equals(check.presentedKey))) {
    return { ok: true, how: 'known-hosts', presented, presentedType };
  }
  const pinned = (check.fingerprints ?? []).map(normalizeFingerprint).filter((f) => f !== '');
  if (pinned.includes(presented)) return { ok: true, how: 'fingerprint', presented, presentedType };

  const expectedKeys: ExpectedKey[] = [
    ...forHost.map((e) => ({ fingerprint: fingerprint(e.key), from: 'known-hosts' as const, keyType: e.keyType })),
    ...pinned.map((f) => ({ fingerprint: f, from: 'host-fingerprint' as const })),
  ];
  if (expectedKeys.length > 0) {
    const expected = expectedKeys.map((k) => k.fingerprint);
    return { ok: false, reason: 'mismatch', expected, expectedKeys, presented, presentedType };
  }
  if (check.policy === 'accept-new') return { ok: true, how: 'accept-new', presented, presentedType };
  return { ok: false, reason: 'unknown', expected: [], expectedKeys: [], presented, presentedType };
}
