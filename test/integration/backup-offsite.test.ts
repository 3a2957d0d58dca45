/**
 * Backups leaving the server (dist/backup over the real sshd): streamed to the runner (`download`) and through it to
 * a second SSH host (`copy-to`), encrypted with age to `encrypt-to` (the age CLI must decrypt what belay wrote),
 * checked against the manifest's sha256; refused before anything is done when a copy would leave unencrypted
 * without allow-unencrypted-offsite; a copy-to host with the wrong host key refused. Memory stays flat for a dump
 * much larger than what the process may hold. On the copy-to host, the keep-* rules prune older copies of the same
 * app and database once a new copy is in place, and nothing else.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { backupInputs, errorsOf, inContainerOf } from '../harness/backup.js';
import { startComposePostgres, type ComposePostgres } from '../harness/pg-image.js';
import { runAction, type RunResult } from '../harness/runner.js';
import { startSshd, type ExtraSshd } from '../harness/sshd.js';
import { testHost } from '../harness/test-host.js';

const host = testHost();
const id = randomBytes(4).toString('hex');
const password = `pw '${id}' $(id)`;
const app = `belay-offsite-${id}`;
const root = mkdtempSync(join(tmpdir(), 'belay-offsite-'));
const deployUid = Number(execFileSync('id', ['-u', host.user], { encoding: 'utf8' }).trim());
const deployGid = Number(execFileSync('id', ['-g', host.user], { encoding: 'utf8' }).trim());
let db: ComposePostgres;
let client: pg.Client;
let second: ExtraSshd;
/** An age key made by the age CLI: the private key file and its public key. */
const keyFile = join(root, 'age-key.txt');
let recipient: string;

/** A directory the deploy user owns (a backup-dir on the server, or a folder on the copy-to host). */
function ownedDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  chownSync(root, deployUid, deployGid);
  chownSync(dir, deployUid, deployGid);
  return dir;
}

const knownHosts = readFileSync(host.knownHosts, 'utf8');
const inputs = (dir: string, over: Record<string, string> = {}) => backupInputs(app, password, dir, over);
const filesIn = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
const sha256 = (path: string) => execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0]!;
const noSecret = (r: RunResult) => {
  const shown = r.all.split('\n').filter((l) => !l.startsWith('::add-mask::'));
  expect(shown.join('\n')).not.toContain(password);
};
/** Decrypted by the standard age CLI, as a user restoring from the copy would. */
const ageDecrypt = (file: string): Buffer => execFileSync('age', ['-d', '-i', keyFile, file], { maxBuffer: 1 << 30 });

/** Peak RSS of the action's process, written at exit by a preloaded script (NODE_OPTIONS=--require). */
function peakRssProbe(): { env: Record<string, string>; peakMb: () => number } {
  const out = join(root, `rss-${randomBytes(3).toString('hex')}`);
  const script = join(root, `rss-${randomBytes(3).toString('hex')}.cjs`);
  writeFileSync(
    script,
    `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)));\n`,
  );
  return { env: { NODE_OPTIONS: `--require ${script}` }, peakMb: () => Number(readFileSync(out, 'utf8')) / 1024 };
}

beforeAll(async () => {
  execFileSync('age-keygen', ['-o', keyFile], { stdio: 'pipe' });
  recipient = /public key: (age1[0-9a-z]+)/.exec(readFileSync(keyFile, 'utf8'))![1]!;
  second = await startSshd();
  db = await startComposePostgres({ project: app, user: 'shop', password, database: 'shop' });
  client = await db.connect();
  await client.query(`
    CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
    INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 2000) g;
  `);
}, 120_000);

afterAll(async () => {
  await client?.end();
  db?.down();
  await second?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** known-hosts with the test host's keys for the second sshd too (it runs with the same host keys). */
const withSecond = () =>
  `${knownHosts}\n${knownHosts.replaceAll(`[127.0.0.1]:${host.sshPort}`, `[127.0.0.1]:${second.port}`)}`;

describe('download to the runner', () => {
  it('streams the backup unencrypted when allowed, checks its sha256, and writes the manifest beside it', async () => {
    const dir = ownedDir('plain');
    const out = join(root, 'runner-plain');
    const r = await runAction('backup', inputs(dir, { download: out, 'allow-unencrypted-offsite': 'true' }));
    expect(errorsOf(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    const backupId = r.outputs['backup-id']!;
    expect(filesIn(out)).toEqual([`${backupId}.dump`, `${backupId}.json`]);
    const file = join(out, `${backupId}.dump`);
    expect(r.outputs['download-path']).toBe(file);
    expect(readFileSync(file).equals(readFileSync(r.outputs.path!))).toBe(true);
    expect(sha256(file)).toBe(r.outputs.sha256);
    expect(r.outputs['download-sha256']).toBe(r.outputs.sha256);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const manifest = JSON.parse(readFileSync(join(out, `${backupId}.json`), 'utf8'));
    expect(manifest).toMatchObject({ id: backupId, file: `${backupId}.dump`, sha256: r.outputs.sha256 });
    expect(manifest.encrypted).toBeUndefined();
    expect(r.stdout).toContain(`downloaded backup ${backupId} to ${file}`);
    expect(r.summary).toContain('off the server');
    noSecret(r);
  });

  it('encrypts to an age recipient on the way; `age -d` gives back the server file byte for byte', async () => {
    const dir = ownedDir('encrypted');
    const out = join(root, 'runner-encrypted');
    const r = await runAction('backup', inputs(dir, { download: out, 'encrypt-to': `# ops key\n${recipient}\n` }));
    expect(errorsOf(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    const backupId = r.outputs['backup-id']!;
    expect(filesIn(out)).toEqual([`${backupId}.dump.age`, `${backupId}.json`]);
    const file = join(out, `${backupId}.dump.age`);
    expect(r.outputs['download-path']).toBe(file);
    expect(r.outputs['download-sha256']).toBe(sha256(file));
    expect(readFileSync(file).subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    expect(ageDecrypt(file).equals(readFileSync(r.outputs.path!))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(out, `${backupId}.json`), 'utf8'));
    expect(manifest).toMatchObject({
      id: backupId,
      file: `${backupId}.dump`,
      sha256: r.outputs.sha256,
      size: Number(r.outputs.size),
      encrypted: {
        format: 'age',
        file: `${backupId}.dump.age`,
        size: statSync(file).size,
        sha256: sha256(file),
        recipients: [recipient],
      },
    });
    noSecret(r);
  });

  it('memory stays flat: the process grows by far less than the dump', async () => {
    await client.query('CREATE DATABASE big');
    const big = await db.connect('big');
    try {
      // ~110 MB of incompressible bytes: pg_dump's compression cannot shrink it.
      await big.query(`
        SET jit = off;
        CREATE TABLE blobs (id int PRIMARY KEY, data bytea);
        INSERT INTO blobs SELECT g, decode(string_agg(md5(g::text || ':' || i), ''), 'hex')
          FROM generate_series(1, 100000) g, generate_series(1, 64) i GROUP BY g;
      `);
    } finally {
      await big.end();
    }
    const small = peakRssProbe();
    const smallRun = await runAction(
      'backup',
      inputs(ownedDir('small-rss'), { download: join(root, 'small-out'), 'encrypt-to': recipient, verify: 'checksum' }),
      { env: small.env },
    );
    expect(smallRun.code).toBe(0);

    const large = peakRssProbe();
    const out = join(root, 'big-out');
    const r = await runAction(
      'backup',
      inputs(ownedDir('big'), { database: 'big', download: out, 'encrypt-to': recipient, verify: 'checksum' }),
      { env: large.env },
    );
    expect(errorsOf(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    const size = Number(r.outputs.size);
    expect(size).toBeGreaterThan(100e6);
    const grewMb = large.peakMb() - small.peakMb();
    // Holding the dump (or its ciphertext) would grow the process by at least its size. What it does grow by is
    // the garbage collector's headroom, the same (~35 MB) for a 75 MB and a 150 MB dump.
    expect(grewMb).toBeLessThan(size / 1e6 / 2);
    const decrypted = join(root, 'big.dump');
    execFileSync('age', ['-d', '-i', keyFile, '-o', decrypted, r.outputs['download-path']!]);
    expect(sha256(decrypted)).toBe(r.outputs.sha256);
    rmSync(decrypted);
  }, 300_000);
});

describe('copy to a second SSH host', () => {
  it('sends the encrypted backup and its manifest to user@host:port:dir, checked there', async () => {
    const dir = ownedDir('copy-src');
    const remote = ownedDir('copy-dst');
    const r = await runAction(
      'backup',
      inputs(dir, {
        'copy-to': `${host.user}@127.0.0.1:${second.port}:${remote}`,
        'encrypt-to': recipient,
        'known-hosts': withSecond(),
      }),
    );
    expect(errorsOf(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    const backupId = r.outputs['backup-id']!;
    const there = join(remote, app);
    expect(filesIn(there)).toEqual([`${backupId}.dump.age`, `${backupId}.json`]);
    const file = join(there, `${backupId}.dump.age`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(there).mode & 0o777).toBe(0o700);
    expect(ageDecrypt(file).equals(readFileSync(r.outputs.path!))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(there, `${backupId}.json`), 'utf8'));
    expect(manifest).toMatchObject({
      id: backupId,
      file: `${backupId}.dump`,
      sha256: r.outputs.sha256,
      encrypted: { format: 'age', file: `${backupId}.dump.age`, sha256: sha256(file) },
    });
    // The server's own backup is there as always.
    expect(filesIn(join(dir, app))).toEqual([`${backupId}.dump`, `${backupId}.json`]);
    expect(r.stdout).toContain(`copied backup ${backupId} to ${host.user}@127.0.0.1:${second.port}:`);
    noSecret(r);
  });

  it('a copy-to host whose key does not match known-hosts is refused; nothing is written there', async () => {
    const dir = ownedDir('wrongkey-src');
    const remote = ownedDir('wrongkey-dst');
    const other = join(root, 'other-host-key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const pub = readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    const r = await runAction(
      'backup',
      inputs(dir, {
        'copy-to': `${host.user}@127.0.0.1:${second.port}:${remote}`,
        'encrypt-to': recipient,
        'known-hosts': `${knownHosts}\n[127.0.0.1]:${second.port} ${pub}\n`,
      }),
    );
    expect(r.code).toBe(1);
    const errors = errorsOf(r.stdout);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`copy to ${host.user}@127.0.0.1:${second.port}`);
    expect(errors[0]).toContain('did not match');
    expect(filesIn(remote)).toEqual([]);
    noSecret(r);
  });
});

describe('retention on the copy-to host', () => {
  /** A manifest like belay's, for files that are not this app and database's backups. */
  const foreign = (backupId: string, over: Record<string, unknown>) => ({
    belay: 1,
    id: backupId,
    app,
    engine: 'postgres',
    database: 'shop',
    file: `${backupId}.dump`,
    size: 5,
    sha256: 'a'.repeat(64),
    createdAt: '2020-01-01T00:00:00.000Z',
    durationMs: 1,
    serverVersion: '15',
    tool: 'pg_dump 15',
    tables: [],
    verified: { method: 'toc', at: '2020-01-01T00:00:00.000Z' },
    ...over,
  });
  /** Put a file in the copy-to folder as the deploy user would own it. */
  const put = (path: string, text: string) => {
    writeFileSync(path, text, { mode: 0o600 });
    chownSync(path, deployUid, deployGid);
  };

  it('prunes older copies there by the same keep-* rules, only its own app and database, never a good copy for a failed one', async () => {
    const dir = ownedDir('retain-src');
    const remote = ownedDir('retain-dst');
    const there = join(remote, app);
    mkdirSync(there, { mode: 0o700 });
    chownSync(there, deployUid, deployGid);
    // What must survive any pruning: another database's copy, a manifest naming a file outside the folder (an
    // old, hand-written one, same app and database), a file that is no backup at all.
    put(
      join(there, '20200101T000000Z-0001.json'),
      JSON.stringify(foreign('20200101T000000Z-0001', { database: 'other' })),
    );
    put(join(there, '20200101T000000Z-0001.dump'), 'other');
    put(join(remote, 'victim'), 'not a backup');
    put(
      join(there, '20200101T000000Z-0002.json'),
      JSON.stringify(foreign('20200101T000000Z-0002', { file: '../victim' })),
    );
    put(join(there, 'notes.txt'), 'keep me');
    const foreignFiles = [
      '20200101T000000Z-0001.dump',
      '20200101T000000Z-0001.json',
      '20200101T000000Z-0002.json',
      'notes.txt',
    ];

    const copy = (over: Record<string, string> = {}) =>
      runAction(
        'backup',
        inputs(dir, {
          'copy-to': `${host.user}@127.0.0.1:${second.port}:${remote}`,
          'encrypt-to': recipient,
          'known-hosts': withSecond(),
          'keep-last': '2',
          'keep-daily': '0',
          'keep-weekly': '0',
          ...over,
        }),
      );
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await copy();
      expect(errorsOf(r.stdout)).toEqual([]);
      expect(r.code).toBe(0);
      ids.push(r.outputs['backup-id']!);
    }
    const copies = (...keep: string[]) => keep.flatMap((k) => [`${k}.dump.age`, `${k}.json`]);
    // Ids of backups taken in the same second sort by their random part: compare as sorted names.
    expect(filesIn(there)).toEqual([...copies(ids[1]!, ids[2]!), ...foreignFiles].sort());
    expect(readFileSync(join(remote, 'victim'), 'utf8')).toBe('not a backup');
    expect(filesIn(join(dir, app))).toEqual(
      [`${ids[1]}.dump`, `${ids[1]}.json`, `${ids[2]}.dump`, `${ids[2]}.json`].sort(),
    );
    // What is left there is what it says: the newest copy decrypts to the server's backup.
    const newest = join(there, `${ids[2]}.dump.age`);
    expect(ageDecrypt(newest).equals(readFileSync(join(dir, app, `${ids[2]}.dump`)))).toBe(true);

    // A copy that cannot be written prunes nothing there, even with a rule that would.
    const before = filesIn(there);
    execFileSync('chmod', ['0500', there]);
    try {
      const failed = await copy({ 'keep-last': '1' });
      expect(failed.code).toBe(1);
      const errors = errorsOf(failed.stdout);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`but the copy to ${host.user}@127.0.0.1:${second.port} ${remote} failed`);
      expect(failed.stdout).not.toContain('pruned copy');
      expect(filesIn(there)).toEqual(before);
      noSecret(failed);
    } finally {
      execFileSync('chmod', ['0700', there]);
    }

    // Pruning that fails after a good copy fails the step, saying the new copy is in place.
    const stuck = join(there, `${ids[1]}.json`);
    execFileSync('chattr', ['+i', stuck]);
    try {
      const r = await copy({ 'keep-last': '1' });
      expect(r.code).toBe(1);
      const errors = errorsOf(r.stdout);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`was copied to ${host.user}@127.0.0.1:${second.port} ${remote} and checked there`);
      expect(errors[0]).toContain('pruning older copies there failed');
      const fresh = /copied backup (\S+) to/.exec(r.stdout)![1]!;
      expect(filesIn(there)).toEqual(expect.arrayContaining([...copies(fresh), `${ids[1]}.json`, ...foreignFiles]));
    } finally {
      execFileSync('chattr', ['-i', stuck]);
    }
  }, 180_000);
});

describe('copies leaving the server unencrypted are refused before anything is done', () => {
  it.each([
    ['download', () => ({ download: join(root, 'refused-out') })],
    ['copy-to', () => ({ 'copy-to': `${host.user}@127.0.0.1:${second.port}:${root}/refused-copy` })],
  ])('%s without encrypt-to or allow-unencrypted-offsite', async (input, over) => {
    const dir = ownedDir(`refused-${input}`);
    const r = await runAction('backup', inputs(dir, over()));
    expect(r.code).toBe(1);
    expect(errorsOf(r.stdout)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^::error::Invalid input "${input}": it would send the backup off the server unencrypted\\. .*encrypt-to.*allow-unencrypted-offsite: true`,
        ),
      ),
    ]);
    expect(filesIn(dir)).toEqual([]);
    expect(existsSync(join(root, 'refused-out'))).toBe(false);
    expect(existsSync(join(root, 'refused-copy'))).toBe(false);
    // Not even a dump started on the server.
    expect(spawnSync('pgrep', inContainerOf(db, 'pg_dump -U shop -Fc -d shop')).status).not.toBe(0);
    noSecret(r);
  });

  it('an ssh-ed25519 recipient is refused with what to use instead', async () => {
    const dir = ownedDir('ssh-recipient');
    const r = await runAction(
      'backup',
      inputs(dir, { download: join(root, 'ssh-out'), 'encrypt-to': 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMOa' }),
    );
    expect(r.code).toBe(1);
    expect(errorsOf(r.stdout)).toEqual([expect.stringContaining('Invalid input "encrypt-to": ssh-ed25519 recipients')]);
    expect(filesIn(dir)).toEqual([]);
  });
});
