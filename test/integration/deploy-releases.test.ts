/**
 * Release records (src/deploy/releases.ts) over the real sshd: folders written 0700/0600, records read back and
 * updated, `current` switched without a reader ever seeing it missing, pruning that spares protected releases,
 * and file names or ids that could leave the release folder refused.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { BelayError } from '../../src/core/errors.js';
import { newReleaseId, ReleaseStore, type ReleaseRecord } from '../../src/deploy/releases.js';
import type { Transport } from '../../src/transport/types.js';
import { appDirs } from '../harness/app-dirs.js';

const dirs = appDirs('belay-releases-');
let t: Transport;
beforeAll(async () => {
  t = await dirs.connect();
});
afterAll(() => dirs.cleanup());

let clock = Date.parse('2026-11-23T17:00:00Z');
/** A pending release a minute after the previous one. */
function record(over: Partial<ReleaseRecord> = {}): ReleaseRecord {
  clock += 60_000;
  const now = new Date(clock);
  return {
    id: newReleaseId(now),
    app: 'shop',
    createdAt: now.toISOString(),
    outcome: 'pending',
    images: { web: 'registry.example/shop@sha256:' + 'ab'.repeat(32) },
    services: ['web'],
    composeFiles: ['compose.yml'],
    composeHash: 'cd'.repeat(32),
    envHash: 'ef'.repeat(32),
    git: { sha: 'abc1234', ref: 'refs/heads/main' },
    run: { id: '42', url: 'https://github.com/acme/shop/actions/runs/42', actor: 'octocat' },
    migrations: { applied: ['0001_init.sql'] },
    ...over,
  };
}

const files = [
  { name: 'compose.yml', content: 'services:\n  web:\n    image: ${WEB_IMAGE}\n', mode: 0o644 },
  { name: '.env', content: 'DATABASE_URL=postgres://shop:s3cret@db/shop\n', mode: 0o600 },
  { name: 'images.override.yml', content: 'services:\n  web:\n    image: registry.example/shop@sha256:abab\n' },
];

const mode = (path: string) => statSync(path).mode & 0o777;

async function storeWith(name: string, count: number): Promise<{ store: ReleaseStore; appDir: string; ids: string[] }> {
  const appDir = dirs.make(name);
  const store = new ReleaseStore(t, appDir);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = record();
    await store.write(r, files.slice(0, 1));
    ids.push(r.id);
  }
  return { store, appDir, ids };
}

describe('records', () => {
  test('write lays out the folder 0700 with the files, the env 0600, and release.json last', async () => {
    const appDir = dirs.make('write');
    const store = new ReleaseStore(t, appDir);
    await store.ensure();
    expect(mode(join(appDir, '.belay'))).toBe(0o700);
    expect(mode(join(appDir, '.belay', 'releases'))).toBe(0o700);
    const r = record();
    await store.write(r, files);
    const dir = store.dir(r.id);
    expect(dir).toBe(`${appDir}/.belay/releases/${r.id}`);
    expect(readdirSync(dir).sort()).toEqual(['.env', 'compose.yml', 'images.override.yml', 'release.json']);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, '.env'))).toBe(0o600);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(files[1]!.content);
    // Group and other bits are dropped: nothing in a release folder is readable by others.
    expect(mode(join(dir, 'compose.yml'))).toBe(0o600);
    expect(mode(join(dir, 'images.override.yml'))).toBe(0o600);
    expect(mode(join(dir, 'release.json'))).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, 'release.json'), 'utf8'))).toEqual(r);
    expect(await store.read(r.id)).toEqual(r);
    expect(await store.read(newReleaseId(new Date()))).toBeUndefined();
  });

  test('write creates app-dir when missing, and refuses an id that exists', async () => {
    const appDir = join(dirs.make('fresh'), 'opt', 'shop');
    const store = new ReleaseStore(t, appDir);
    const r = record();
    await store.write(r, files);
    expect(await store.list()).toEqual([r]);
    await expect(store.write({ ...r, note: 'again' }, [])).rejects.toThrow(BelayError);
    expect(await store.read(r.id)).toEqual(r);
  });

  test('update changes outcome, finish time and note, and keeps everything else', async () => {
    const { store, ids } = await storeWith('update', 1);
    const before = (await store.read(ids[0]!))!;
    const after = await store.update(ids[0]!, {
      outcome: 'deployed',
      finishedAt: '2026-11-23T17:05:00.000Z',
      note: undefined,
    });
    expect(after).toEqual({ ...before, outcome: 'deployed', finishedAt: '2026-11-23T17:05:00.000Z' });
    expect(await store.read(ids[0]!)).toEqual(after);
    await expect(store.update(newReleaseId(new Date()), { outcome: 'failed' })).rejects.toThrow(/There is no release/);
  });

  test('list is oldest first and skips folders without a readable record; read of a broken one says so', async () => {
    const { store, appDir, ids } = await storeWith('list', 3);
    const releases = join(appDir, '.belay', 'releases');
    mkdirSync(join(releases, 'half-written'));
    mkdirSync(join(releases, 'garbage'));
    writeFileSync(join(releases, 'garbage', 'release.json'), '{"id": "garbage"');
    mkdirSync(join(releases, 'renamed'));
    writeFileSync(join(releases, 'renamed', 'release.json'), readFileSync(join(releases, ids[0]!, 'release.json')));
    expect((await store.list()).map((r) => r.id)).toEqual(ids);
    await expect(store.read('garbage')).rejects.toThrow(/is not a readable belay release record/);
    await expect(store.read('renamed')).rejects.toThrow(BelayError);
  });

  test('fields unknown to this version survive an update', async () => {
    const { store, appDir, ids } = await storeWith('unknown-fields', 1);
    const file = join(appDir, '.belay', 'releases', ids[0]!, 'release.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), futureField: [1, 2] }));
    await store.update(ids[0]!, { outcome: 'superseded' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ outcome: 'superseded', futureField: [1, 2] });
  });
});

describe('hostile names', () => {
  test.each(['../escape', 'a/b', '..', '.', '', 'x..y', 'release.json', 'new\nline', '/etc/passwd'])(
    'the file name %j is refused before anything is written',
    async (name) => {
      const appDir = dirs.make(`hostile-${Buffer.from(name).toString('hex') || 'empty'}`);
      const store = new ReleaseStore(t, appDir);
      const r = record();
      const err = await store.write(r, [files[0]!, { name, content: 'pwned' }]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BelayError);
      expect((err as Error).message).toMatch(/^Refusing to write .* into release \S+: /);
      expect(existsSync(join(appDir, '.belay'))).toBe(false);
      expect(existsSync(join(appDir, 'escape'))).toBe(false);
    },
  );

  test('the same name twice is refused', async () => {
    const store = new ReleaseStore(t, dirs.make('twice'));
    await expect(store.write(record(), [files[0]!, files[0]!])).rejects.toThrow(/given twice/);
  });

  test.each(['../../etc', 'a/b', '', '-rf', '.hidden', '$(id)'])('the release id %j is refused', async (id) => {
    const appDir = dirs.make(`bad-id-${Buffer.from(id).toString('hex') || 'empty'}`);
    const store = new ReleaseStore(t, appDir);
    await expect(store.write(record({ id }), [])).rejects.toThrow(/is not a release id/);
    await expect(store.read(id)).rejects.toThrow(/is not a release id/);
    await expect(store.setCurrent(id)).rejects.toThrow(/is not a release id/);
    expect(existsSync(join(appDir, '.belay'))).toBe(false);
  });
});

describe('current', () => {
  test('is undefined until set, then names the release through a relative symlink', async () => {
    const { store, appDir, ids } = await storeWith('current', 2);
    expect(await store.current()).toBeUndefined();
    await store.setCurrent(ids[0]!);
    expect(readlinkSync(join(appDir, '.belay', 'current'))).toBe(`releases/${ids[0]}`);
    expect(await store.current()).toBe(ids[0]);
    await store.setCurrent(ids[1]!);
    expect(await store.current()).toBe(ids[1]);
    // No temporary links are left behind.
    expect(readdirSync(join(appDir, '.belay')).sort()).toEqual(['current', 'releases']);
  });

  test('cannot point at a release that is not recorded; current stays as it was', async () => {
    const { store, ids } = await storeWith('current-missing', 1);
    await store.setCurrent(ids[0]!);
    const missing = newReleaseId(new Date());
    await expect(store.setCurrent(missing)).rejects.toThrow(
      new RegExp(`^Could not point current at release ${missing} on .*release\\.json does not exist`),
    );
    expect(await store.current()).toBe(ids[0]);
  });

  test('a pointer that does not name a release is an error with the fix', async () => {
    const { store, appDir } = await storeWith('current-odd', 0);
    await store.ensure();
    symlinkSync('/etc', join(appDir, '.belay', 'current'));
    await expect(store.current()).rejects.toThrow(/points to "\/etc", not to a release\. Point it at one: /);
  });

  test('switching is atomic: a reader looping on the server never finds current missing', async () => {
    const { store, appDir, ids } = await storeWith('atomic', 2);
    await store.setCurrent(ids[0]!);
    const stop = join(dirs.make('atomic-stop'), 'stop');
    const reader = await dirs.connect();
    const loop = `a=0; b=0; miss=0
while [ ! -e "$2" ]; do
  case "$(readlink -- "$1")" in *"$3") a=$((a+1)) ;; *"$4") b=$((b+1)) ;; *) miss=$((miss+1)) ;; esac
done
echo "$a $b $miss"`;
    const pointer = join(appDir, '.belay', 'current');
    const reading = reader.exec({ kind: 'argv', argv: ['sh', '-c', loop, 'reader', pointer, stop, ids[0]!, ids[1]!] });
    for (let i = 0; i < 40; i++) await store.setCurrent(ids[(i + 1) % 2]!);
    writeFileSync(stop, '');
    const [a, b, miss] = (await reading).stdout.trim().split(' ').map(Number);
    expect(miss).toBe(0);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
  });
});

describe('prune', () => {
  test('keeps the newest `keep`, never a protected id nor current, and returns what it removed', async () => {
    const { store, appDir, ids } = await storeWith('prune', 7);
    await store.setCurrent(ids[1]!);
    const removed = await store.prune(2, [ids[2]!]);
    expect(removed.map((r) => r.id)).toEqual([ids[0], ids[3], ids[4]]);
    const left = readdirSync(join(appDir, '.belay', 'releases')).sort();
    expect(left).toEqual([ids[1], ids[2], ids[5], ids[6]].sort());
    expect((await store.list()).map((r) => r.id)).toEqual([ids[1], ids[2], ids[5], ids[6]]);
    expect(await store.prune(2, [ids[2]!])).toEqual([]);
    expect(await store.current()).toBe(ids[1]);
  });

  test('keep 0 removes all but the protected and current', async () => {
    const { store, ids } = await storeWith('prune-zero', 3);
    await store.setCurrent(ids[2]!);
    expect((await store.prune(0, [ids[1]!])).map((r) => r.id)).toEqual([ids[0]]);
  });
});
