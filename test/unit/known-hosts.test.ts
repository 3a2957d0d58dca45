/**
 * known_hosts parsing and host key decisions. Keys, hashed names and fingerprints come from the real ssh-keygen,
 * so these tests pin belay to OpenSSH's own behaviour rather than to our reading of it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  fingerprint,
  hostFieldMatches,
  knownHostsLine,
  knownKeyTypes,
  parseKnownHosts,
  verifyHostKey,
  type HostKeyCheck,
} from '../../src/transport/known-hosts.js';

interface GeneratedKey {
  type: string;
  blob: Buffer;
  /** `ssh-keygen -lf -E sha256` of the public key. */
  sshKeygenFingerprint: string;
}

// Generated at load time: describe blocks below build known_hosts text from them while tests are collected.
const dir = mkdtempSync(join(tmpdir(), 'belay-known-hosts-'));
const keys: Record<'ed25519' | 'ecdsa' | 'rsa' | 'other', GeneratedKey> = {} as never;

function generate(name: keyof typeof keys, type: string, bits?: number): void {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-f', file]);
  const [keyType, base64] = readFileSync(`${file}.pub`, 'utf8').split(' ');
  const printed = execFileSync('ssh-keygen', ['-lf', `${file}.pub`, '-E', 'sha256'], { encoding: 'utf8' });
  keys[name] = { type: keyType!, blob: Buffer.from(base64!, 'base64'), sshKeygenFingerprint: printed.split(' ')[1]! };
}

const line = (hosts: string, key: GeneratedKey): string => `${hosts} ${key.type} ${key.blob.toString('base64')}`;

generate('ed25519', 'ed25519');
generate('ecdsa', 'ecdsa');
generate('rsa', 'rsa', 2048);
generate('other', 'ed25519');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fingerprint', () => {
  test.each(['ed25519', 'ecdsa', 'rsa'] as const)('equals ssh-keygen -lf -E sha256 for the %s key', (name) => {
    expect(fingerprint(keys[name].blob)).toBe(keys[name].sshKeygenFingerprint);
    expect(fingerprint(keys[name].blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe('parseKnownHosts', () => {
  test('reads entries and skips comments, blank lines and broken lines', () => {
    const text = [
      '# a comment',
      '',
      '   ',
      line('example.com,192.0.2.1', keys.ed25519),
      `${line('[example.com]:2222', keys.rsa)} a trailing comment`,
      'example.com ssh-ed25519', // no key
      'example.com ssh-rsa !!notbase64!!',
      `example.com ssh-rsa ${keys.ed25519.blob.toString('base64')}`, // type and blob disagree
      `@revoked * ${keys.ecdsa.type} ${keys.ecdsa.blob.toString('base64')}`,
      `@cert-authority *.example.com ${keys.other.type} ${keys.other.blob.toString('base64')}`,
      `@unknown-marker * ${keys.other.type} ${keys.other.blob.toString('base64')}`,
    ].join('\r\n');
    const { entries, invalidLines } = parseKnownHosts(text);
    expect(entries.map((e) => [e.line, e.marker, e.hosts, e.keyType])).toEqual([
      [4, undefined, 'example.com,192.0.2.1', 'ssh-ed25519'],
      [5, undefined, '[example.com]:2222', 'ssh-rsa'],
      [9, 'revoked', '*', 'ecdsa-sha2-nistp256'],
      [10, 'cert-authority', '*.example.com', 'ssh-ed25519'],
    ]);
    expect(entries[0]!.key.equals(keys.ed25519.blob)).toBe(true);
    expect(invalidLines).toEqual([6, 7, 8, 11]);
  });
});

describe('hostFieldMatches', () => {
  test('bare names are port 22; other ports only match the [host]:port form', () => {
    expect(hostFieldMatches('example.com', 'example.com', 22)).toBe(true);
    expect(hostFieldMatches('example.com', 'example.com', 2222)).toBe(false);
    expect(hostFieldMatches('[example.com]:2222', 'example.com', 2222)).toBe(true);
    expect(hostFieldMatches('[example.com]:2222', 'example.com', 22)).toBe(false);
    expect(hostFieldMatches('[example.com]:2222', 'example.com', 2223)).toBe(false);
  });

  test('comma lists, case, wildcards and negation', () => {
    expect(hostFieldMatches('a.example,B.Example', 'b.example', 22)).toBe(true);
    expect(hostFieldMatches('*.example.com', 'web.example.com', 22)).toBe(true);
    expect(hostFieldMatches('*.example.com', 'example.com', 22)).toBe(false);
    expect(hostFieldMatches('web?.example.com', 'web1.example.com', 22)).toBe(true);
    expect(hostFieldMatches('web?.example.com', 'web12.example.com', 22)).toBe(false);
    expect(hostFieldMatches('*.example.com,!db.example.com', 'db.example.com', 22)).toBe(false);
    expect(hostFieldMatches('*.example.com,!db.example.com', 'web.example.com', 22)).toBe(true);
    // A dot in a pattern is a dot, not "any character".
    expect(hostFieldMatches('192.0.2.1', '192x0y2z1', 22)).toBe(false);
  });

  test('hashed names written by ssh-keygen -H match the host as written, port included', () => {
    const file = join(dir, 'known_hosts_to_hash');
    writeFileSync(file, `${line('[127.0.0.1]:2222', keys.ed25519)}\n${line('server.example', keys.rsa)}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    const hashed = parseKnownHosts(readFileSync(file, 'utf8')).entries;
    expect(hashed).toHaveLength(2);
    expect(hashed.every((e) => /^\|1\|[^|]+\|[^|]+$/.test(e.hosts))).toBe(true);
    const [local, named] = hashed as [(typeof hashed)[0], (typeof hashed)[0]];

    expect(hostFieldMatches(local.hosts, '127.0.0.1', 2222)).toBe(true);
    expect(hostFieldMatches(local.hosts, '127.0.0.1', 22)).toBe(false);
    expect(hostFieldMatches(local.hosts, '127.0.0.2', 2222)).toBe(false);
    expect(hostFieldMatches(named.hosts, 'SERVER.example', 22)).toBe(true);
    expect(hostFieldMatches(named.hosts, 'server.example', 2222)).toBe(false);
  });
});

describe('verifyHostKey', () => {
  const check = (overrides: Partial<HostKeyCheck>): HostKeyCheck => ({
    host: '127.0.0.1',
    port: 2222,
    presentedKey: keys.ed25519.blob,
    policy: 'strict',
    ...overrides,
  });
  const knownHosts = [line('[127.0.0.1]:2222', keys.ed25519), line('[127.0.0.1]:2222', keys.rsa)].join('\n');

  test('a key listed for the host is accepted', () => {
    expect(verifyHostKey(check({ knownHosts }))).toMatchObject({ ok: true, how: 'known-hosts' });
    expect(verifyHostKey(check({ knownHosts, presentedKey: keys.rsa.blob }))).toMatchObject({ ok: true });
  });

  test('a key listed for another host or port is not', () => {
    const verdict = verifyHostKey(check({ knownHosts, port: 22 }));
    expect(verdict).toMatchObject({ ok: false, reason: 'unknown', presented: keys.ed25519.sshKeygenFingerprint });
  });

  test('a different key for a known host is a mismatch that names expected and presented fingerprints', () => {
    const verdict = verifyHostKey(check({ knownHosts, presentedKey: keys.other.blob }));
    expect(verdict).toEqual({
      ok: false,
      reason: 'mismatch',
      expected: [keys.ed25519.sshKeygenFingerprint, keys.rsa.sshKeygenFingerprint],
      expectedKeys: [
        { fingerprint: keys.ed25519.sshKeygenFingerprint, from: 'known-hosts', keyType: 'ssh-ed25519' },
        { fingerprint: keys.rsa.sshKeygenFingerprint, from: 'known-hosts', keyType: 'ssh-rsa' },
      ],
      presented: keys.other.sshKeygenFingerprint,
      presentedType: 'ssh-ed25519',
    });
  });

  test('pinned fingerprints accept their key, with or without base64 padding, and refuse others', () => {
    const pinned = keys.ecdsa.sshKeygenFingerprint;
    expect(verifyHostKey(check({ presentedKey: keys.ecdsa.blob, fingerprints: [pinned] }))).toMatchObject({
      ok: true,
      how: 'fingerprint',
    });
    expect(verifyHostKey(check({ presentedKey: keys.ecdsa.blob, fingerprints: [` ${pinned}= `] }))).toMatchObject({
      ok: true,
    });
    expect(verifyHostKey(check({ fingerprints: [pinned] }))).toMatchObject({
      ok: false,
      reason: 'mismatch',
      expected: [pinned],
    });
  });

  test('an unknown host is refused under strict and accepted under accept-new', () => {
    expect(verifyHostKey(check({}))).toMatchObject({ ok: false, reason: 'unknown', expected: [] });
    expect(verifyHostKey(check({ knownHosts: '' }))).toMatchObject({ ok: false, reason: 'unknown' });
    expect(verifyHostKey(check({ policy: 'accept-new' }))).toMatchObject({ ok: true, how: 'accept-new' });
  });

  test('accept-new still refuses a mismatch', () => {
    const verdict = verifyHostKey(check({ knownHosts, presentedKey: keys.other.blob, policy: 'accept-new' }));
    expect(verdict).toMatchObject({ ok: false, reason: 'mismatch' });
    const pinnedOnly = verifyHostKey(check({ fingerprints: [keys.rsa.sshKeygenFingerprint], policy: 'accept-new' }));
    expect(pinnedOnly).toMatchObject({ ok: false, reason: 'mismatch' });
  });

  test('a revoked key is refused even when it is also listed, and under accept-new', () => {
    const revoked = `${knownHosts}\n@revoked * ${keys.ed25519.type} ${keys.ed25519.blob.toString('base64')}`;
    expect(verifyHostKey(check({ knownHosts: revoked }))).toMatchObject({ ok: false, reason: 'revoked' });
    expect(
      verifyHostKey(check({ knownHosts: revoked, fingerprints: [keys.ed25519.sshKeygenFingerprint] })),
    ).toMatchObject({ ok: false, reason: 'revoked' });
    expect(verifyHostKey(check({ knownHosts: revoked, presentedKey: keys.rsa.blob }))).toMatchObject({ ok: true });
  });

  test('@cert-authority lines are not host keys', () => {
    const ca = `@cert-authority [127.0.0.1]:2222 ${keys.ed25519.type} ${keys.ed25519.blob.toString('base64')}`;
    expect(verifyHostKey(check({ knownHosts: ca }))).toMatchObject({ ok: false, reason: 'unknown' });
  });

  test('hashed known_hosts lines are honoured', () => {
    const file = join(dir, 'known_hosts_hashed');
    writeFileSync(file, `${knownHosts}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    const hashed = readFileSync(file, 'utf8');
    expect(hashed).not.toContain('127.0.0.1');
    expect(verifyHostKey(check({ knownHosts: hashed }))).toMatchObject({ ok: true, how: 'known-hosts' });
    expect(verifyHostKey(check({ knownHosts: hashed, port: 2223 }))).toMatchObject({ ok: false, reason: 'unknown' });
  });
});

describe('helpers', () => {
  test('knownHostsLine is a line that pins the key', () => {
    const pin = knownHostsLine('127.0.0.1', 2222, keys.ed25519.blob);
    expect(pin).toBe(`[127.0.0.1]:2222 ssh-ed25519 ${keys.ed25519.blob.toString('base64')}`);
    expect(knownHostsLine('Example.com', 22, keys.rsa.blob)).toMatch(/^example\.com ssh-rsa /);
    expect(
      verifyHostKey({
        host: '127.0.0.1',
        port: 2222,
        presentedKey: keys.ed25519.blob,
        knownHosts: pin,
        policy: 'strict',
      }).ok,
    ).toBe(true);
  });

  test('knownKeyTypes lists the types known for one host, markers excluded', () => {
    const text = [
      line('[h]:2222', keys.rsa),
      line('[h]:2222', keys.ecdsa),
      line('other', keys.ed25519),
      `@revoked [h]:2222 ${keys.other.type} ${keys.other.blob.toString('base64')}`,
    ].join('\n');
    expect(knownKeyTypes(text, 'h', 2222)).toEqual(['ssh-rsa', 'ecdsa-sha2-nistp256']);
  });
});
