import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMAND_LIST, COMMANDS } from '../../src/config/commands.js';
import { resolveConnection } from '../../src/config/connection.js';
import { INPUTS, envName, inputName, type InputKey } from '../../src/config/inputs.js';
import { loadConfig, type Sources } from '../../src/config/load.js';
import { BelayError, InputError } from '../../src/core/errors.js';

const scratch = mkdtempSync(join(tmpdir(), 'belay-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function dirWith(yml?: string): string {
  const dir = mkdtempSync(join(scratch, 'case-'));
  if (yml !== undefined) writeFileSync(join(dir, 'belay.yml'), yml);
  return dir;
}

/** Sources for a command; doctor needs a host, so one is always given unless a test overrides it. */
const src = (over: Partial<Sources>): Sources => ({
  face: 'cli',
  env: {},
  cwd: dirWith(),
  ...over,
  given: { host: 'deploy@h', ...over.given },
});

describe('layering', () => {
  const yml = [
    'connect-timeout: 40s',
    'port: 2200',
    'environments:',
    '  production:',
    '    connect-timeout: 50s',
    '    port: 2201',
    '',
  ].join('\n');

  it('takes flag > BELAY_* > environment section > top level > default', () => {
    const cwd = dirWith(yml);
    const load = (over: Partial<Sources>) => loadConfig(COMMANDS.doctor, src({ cwd, ...over })).values;
    expect(load({}).connectTimeout).toBe(40_000);
    expect(load({}).commandTimeout).toBe(30 * 60_000); // default
    expect(load({ given: { environment: 'production' } }).connectTimeout).toBe(50_000);
    expect(load({ given: { environment: 'production' }, env: { BELAY_CONNECT_TIMEOUT: '1m' } }).connectTimeout).toBe(
      60_000,
    );
    expect(
      load({ given: { environment: 'production', 'connect-timeout': '90s' }, env: { BELAY_CONNECT_TIMEOUT: '1m' } })
        .connectTimeout,
    ).toBe(90_000);
    expect(load({ env: { BELAY_ENVIRONMENT: 'production' } }).port).toBe(2201);
  });

  it('treats empty inputs as not given, as the runner sends them', () => {
    const cwd = dirWith(yml);
    const loaded = loadConfig(
      COMMANDS.doctor,
      src({ face: 'action', cwd, given: { port: '' }, env: { BELAY_PORT: '' } }),
    );
    expect(loaded.values.port).toBe(2200);
    expect(loaded.origin.port).toBe('file');
  });

  it('reads YAML lists and maps naturally', () => {
    const cwd = dirWith('host: [deploy@a.example, b.example:2222]\nexpect-json: {status: ok}\nhealthy-threshold: 3\n');
    const v = loadConfig(COMMANDS.health, src({ cwd, given: { url: 'http://x', host: '' } })).values;
    expect(v.host).toEqual([
      { user: 'deploy', host: 'a.example' },
      { host: 'b.example', port: 2222 },
    ]);
    expect(JSON.parse(v.expectJson!)).toEqual({ status: 'ok' });
    expect(v.healthyThreshold).toBe(3);
  });
});

describe('belay.yml errors', () => {
  it('names the line of an unknown key, top level or in an environment', () => {
    expect(() => loadConfig(COMMANDS.doctor, src({ cwd: dirWith('port: 22\nhosts: a\n') }))).toThrow(
      /belay\.yml:2: unknown key "hosts" \(did you mean "host"\?\)/,
    );
    const nested = 'environments:\n  staging:\n    host: a\n    ssh_key: x\n';
    expect(() => loadConfig(COMMANDS.doctor, src({ cwd: dirWith(nested) }))).toThrow(
      /belay\.yml:4: unknown key "ssh_key"/,
    );
  });

  it('refuses keys that select the configuration itself', () => {
    expect(() => loadConfig(COMMANDS.doctor, src({ cwd: dirWith('environment: prod\n') }))).toThrow(
      /:1: unknown key "environment"/,
    );
  });

  it('reports invalid YAML with its line, and values with where they came from', () => {
    expect(() => loadConfig(COMMANDS.doctor, src({ cwd: dirWith('port: 22\nhost: [a\n') }))).toThrow(
      /belay\.yml:\d+: not valid YAML/,
    );
    const err = catchError(() =>
      loadConfig(COMMANDS.doctor, src({ cwd: dirWith('a: 1\n'.replace('a', 'port') + 'connect-timeout: soon\n') })),
    );
    expect(err.message).toMatch(
      /^Invalid input "connect-timeout" \(from .*belay\.yml:2\): "soon" is not a duration\. Write a number/,
    );
  });

  it('says which environments exist when the chosen one does not', () => {
    const cwd = dirWith('environments:\n  staging: {port: 1}\n  production: {port: 2}\n');
    expect(() => loadConfig(COMMANDS.doctor, src({ cwd, given: { environment: 'prod' } }))).toThrow(
      /Invalid input "environment": "prod" is not a section .* Use one of: staging, production\./,
    );
  });

  it('is fine without belay.yml unless one is named', () => {
    expect(() => loadConfig(COMMANDS.doctor, src({}))).not.toThrow();
    expect(() => loadConfig(COMMANDS.doctor, src({ given: { config: 'nope.yml' } }))).toThrow(
      /Invalid input "config": .*nope\.yml does not exist/,
    );
  });
});

/** One bad value per kind of input: the error is one line, names the input and the fix, and never the secret. */
describe('bad input, every input type', () => {
  const cases: [InputKey, string, RegExp][] = [
    ['port', '99999', /Invalid input "port": 99999 is out of range\. Use a number from 1 to 65535\./],
    ['port', 'ssh', /Invalid input "port": "ssh" is not a whole number/],
    [
      'connectTimeout',
      '5 minutes',
      /Invalid input "connect-timeout": "5 minutes" is not a duration\. Write a number with a unit, like 90s/,
    ],
    ['minFreeDisk', 'lots', /Invalid input "min-free-disk": "lots" is not a size/],
    ['hostKeyPolicy', 'yolo', /Invalid input "host-key-policy": "yolo" is not one of strict, accept-new\. Use one of/],
    ['host', 'bad host!', /Invalid input "host": "bad host!" is not a host name/],
    ['host', 'a.example:0', /Invalid input "host": "0" is not a port/],
    ['jumpHost', 'x@@y', /Invalid input "jump-host": /],
    ['hostFingerprint', 'MD5:aa:bb', /Invalid input "host-fingerprint": "MD5:aa:bb" is not a SHA256 fingerprint/],
    ['healthyThreshold', '0', /Invalid input "healthy-threshold": 0 is out of range/],
    ['viaSsh', 'maybe', /Invalid input "via-ssh": "maybe" is not true or false\. Use true or false\./],
    ['mode', 'deploy', /Invalid input "mode": "deploy" is not one of plan, verify, apply/],
    ['format', 'rails', /Invalid input "format": "rails" is not one of auto, drizzle, plain, flyway/],
    [
      'statementTimeout',
      'soon',
      /Invalid input "statement-timeout": "soon" is not a duration\. Write a number with a unit, like 90s, 5m or 1h, or off\./,
    ],
    ['app', 'My Shop', /Invalid input "app": "My Shop" is not a compose project name\. Use lowercase letters/],
    ['engine', 'mysql', /Invalid input "engine": "mysql" is not one of postgres, sqlite/],
    ['verify', 'full', /Invalid input "verify": "full" is not one of checksum, toc, restore/],
    ['image', 'Bad Image!', /Invalid input "image": "Bad Image!" is not an image repository name\. Write it like/],
    ['secrets', 'no equals sign', /Invalid input "secrets": line 1 is not id=value\. Write one id=value per line\./],
    ['cache', 's3', /Invalid input "cache": "s3" is not one of auto, gha, local, none/],
    ['copyTo', 'backup-host', /Invalid input "copy-to": "backup-host" is not user@host:dir\. Write it like/],
    ['encryptTo', 'ssh-ed25519 AAAA', /Invalid input "encrypt-to": ssh-ed25519 recipients are not supported/],
    ['health', 'ping', /Invalid input "health": "ping" is not one of auto, url, containers, both, none/],
    ['healthTimeout', 'soon', /Invalid input "health-timeout": "soon" is not a duration/],
  ];
  for (const [key, value, pattern] of cases) {
    it(`${inputName(key)} = ${JSON.stringify(value)}`, () => {
      const command = COMMAND_LIST.find((c) => c.inputs.includes(key as never))!;
      const err = catchError(() =>
        loadConfig(
          command,
          src({ given: { url: 'http://x', 'database-url': 'postgres://x/y', [inputName(key)]: value } }),
        ),
      );
      expect(err).toBeInstanceOf(InputError);
      expect(err.message).toMatch(pattern);
      expect(err.message).not.toContain('\n');
    });
  }

  it('names the variable a bad value came from', () => {
    const err = catchError(() => loadConfig(COMMANDS.doctor, src({ env: { [envName('port')]: 'x' } })));
    expect(err.message).toMatch(/^Invalid input "port" \(from BELAY_PORT\)/);
  });

  it('every input kind in the schema is covered by a case above or is free text', () => {
    const covered = new Set(cases.map(([k]) => INPUTS[k].kind));
    for (const spec of Object.values(INPUTS)) {
      if (
        ![
          'text',
          'secret',
          'path',
          'user',
          'URL',
          'known_hosts',
          'lines',
          'JSON',
          'status list',
          'text or /regex/',
          'identifier',
          'name',
          'git ref',
          'migration name',
          // Checked where they are used: against what runs on the server, or a pattern with a better message.
          'service',
          'container',
          'label',
          'backup id',
          'stage',
          'platform list',
          'tag rules',
          'network',
          // Deploy: checked when the deploy is planned, with the line or name in the message (deploy tests).
          'paths',
          'dotenv lines',
          'service=ref lines',
          'service list',
          'script',
          'release id',
          // Release: checked when the release starts (test/unit/release-stages.test.ts).
          'stage list',
        ].includes(spec.kind)
      ) {
        expect(covered).toContain(spec.kind);
      }
    }
  });
});

describe('secrets', () => {
  it('collects secret inputs and the password inside a database URL, from every layer', () => {
    const cwd = dirWith('ssh-passphrase: from-file-pass\n');
    const loaded = loadConfig(
      COMMANDS.doctor,
      src({
        cwd,
        given: { 'ssh-key': 'KEYMATERIAL' },
        env: { BELAY_DATABASE_URL: 'postgres://app:s%40cret@db:5432/app' },
      }),
    );
    expect(loaded.secrets).toEqual(
      expect.arrayContaining([
        'KEYMATERIAL',
        'from-file-pass',
        'postgres://app:s%40cret@db:5432/app',
        's%40cret',
        's@cret',
      ]),
    );
  });

  it('reads --ssh-key-file and --known-hosts-file, and refuses both forms at once', () => {
    const dir = dirWith();
    writeFileSync(join(dir, 'key'), 'PRIVATE');
    writeFileSync(join(dir, 'kh'), 'host ssh-ed25519 AAAA');
    const loaded = loadConfig(
      COMMANDS.doctor,
      src({ cwd: dir, given: { 'ssh-key-file': 'key', 'known-hosts-file': 'kh' } }),
    );
    expect(loaded.values.sshKey).toBe('PRIVATE');
    expect(loaded.values.knownHosts).toBe('host ssh-ed25519 AAAA');
    expect(loaded.secrets).toContain('PRIVATE');
    expect(() =>
      loadConfig(COMMANDS.doctor, src({ cwd: dir, given: { 'ssh-key-file': 'key', 'ssh-key': 'x' } })),
    ).toThrow(/Invalid input "ssh-key-file": both ssh-key and ssh-key-file are set/);
    expect(() => loadConfig(COMMANDS.doctor, src({ cwd: dir, given: { 'ssh-key-file': 'missing' } }))).toThrow(
      /missing does not exist/,
    );
  });
});

describe('connection', () => {
  const base = { sshKey: 'K', knownHosts: 'x', port: 22 } as const;
  it('applies user and port defaults, the host form wins', () => {
    const c = resolveConnection(
      { ...base, user: 'deploy', port: 2222, host: [{ host: 'a' }, { user: 'ops', host: 'b', port: 22 }] },
      'cli',
    );
    expect(c.targets).toEqual([
      { user: 'deploy', host: 'a', port: 2222 },
      { user: 'ops', host: 'b', port: 22 },
    ]);
  });

  it('needs a user, a key, and a way to verify the host (unless accept-new)', () => {
    expect(() => resolveConnection({ ...base, host: [{ host: 'a' }] }, 'cli')).toThrow(
      /Invalid input "user": no SSH user for a/,
    );
    expect(() => resolveConnection({ host: [{ user: 'u', host: 'a' }], knownHosts: 'x' }, 'action')).toThrow(
      /Invalid input "ssh-key": no private key was given\. Pass it from a secret/,
    );
    expect(() => resolveConnection({ host: [{ user: 'u', host: 'a', port: 2 }], sshKey: 'K' }, 'cli')).toThrow(
      /Invalid input "known-hosts": .*`ssh-keyscan -p 2 a`/,
    );
    expect(() =>
      resolveConnection({ host: [{ user: 'u', host: 'a' }], sshKey: 'K', hostKeyPolicy: 'accept-new' }, 'cli'),
    ).not.toThrow();
  });
});

function catchError(fn: () => unknown): BelayError {
  try {
    fn();
  } catch (err) {
    return err as BelayError;
  }
  throw new Error('expected an error');
}
