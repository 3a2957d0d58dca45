/**
 * The local test host brought up by `scripts/test-host up` (run by `npm test` before jest): a real OpenSSH sshd,
 * dockerd, a registry and PostgreSQL on 127.0.0.1. Tests read its description from env.json.
 */
import { readFileSync } from 'node:fs';

export interface TestHost {
  stateDir: string;
  sshHost: string;
  sshPort: number;
  user: string;
  keys: { ed25519: string; ecdsa: string; rsa: string; ed25519Pass: string; unauthorized: string };
  passphraseFile: string;
  knownHosts: string;
  knownHostsHashed: string;
  hostFingerprints: { ed25519: string; ecdsa: string; rsa: string };
  sshdBinary: string;
  sshdConfigTemplate: string;
  sshdLog: string;
  registry: string;
  pg: { host: string; port: number; user: string; database: string; passwordFile: string; bin: string };
  compose: { v2: string | null };
}

let cached: TestHost | undefined;

export function testHost(): TestHost {
  if (cached) return cached;
  const path = process.env.BELAY_TEST_ENV ?? `${process.env.BELAY_TEST_HOST_DIR ?? '/tmp/belay-test-host'}/env.json`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`The test host is not up (no ${path}). Run: bash scripts/test-host up`);
  }
  cached = JSON.parse(text) as TestHost;
  return cached;
}

export const readText = (path: string): string => readFileSync(path, 'utf8');
