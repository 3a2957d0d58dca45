/**
 * Bad input, for every input type, through the bundles a user runs: one line that names the input and the fix,
 * exit code 1, no stack trace, nothing started. And no secret used anywhere appears in any captured output.
 */
import { readFileSync } from 'node:fs';
import { runAction, runCli } from '../harness/runner.js';
import { testHost } from '../harness/test-host.js';

const host = testHost();
const sshKey = readFileSync(host.keys.ed25519Pass, 'utf8');
const passphrase = readFileSync(host.passphraseFile, 'utf8').trim();
const pgPassword = readFileSync(host.pg.passwordFile, 'utf8').trim();
const token = 'tok-3f9c2a7d1e8b';
const SECRETS = [
  passphrase,
  pgPassword,
  token,
  ...sshKey.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')),
];
const target = `${host.user}@${host.sshHost}:${host.sshPort}`;

const captured: string[] = [];

/** [action, inputs, input named in the error, expected message part] */
const CASES: [string, Record<string, string>, string, RegExp][] = [
  ['health-check', { url: 'not a url' }, 'url', /not an absolute URL\. Give the full address/],
  ['health-check', { url: 'ftp://x/health' }, 'url', /the scheme ftp: is not supported/],
  ['health-check', { url: 'http://x', timeout: 'forever' }, 'timeout', /"forever" is not a duration/],
  ['health-check', { url: 'http://x', 'healthy-threshold': 'three' }, 'healthy-threshold', /not a whole number/],
  ['health-check', { url: 'http://x', 'expect-status': '2xx,abc' }, 'expect-status', /./],
  ['health-check', { url: 'http://x', 'expect-json': '{status: ok' }, 'expect-json', /./],
  ['health-check', { url: 'http://x', 'expect-body': '/([a-/' }, 'expect-body', /./],
  ['health-check', { url: 'http://x', headers: `Authorization Bearer ${token}` }, 'headers', /./],
  ['health-check', { url: 'http://x', 'via-ssh': 'sometimes' }, 'via-ssh', /is not true or false/],
  [
    'health-check',
    { url: 'http://x', 'via-ssh': 'true', host: target, 'ssh-key': sshKey },
    'known-hosts',
    /ssh-keyscan/,
  ],
  ['doctor', { host: 'two words' }, 'host', /is not a host name/],
  ['doctor', { host: target, port: '70000' }, 'port', /out of range/],
  ['doctor', { host: target, 'host-key-policy': 'trust-me' }, 'host-key-policy', /Use one of: strict, accept-new/],
  ['doctor', { host: target, 'host-fingerprint': 'MD5:12:34' }, 'host-fingerprint', /not a SHA256 fingerprint/],
  ['doctor', { host: target, 'jump-host': 'a b' }, 'jump-host', /./],
  ['doctor', { host: target, 'min-free-disk': 'plenty' }, 'min-free-disk', /not a size/],
  [
    'doctor',
    { host: target, 'database-url': `mysql://root:${pgPassword}@db/app` },
    'database-url',
    /not a postgres:\/\/ or sqlite: URL/,
  ],
  ['doctor', { host: target, 'connect-timeout': '-5s' }, 'connect-timeout', /not a duration/],
  ['doctor', { host: 'example.invalid' }, 'user', /deploy@host/],
  ['doctor', { host: target, 'ssh-passphrase': passphrase, 'known-hosts': 'x' }, 'ssh-key', /from a secret/],
  ['doctor', { host: target, environment: 'production' }, 'environment', /no belay\.yml/],
  ['doctor', { host: target, config: 'missing.yml' }, 'config', /does not exist/],
];

describe('actions: one line naming the input, exit 1', () => {
  for (const [action, inputs, input, message] of CASES) {
    it(`${action}: ${input}`, async () => {
      // Secrets ride along on every case, so the scan at the end sees them in failed runs too.
      const secrets: Record<string, string> =
        action === 'doctor' ? { 'database-url': `postgres://belay:${pgPassword}@127.0.0.1:1/x` } : {};
      const r = await runAction(action, { 'ssh-passphrase': passphrase, ...secrets, ...inputs });
      captured.push(r.all);
      expect(r.code).toBe(1);
      const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`Invalid input "${input}"`);
      expect(errors[0]).toMatch(message);
      expect(r.all).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack trace
      expect(r.all).not.toContain('::group::'); // failed before any work started
    });
  }
});

describe('CLI: the same errors as one line on stderr, exit 1', () => {
  it('bad flag value', async () => {
    const r = await runCli(['health', '--url', 'http://x', '--interval', 'often']);
    captured.push(r.all);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'error: Invalid input "interval": "often" is not a duration. Write a number with a unit, like 90s, 5m or 1h.',
    );
    expect(r.stdout).toBe('');
  });

  it('bad BELAY_* variable names the variable', async () => {
    const r = await runCli(['doctor', '--host', target], { env: { BELAY_COMMAND_TIMEOUT: 'later' } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^error: Invalid input "command-timeout" \(from BELAY_COMMAND_TIMEOUT\): "later" is not a duration/,
    );
  });

  it('unknown command, unknown flag, missing value', async () => {
    for (const [args, pattern] of [
      [['deploy-now'], /^error: Unknown command "deploy-now"\. Use one of: health, doctor/],
      [['health', '--urll', 'x'], /^error: Unknown flag --urll for belay health\. See belay health --help/],
      [['health', '--url'], /^error: Flag --url needs a value/],
      [['health'], /^error: Invalid input "url": it is required but was not given\. Pass --url, set BELAY_URL/],
    ] as const) {
      const r = await runCli(args);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toMatch(pattern);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('--help lists every flag with its variable', async () => {
    const r = await runCli(['doctor', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--ssh-key-file <path>');
    expect(r.stdout).toContain('[BELAY_KNOWN_HOSTS]');
  });
});

describe('secrets never appear in output', () => {
  it('a real run with every secret kind, with debug logging on, shows none of them', async () => {
    const r = await runAction(
      'doctor',
      {
        host: target,
        'ssh-key': sshKey,
        'ssh-passphrase': passphrase,
        'known-hosts': readFileSync(host.knownHosts, 'utf8'),
        'database-url': `postgres://${host.pg.user}:${pgPassword}@${host.pg.host}:${host.pg.port}/${host.pg.database}`,
      },
      { env: { RUNNER_DEBUG: '1' } },
    );
    captured.push(r.all);
    expect(r.code).toBe(0);
    const health = await runAction(
      'health-check',
      { url: 'http://127.0.0.1:1/', timeout: '1s', headers: `Authorization: Bearer ${token}` },
      { env: { RUNNER_DEBUG: '1' } },
    );
    captured.push(health.all);
    expect(health.code).toBe(1);
  });

  it('the CLI, verbose, with secrets from flags, variables and files, shows none of them', async () => {
    const r = await runCli(
      [
        'doctor',
        '--verbose',
        '--host',
        target,
        '--ssh-key-file',
        host.keys.ed25519Pass,
        '--known-hosts-file',
        host.knownHosts,
        '--database-url',
        `postgres://${host.pg.user}:${pgPassword}@${host.pg.host}:${host.pg.port}/${host.pg.database}`,
      ],
      { env: { BELAY_SSH_PASSPHRASE: passphrase } },
    );
    captured.push(r.all);
    expect(r.code).toBe(0);
    const wrong = await runCli(
      ['doctor', '--host', target, '--ssh-key-file', host.keys.ed25519Pass, '--known-hosts-file', host.knownHosts],
      {
        env: { BELAY_SSH_PASSPHRASE: `${passphrase}-wrong` },
      },
    );
    captured.push(wrong.all);
    expect(wrong.code).toBe(1);
    expect(wrong.all).toMatch(/ssh-passphrase/);
  });

  afterAll(() => {
    // Checked last, over everything every test in this file captured. `::add-mask::` lines are the one place a
    // secret must appear: they are how the runner learns what to mask, and it never shows them.
    const all = captured
      .join('\n')
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n');
    expect(all.length).toBeGreaterThan(1000);
    for (const secret of SECRETS) expect(all).not.toContain(secret);
  });
});
