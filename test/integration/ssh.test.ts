/**
 * SshTransport and ConnectionPool against the test host's real OpenSSH sshd (and extra sshd instances started
 * from its config template). Nothing is mocked: keys, host keys, known_hosts files and server logs are real.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, get as httpGet, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

import { cmd, script, seq } from '../../src/core/command.js';
import { BelayError } from '../../src/core/errors.js';
import { fingerprint, parseKnownHosts } from '../../src/transport/known-hosts.js';
import { LocalTransport } from '../../src/transport/local.js';
import { ConnectionPool } from '../../src/transport/pool.js';
import { SshTransport, type TransportLog } from '../../src/transport/ssh.js';
import type { ConnectionOptions, HostTarget, Transport } from '../../src/transport/types.js';
import { startSshd, type ExtraSshd } from '../harness/sshd.js';
import { readText, testHost } from '../harness/test-host.js';

const host = testHost();
const target: HostTarget = { user: host.user, host: host.sshHost, port: host.sshPort };
const knownHosts = readText(host.knownHosts);
const passphrase = readText(host.passphraseFile).trim();
const hostFingerprints = Object.values(host.hostFingerprints);

const baseOptions: ConnectionOptions = {
  privateKey: readText(host.keys.ed25519),
  knownHosts,
  hostKeyPolicy: 'strict',
  connectTimeoutMs: 5_000,
  commandTimeoutMs: 20_000,
};

/** known_hosts lines of the test host, rewritten for another port of the same sshd host keys. */
const knownHostsForPort = (port: number): string =>
  knownHosts.replaceAll(`[${host.sshHost}]:${host.sshPort}`, `[${host.sshHost}]:${port}`);

class RecordingLog implements TransportLog {
  readonly warnings: string[] = [];
  warn(message: string): void {
    this.warnings.push(message);
  }
  debug(): void {}
}

const open: Transport[] = [];
async function connect(
  overrides: Partial<ConnectionOptions> = {},
  to = target,
  log?: TransportLog,
): Promise<Transport> {
  const transport = await SshTransport.connect(to, { ...baseOptions, ...overrides }, log);
  open.push(transport);
  return transport;
}

/** The BelayError a connect attempt fails with (the test fails if it connects). */
async function connectError(overrides: Partial<ConnectionOptions>, to = target): Promise<BelayError> {
  const err = await connect(overrides, to).then(
    () => new Error('connected, but a refusal was expected'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BelayError);
  expect((err as Error).message).not.toContain('\n');
  return err as BelayError;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

const tag = (): string => randomBytes(4).toString('hex');

describe('keys and authentication', () => {
  test.each(['ed25519', 'ecdsa', 'rsa'] as const)('connects with the %s key', async (name) => {
    const transport = await connect({ privateKey: readText(host.keys[name]) });
    expect(transport.label).toBe(`deploy@127.0.0.1:${host.sshPort}`);
    const result = await transport.exec(cmd('id', '-un'));
    expect(result).toEqual({ code: 0, stdout: 'deploy\n', stderr: '' });
  });

  test('connects with an rsa key in PEM format', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'belay-pem-'));
    try {
      const pem = join(dir, 'id_rsa');
      copyFileSync(host.keys.rsa, pem);
      execFileSync('ssh-keygen', ['-q', '-p', '-m', 'PEM', '-N', '', '-f', pem], { stdio: 'ignore' });
      const text = readText(pem);
      expect(text).toContain('-----BEGIN RSA PRIVATE KEY-----');
      const transport = await connect({ privateKey: text });
      expect((await transport.exec(cmd('true'))).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('connects with an encrypted key and its passphrase', async () => {
    const transport = await connect({ privateKey: readText(host.keys.ed25519Pass), passphrase });
    expect((await transport.exec(cmd('id', '-un'))).stdout).toBe('deploy\n');
  });

  test('a wrong passphrase is a one-line error naming ssh-passphrase, without the passphrase', async () => {
    const wrong = `${passphrase}-wrong`;
    const err = await connectError({ privateKey: readText(host.keys.ed25519Pass), passphrase: wrong });
    expect(err.message).toMatch(/ssh-passphrase does not decrypt the private key in ssh-key/);
    expect(err.message).not.toContain(wrong);
  });

  test('a missing passphrase names ssh-passphrase', async () => {
    const err = await connectError({ privateKey: readText(host.keys.ed25519Pass) });
    expect(err.message).toMatch(/encrypted and no ssh-passphrase was given/);
  });

  test('an unreadable key names ssh-key and never echoes key material', async () => {
    const keyText = readText(host.keys.ed25519);
    const body = keyText.split('\n')[1]!;
    const mangled = keyText.replace(body, body.split('').reverse().join(''));
    const err = await connectError({ privateKey: mangled });
    expect(err.message).toMatch(/^ssh-key is not a private key belay can read/);
    expect(err.message).not.toContain(body.slice(0, 16));
    expect(err.message).not.toContain(body.split('').reverse().join('').slice(0, 16));

    const flattened = await connectError({ privateKey: keyText.replace(/\n/g, ' ') });
    expect(flattened.message).toMatch(/line breaks are missing/);

    const publicKey = await connectError({ privateKey: readText(`${host.keys.ed25519}.pub`) });
    expect(publicKey.message).toMatch(/ssh-key holds a public key/);
  });

  test('a key the server does not accept names the user, host and key type', async () => {
    const err = await connectError({ privateKey: readText(host.keys.unauthorized) });
    expect(err.message).toBe(
      `SSH authentication refused for user deploy on 127.0.0.1:${host.sshPort} with the ed25519 key given in ` +
        `ssh-key. Check that its public key is in ~deploy/.ssh/authorized_keys on that server.`,
    );
  });
});

describe('host key verification', () => {
  test("fingerprint() of the test host's keys equals ssh-keygen -lf -E sha256", () => {
    const printed = execFileSync('ssh-keygen', ['-lf', host.knownHosts, '-E', 'sha256'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[1]);
    const ours = parseKnownHosts(knownHosts).entries.map((e) => fingerprint(e.key));
    expect(ours).toEqual(printed);
    expect([...ours].sort()).toEqual([...hostFingerprints].sort());
  });

  test('an unknown host is refused with the presented fingerprint and how to pin it', async () => {
    const err = await connectError({ knownHosts: '' });
    expect(err.message).toMatch(
      new RegExp(`^Host 127\\.0\\.0\\.1:${host.sshPort} is not in known-hosts and no host-fingerprint matched`),
    );
    expect(hostFingerprints.some((fp) => err.message.includes(`presented ${fp} (`))).toBe(true);
    expect(err.message).toContain(`ssh-keyscan -p ${host.sshPort} 127.0.0.1`);
  });

  test('with neither known-hosts nor host-fingerprint, strict refuses', async () => {
    const err = await connectError({ knownHosts: undefined });
    expect(err.message).toMatch(/is not in known-hosts/);
  });

  test('a wrong pinned fingerprint is refused, naming expected and presented', async () => {
    const wrong = `SHA256:${'A'.repeat(43)}`;
    const err = await connectError({ knownHosts: undefined, hostFingerprints: [wrong] });
    expect(err.message).toMatch(
      new RegExp(
        `^Host key for deploy@127\\.0\\.0\\.1:${host.sshPort} did not match: expected ${wrong} \\(host-fingerprint\\), the server presented SHA256:\\S+ \\(ssh-`,
      ),
    );
    expect(hostFingerprints.some((fp) => err.message.includes(fp))).toBe(true);
    expect(err.message).toMatch(/someone may be intercepting the connection\.$/);
  });

  test('the right pinned fingerprint is enough without known-hosts', async () => {
    const transport = await connect({ knownHosts: undefined, hostFingerprints });
    expect((await transport.exec(cmd('true'))).code).toBe(0);
  });

  test('hashed known_hosts lines are accepted', async () => {
    const hashed = readText(host.knownHostsHashed);
    expect(hashed).not.toContain('127.0.0.1');
    const transport = await connect({ knownHosts: hashed });
    expect((await transport.exec(cmd('true'))).code).toBe(0);
  });

  test('accept-new accepts an unknown host with a warning that prints the line to pin', async () => {
    const log = new RecordingLog();
    const transport = await connect({ knownHosts: '', hostKeyPolicy: 'accept-new' }, target, log);
    expect((await transport.exec(cmd('true'))).code).toBe(0);
    expect(log.warnings).toHaveLength(1);
    const [warning] = log.warnings as [string];
    expect(hostFingerprints.some((fp) => warning.includes(fp))).toBe(true);
    const pin = warning.match(/add this line to known-hosts: (.+)$/)?.[1];
    expect(pin).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${host.sshPort} ssh-`));
    // The printed line really pins the host: strict verification accepts it.
    const pinned = await connect({ knownHosts: pin! });
    expect((await pinned.exec(cmd('true'))).code).toBe(0);
  });

  test('accept-new still refuses a host whose key changed', async () => {
    // The client's own public key stands in for "the key the server used to have".
    const [type, base64] = readText(`${host.keys.unauthorized}.pub`).split(' ');
    const stale = `[127.0.0.1]:${host.sshPort} ${type} ${base64}`;
    const err = await connectError({ knownHosts: stale, hostKeyPolicy: 'accept-new' });
    expect(err.message).toMatch(
      /^Host key for deploy@127\.0\.0\.1:\d+ did not match: expected SHA256:\S+ \(known-hosts\)/,
    );
  });

  test('a host key marked @revoked is refused', async () => {
    const ed25519 = knownHosts.split('\n').find((l) => l.includes(' ssh-ed25519 '))!;
    const revoked = `${knownHosts}\n@revoked * ${ed25519.split(' ').slice(1).join(' ')}`;
    const err = await connectError({ knownHosts: revoked });
    expect(err.message).toContain(`Host key ${host.hostFingerprints.ed25519} (ssh-ed25519)`);
    expect(err.message).toMatch(/marked @revoked/);
  });
});

describe('connection failures', () => {
  test('connection refused names host and port', async () => {
    const port = await unusedPort();
    const err = await connectError({}, { ...target, port });
    expect(err.message).toMatch(new RegExp(`^Could not connect to 127\\.0\\.0\\.1:${port}: connection refused`));
  });

  test('a server that accepts but never speaks SSH hits connect-timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const started = Date.now();
      const err = await connectError({ connectTimeoutMs: 1_000 }, { ...target, port });
      expect(err.message).toMatch(
        new RegExp(`^Could not connect to 127\\.0\\.0\\.1:${port} within 1s \\(connect-timeout\\)`),
      );
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      silent.close();
    }
  });

  test('through the pool (TCP dialed before the SSH code loads): the same errors, and a bad key wins', async () => {
    const port = await unusedPort();
    const refused = await new ConnectionPool(baseOptions).get({ ...target, port }).catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(
      new RegExp(`^Could not connect to 127\\.0\\.0\\.1:${port}: connection refused`),
    );
    // An unreadable key is reported as such, not as whatever the dialed connection did.
    const keyText = readText(host.keys.ed25519);
    const body = keyText.split('\n')[1]!;
    const mangled = keyText.replace(body, body.split('').reverse().join(''));
    const badKey = await new ConnectionPool({ ...baseOptions, privateKey: mangled })
      .get({ ...target, port })
      .catch((e: unknown) => e);
    expect((badKey as Error).message).toMatch(/^ssh-key is not a private key belay can read/);
    expect((badKey as Error).message).not.toMatch(/connection refused/);
    const pool = new ConnectionPool(baseOptions);
    try {
      expect((await (await pool.get(target)).exec(cmd('echo', 'via pool'))).stdout).toBe('via pool\n');
    } finally {
      await pool.closeAll();
    }
  });

  test('losing the connection mid-command is an error, not a result', async () => {
    const transport = await connect();
    // The parent of the command's shell is sshd's per-connection process; killing it drops the connection.
    const err = await transport.exec(script('kill -9 $PPID; sleep 5')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BelayError);
    expect((err as Error).message).toMatch(
      /^Lost the SSH connection to deploy@127\.0\.0\.1:\d+ .*while running: kill -9/,
    );
    const next = await transport.exec(cmd('true')).catch((e: unknown) => e);
    expect((next as Error).message).toMatch(
      /^The SSH connection to deploy@127\.0\.0\.1:\d+ was lost earlier .*could not run: true\.$/,
    );
  });
});

/**
 * The contract every Transport keeps, checked on the SSH transport and on LocalTransport alike: the capabilities
 * above them must not be able to tell the difference.
 */
interface Subject {
  readonly name: string;
  readonly make: () => Promise<Transport>;
  /** Who runs the commands, and the label messages use. */
  readonly user: string;
  readonly label: string;
}

const subjects: Subject[] = [
  {
    name: 'SshTransport',
    make: () => SshTransport.connect(target, baseOptions),
    user: 'deploy',
    label: `deploy@127.0.0.1:${host.sshPort}`,
  },
  { name: 'LocalTransport', make: async () => new LocalTransport(), user: userInfo().username, label: 'local' },
];

describe.each(subjects)('$name exec', ({ make, user, label }) => {
  let transport: Transport;
  beforeAll(async () => {
    transport = await make();
  });
  afterAll(() => transport.close());

  test('exit codes propagate', async () => {
    expect((await transport.exec(script('exit 3'))).code).toBe(3);
    expect((await transport.exec(cmd('false'))).code).toBe(1);
    expect((await transport.exec(cmd('sh', '-c', 'exit 255'))).code).toBe(255);
  });

  test('stdout and stderr are kept apart and streamed as they arrive', async () => {
    const chunks: { stream: string; text: string; at: number }[] = [];
    const started = Date.now();
    const result = await transport.exec(cmd('sh', '-c', 'echo out1; echo err1 >&2; sleep 0.4; echo out2'), {
      onStdout: (c) => chunks.push({ stream: 'out', text: c.toString(), at: Date.now() - started }),
      onStderr: (c) => chunks.push({ stream: 'err', text: c.toString(), at: Date.now() - started }),
    });
    const finished = Date.now() - started;
    expect(result).toEqual({ code: 0, stdout: 'out1\nout2\n', stderr: 'err1\n' });
    const first = chunks.find((c) => c.text.includes('out1'))!;
    expect(first.stream).toBe('out');
    expect(first.text).not.toContain('out2');
    expect(finished - first.at).toBeGreaterThanOrEqual(300); // seen before the command ended
    expect(
      chunks
        .filter((c) => c.stream === 'err')
        .map((c) => c.text)
        .join(''),
    ).toBe('err1\n');
  });

  test('stdin is delivered and then closed', async () => {
    const input = 'line one\nline two: é ✓\n';
    expect((await transport.exec(cmd('cat'), { stdin: input })).stdout).toBe(input);
    expect((await transport.exec(cmd('wc', '-c'), { stdin: Buffer.alloc(300_000, 1) })).stdout.trim()).toBe('300000');
    // No stdin given: the command sees end-of-file instead of hanging.
    expect((await transport.exec(cmd('cat'))).stdout).toBe('');
    // A command that ignores its stdin does not make the write fail.
    expect((await transport.exec(cmd('true'), { stdin: Buffer.alloc(1_000_000) })).code).toBe(0);
  });

  test('stdin given as a promise: the command runs at once and reads it when it comes', async () => {
    let give!: (text: string | undefined) => void;
    const later = new Promise<string | undefined>((resolve) => (give = resolve));
    const seen: string[] = [];
    const running = transport.exec(cmd('sh', '-c', 'echo started; IFS= read -r line; echo "got $line"'), {
      stdin: later,
      onStdout: (c) => seen.push(c.toString()),
    });
    // The command is running (it said so) before its stdin exists.
    for (let i = 0; i < 100 && !seen.join('').includes('started'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(seen.join('')).toBe('started\n');
    give('snapshot 0000-1\n');
    expect((await running).stdout).toBe('started\ngot snapshot 0000-1\n');
    // Undefined, or a rejected promise: stdin ends with nothing, the command sees end-of-file.
    const eof = 'IFS= read -r line && echo "got $line" || echo eof';
    expect((await transport.exec(cmd('sh', '-c', eof), { stdin: Promise.resolve(undefined) })).stdout).toBe('eof\n');
    expect((await transport.exec(cmd('sh', '-c', eof), { stdin: Promise.reject(new Error('no')) })).stdout).toBe(
      'eof\n',
    );
    // A command that ended before its stdin came: giving it later breaks nothing.
    let late!: (text: string) => void;
    const gone = await transport.exec(cmd('true'), { stdin: new Promise<string>((resolve) => (late = resolve)) });
    expect(gone.code).toBe(0);
    late('too late\n');
    expect((await transport.exec(cmd('echo', 'still fine'))).stdout).toBe('still fine\n');
  });

  test('openSocket reaches a Unix socket on the server (the Docker Engine), or says it cannot', async () => {
    expect(await transport.openSocket!('/nonexistent/belay.sock')).toBeUndefined();
    const docker = await transport.openSocket!('/var/run/docker.sock');
    expect(docker).toBeDefined();
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      docker!.on('data', (c: Buffer) => (text += c.toString()));
      docker!.once('close', () => resolve(text));
      docker!.once('end', () => resolve(text));
      docker!.write('GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n');
    });
    docker!.destroy();
    expect(answer).toMatch(/^HTTP\/1\.[01] 200 /);
    expect(answer.endsWith('OK')).toBe(true);
  });

  test('hostile values come back byte-identical and execute nothing', async () => {
    const sentinel = `/tmp/belay-hostile-${tag()}`;
    const values = [
      `$(touch ${sentinel})`,
      `\`touch ${sentinel}\``,
      `; touch ${sentinel}`,
      `a\ntouch ${sentinel}\n`,
      `' ; touch ${sentinel} ; '`,
      `"; touch ${sentinel}; "`,
      `\\'\\"\\\\`,
      `$HOME $$ \${PATH} ~ * ? [a] !x`,
      '-n',
      '--help',
      '',
      '   leading and trailing spaces   ',
      'tab\there | pipe & amp > redirect < in',
      'unicode: é ü 日本語 🚀 \u202e',
      "it's",
      'belay-pgid=1\n',
    ];
    for (const value of values) {
      const result = await transport.exec(cmd('printf', '%s', value));
      expect({ value, stdout: result.stdout, code: result.code }).toEqual({ value, stdout: value, code: 0 });
    }
    expect(existsSync(sentinel)).toBe(false);
  });

  test('a command that runs past its timeout is stopped with everything it started', async () => {
    const id = tag();
    const marker = `/tmp/belay-timeout-${id}`;
    const sleep = `300.${parseInt(id, 16) % 1_000_000}`;
    const started = Date.now();
    const err = await transport
      .exec(seq(cmd('sleep', sleep), cmd('touch', marker)), { timeoutMs: 1_000 })
      .catch((e: unknown) => e);
    await expectStopped(user, sleep, marker);
    expect(err).toBeInstanceOf(BelayError);
    expect((err as Error).message).toBe(
      `Command timed out after 1s on ${label} and was stopped: sleep ${sleep}; touch ${marker}`,
    );
    expect(Date.now() - started).toBeLessThan(8_000);
    // The transport is still usable afterwards.
    expect((await transport.exec(cmd('true'))).code).toBe(0);
  });

  test('a command that ignores SIGTERM is killed after the grace period', async () => {
    const id = tag();
    const marker = `/tmp/belay-timeout-${id}`;
    const sleep = `301.${parseInt(id, 16) % 1_000_000}`;
    // Ignored signals stay ignored across exec, so the sleep ignores TERM too.
    const stubborn = cmd('sh', '-c', `trap '' TERM; sleep ${sleep}; touch ${marker}`);
    const err = await transport.exec(stubborn, { timeoutMs: 500 }).catch((e: unknown) => e);
    await expectStopped(user, sleep, marker);
    expect((err as Error).message).toMatch(/^Command timed out after 500ms on .* and was stopped: sh -c/);
  });
});

/** No process of the timed-out command is left, and the command after the sleep never ran. */
async function expectStopped(user: string, sleepArgument: string, marker: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  const leftovers = pidsOf(user, `sleep ${sleepArgument}`);
  // Clean up before failing: the whole process group, so that the shell does not go on to the next command.
  for (const pid of leftovers) {
    const pgid = Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(pid)], { encoding: 'utf8' }).trim());
    process.kill(-pgid, 'SIGKILL');
  }
  expect(leftovers).toEqual([]);
  expect(existsSync(marker)).toBe(false);
}

function pidsOf(user: string, commandLine: string): number[] {
  try {
    const out = execFileSync('pgrep', ['-u', user, '-x', '-f', commandLine], { encoding: 'utf8' });
    return out.split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe.each(subjects)('$name upload', ({ make, user, label }) => {
  let transport: Transport;
  let dir: string;
  beforeAll(async () => {
    transport = await make();
    dir = (await transport.exec(cmd('mktemp', '-d', '/tmp/belay-upload-XXXXXX'))).stdout.trim();
  });
  afterAll(async () => {
    await transport.exec(cmd('rm', '-rf', dir));
    await transport.close();
  });

  const modeAndOwner = async (path: string): Promise<string> =>
    (await transport.exec(cmd('stat', '-c', '%a %U', path))).stdout.trim();

  test('writes content with mode 0600', async () => {
    const path = `${dir}/secret.env`;
    await transport.upload('TOKEN=s3cr3t\n', path, 0o600);
    expect(await modeAndOwner(path)).toBe(`600 ${user}`);
    expect((await transport.exec(cmd('cat', path))).stdout).toBe('TOKEN=s3cr3t\n');
  });

  test('replacing a world-readable file leaves it 0600 and no temporary file behind', async () => {
    const path = `${dir}/replaced.env`;
    await transport.upload('old', path, 0o644);
    expect(await modeAndOwner(path)).toBe(`644 ${user}`);
    await transport.upload('new secret', path, 0o600);
    expect(await modeAndOwner(path)).toBe(`600 ${user}`);
    expect((await transport.exec(cmd('cat', path))).stdout).toBe('new secret');
    const names = (await transport.exec(cmd('ls', '-A', dir))).stdout.split('\n');
    expect(names.filter((name) => name.includes('belay-'))).toEqual([]);
  });

  test('uploads a local file, larger than one SFTP packet', async () => {
    const localDir = mkdtempSync(join(tmpdir(), 'belay-local-'));
    try {
      const local = join(localDir, 'blob');
      const content = randomBytes(200_000);
      writeFileSync(local, content);
      const path = `${dir}/blob`;
      await transport.uploadFile(local, path, 0o640);
      expect(await modeAndOwner(path)).toBe(`640 ${user}`);
      const remoteSum = (await transport.exec(cmd('sha256sum', path))).stdout.split(' ')[0];
      expect(remoteSum).toBe(createHash('sha256').update(content).digest('hex'));
    } finally {
      rmSync(localDir, { recursive: true, force: true });
    }
  });

  test('a missing directory is a one-line error', async () => {
    const err = await transport.upload('x', `${dir}/missing/file`, 0o600).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BelayError);
    expect((err as Error).message).toBe(
      `Could not upload ${dir}/missing/file to ${label}: its directory does not exist.`,
    );
  });
});

describe('forward', () => {
  let http: HttpServer;
  let httpPort: number;
  beforeAll(async () => {
    http = createHttpServer((req, res) => res.end(`hello from ${req.url}`));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    httpPort = (http.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => http.close(resolve)));

  test('reaches an HTTP server bound on the server loopback through the tunnel', async () => {
    const transport = await connect();
    const forward = await transport.forward('127.0.0.1', httpPort);
    expect(forward.localHost).toBe('127.0.0.1');
    expect(forward.localPort).not.toBe(httpPort);
    expect(await fetchText(forward.localPort, '/one')).toBe('hello from /one');
    const many = await Promise.all([1, 2, 3].map((n) => fetchText(forward.localPort, `/p${n}`)));
    expect(many).toEqual(['hello from /p1', 'hello from /p2', 'hello from /p3']);
    await forward.close();
    await expect(fetchText(forward.localPort, '/closed')).rejects.toThrow();
  });

  test('LocalTransport forwards to the address itself', async () => {
    const forward = await new LocalTransport().forward('127.0.0.1', httpPort);
    expect(forward).toMatchObject({ localHost: '127.0.0.1', localPort: httpPort });
    expect(await fetchText(forward.localPort, '/direct')).toBe('hello from /direct');
    await forward.close();
  });
});

describe('jump host and connection count (dedicated sshd instances)', () => {
  let jump: ExtraSshd;
  let counted: ExtraSshd;
  beforeAll(async () => {
    [jump, counted] = await Promise.all([startSshd({ logLevel: 'DEBUG1' }), startSshd()]);
  });
  afterAll(async () => {
    await Promise.all([jump?.stop(), counted?.stop()]);
  });

  test('connects through a jump host; the jump host forwards the connection', async () => {
    const jumpHost: HostTarget = { user: 'deploy', host: '127.0.0.1', port: jump.port };
    const transport = await connect({ jumpHost, knownHosts: `${knownHosts}\n${knownHostsForPort(jump.port)}` });
    const result = await transport.exec(script('echo "$SSH_CONNECTION"'));
    // SSH_CONNECTION is "client_ip client_port server_ip server_port": the target sees its own port.
    expect(result.stdout.trim().split(' ')[3]).toBe(String(host.sshPort));
    expect(jump.logText()).toMatch(
      new RegExp(
        `server_request_direct_tcpip: originator \\S+ port \\d+, target 127\\.0\\.0\\.1 port ${host.sshPort}(?!\\d)`,
      ),
    );
    expect(jump.acceptedConnections()).toBe(1);

    await transport.close();
    await waitFor(() => /Disconnected from user deploy/.test(jump.logText()));
  });

  test('the jump host key is verified under its own name', async () => {
    const jumpHost: HostTarget = { user: 'deploy', host: '127.0.0.1', port: jump.port };
    const err = await connectError({ jumpHost });
    expect(err.message).toMatch(new RegExp(`^Jump host 127\\.0\\.0\\.1:${jump.port} is not in known-hosts`));
  });

  test('a pool opens exactly one TCP connection per host for a whole run', async () => {
    const pool = new ConnectionPool({ ...baseOptions, knownHosts: knownHostsForPort(counted.port) });
    const where: HostTarget = { user: 'deploy', host: '127.0.0.1', port: counted.port };
    const http = createHttpServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const [a, b, c] = await Promise.all([pool.get(where), pool.get(where), pool.get({ ...where })]);
      expect(b).toBe(a);
      expect(c).toBe(a);
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => a.exec(cmd('echo', String(i)))));
      expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 12 }, (_, i) => `${i}\n`));
      const dir = (await (await pool.get(where)).exec(cmd('mktemp', '-d'))).stdout.trim();
      await Promise.all([a.upload('one', `${dir}/1`, 0o600), a.upload('two', `${dir}/2`, 0o600)]);
      const forward = await (await pool.get(where)).forward('127.0.0.1', (http.address() as AddressInfo).port);
      expect(await fetchText(forward.localPort, '/')).toBe('ok');
      await a.exec(cmd('rm', '-rf', dir));
    } finally {
      await pool.closeAll();
      http.close();
    }
    expect(counted.acceptedConnections()).toBe(1);
  });
});

// ------------------------------------------------------------------------------------------------ helpers

async function unusedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function fetchText(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(5_000, () => req.destroy(new Error('timed out')));
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
