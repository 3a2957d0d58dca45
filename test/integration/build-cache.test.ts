/**
 * build-image's layer cache across runs on GitHub. GitHub's Actions cache service cannot be reached from here: it
 * is the one thing mocked, by a small fake on 127.0.0.1 (test/harness/actions-cache.ts) that speaks the service v2
 * protocol @actions/cache 6 uses (Twirp JSON, then a blob PUT and GET on the signed URLs). Everything else is real:
 * the action bundle, dockerd, buildx, @actions/cache with its tar and zstd.
 *
 * What this host cannot run, and why: its only builder is buildx's `docker` driver (dockerd 20.10, BuildKit 0.8),
 * which cannot export a layer cache at all (buildx: "Cache export is not supported for the docker driver"). A
 * `docker-container` builder needs the moby/buildkit image, which cannot be pulled here, and no Debian package
 * ships buildkitd to build one FROM scratch. So a build that really writes `--cache-to type=local` and a second
 * build that shows CACHED steps from the restored folder cannot run on this host. What is tested instead:
 *
 * 1. the action end to end on this builder, on GitHub (runtime token, results URL): belay says the docker driver
 *    cannot keep a cache and how to get one, builds, and never calls the cache service;
 * 2. the local-cache path below the builder, with the GitHub variables @actions/cache reads: the plan and its
 *    documented key, restore before the build, the `<dir>-new` folder buildx leaves swapped in and saved, a fresh
 *    runner restoring it byte for byte, a changed lockfile giving a new key that restores the older folder by
 *    prefix and saves its own, and a key another job saved first. The folder is written by a real
 *    `docker buildx build --output type=local,dest=<dir>-new` (where `--cache-to type=local,dest=<dir>-new` would
 *    write it): its contents stand in for cache blobs the docker driver cannot produce.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { jest } from '@jest/globals';
import {
  cacheKeyHash,
  planCache,
  provideCacheService,
  restoreLocalCache,
  saveLocalCache,
  type CachePlan,
} from '../../src/build/cache.js';
import { githubCache } from '../../src/github/cache.js';
import { MemoryReporter } from '../../src/report/memory.js';
import { startFakeCacheService, type FakeCacheService } from '../harness/actions-cache.js';
import { runAction } from '../harness/runner.js';
import { testHost } from '../harness/test-host.js';

jest.setTimeout(180_000);

const registry = testHost().registry;
const run = `c${Date.now().toString(36)}`;
const temps: string[] = [];
let fake: FakeCacheService;

const DOCKERFILE = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  'COPY package-lock.json /app/package-lock.json',
  'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox md5sum /app/package-lock.json > /app/installed"]',
  'CMD ["/bin/busybox", "cat", "/app/installed"]',
  '',
].join('\n');

function workspace(lockfile: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'belay-cache-test-'));
  temps.push(dir);
  writeFileSync(join(dir, 'busybox'), readFileSync('/bin/busybox'), { mode: 0o755 });
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
  writeFileSync(join(dir, 'package-lock.json'), lockfile);
  return dir;
}

/** Every file under a folder with its sha256: equal trees, equal maps. */
function tree(dir: string, root = dir, out: Record<string, string> = {}): Record<string, string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) tree(path, root, out);
    else out[relative(root, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return out;
}

beforeAll(async () => {
  fake = await startFakeCacheService();
});
afterAll(async () => {
  await fake?.stop();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe('on this host’s builder (docker driver), with the GitHub cache service there', () => {
  it('says the docker driver cannot keep a layer cache and how to get one, builds, and leaves the service alone', async () => {
    const dir = workspace('{"lockfileVersion": 3}\n');
    const image = `${registry}/belay-test/${run}-cache`;
    for (const cache of ['auto', 'local']) {
      const before = fake.requests.length;
      const r = await runAction(
        'build-image',
        { image, tags: `cache-${cache}`, network: 'host', push: 'false', cache },
        { cwd: dir, env: { ...fake.env, RUNNER_OS: 'Linux' } },
      );
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/builder \S+ \(buildx [\d.]+\S*, docker driver, BuildKit /);
      expect(r.stdout).toContain(
        'cache: the buildx builder uses the docker driver, which cannot export a layer cache; set one up with ' +
          'docker/setup-buildx-action (docker-container driver)',
      );
      expect(r.stdout).not.toMatch(/--cache-(from|to)/);
      expect(JSON.parse(r.outputs.metadata!)).toMatchObject({ cache: 'none', builder: 'buildx (docker driver)' });
      expect(fake.requests.slice(before)).toEqual([]);
      spawnSync('docker', ['image', 'rm', '--force', `${image}:cache-${cache}`], { stdio: 'ignore' });
    }
  });
});

describe('the local cache folder through @actions/cache (a docker-container builder with buildx < 0.21)', () => {
  const saved: Record<string, string | undefined> = {};
  let runnerTemp: string;
  let ws: string;
  let stdout: string[];

  beforeAll(() => {
    runnerTemp = mkdtempSync(join(tmpdir(), 'belay-cache-runner-'));
    temps.push(runnerTemp);
    ws = workspace('{"lockfileVersion": 3, "packages": {"left-pad": "1.3.0"}}\n');
    // What a runner sets for a job: the service (v2), its token, the temp folder (the same path on every job of a
    // hosted runner, which @actions/cache's version hash includes), the workspace.
    const env = { ...fake.env, RUNNER_TEMP: runnerTemp, GITHUB_WORKSPACE: ws, RUNNER_OS: 'Linux' };
    for (const [name, value] of Object.entries(env)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    provideCacheService(async () => githubCache);
  });
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  // @actions/core writes to stdout as on the runner: kept, to read what @actions/cache said.
  beforeEach(() => {
    stdout = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
  });
  afterEach(() => jest.restoreAllMocks());

  const plan = (): Extract<CachePlan, { kind: 'local' }> => {
    const p = planCache({
      mode: 'auto',
      buildx: { driver: 'docker-container', version: '0.13.1', buildkit: '0.13.2' },
      env: process.env,
      service: true,
      keyHash: cacheKeyHash(ws, join(ws, 'Dockerfile')),
      scope: 'belay-test-app',
    });
    if (p.kind !== 'local') throw new Error(`expected a local cache plan, got ${p.kind}`);
    return p;
  };
  /** A new job on a fresh runner: same RUNNER_TEMP path, nothing in it. */
  const freshRunner = () => {
    for (const name of readdirSync(runnerTemp)) rmSync(join(runnerTemp, name), { recursive: true, force: true });
  };
  /** The build: buildx writes the new folder beside the restored one, where --cache-to would. */
  const build = (p: { dir: string }) => {
    const r = spawnSync(
      'docker',
      ['buildx', 'build', '--network', 'host', '--output', `type=local,dest=${p.dir}-new`, ws],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toMatch(/exporting to client/);
    expect(r.status).toBe(0);
  };
  const creates = () => fake.requests.filter((r) => r === 'POST CreateCacheEntry').length;
  let first: Record<string, string>;
  let firstKey: string;

  it('first job: a miss, then the folder saved under belay-build-<os>-<scope>-<hash of Dockerfile and lockfiles>', async () => {
    const p = plan();
    firstKey = p.key;
    expect(p.dir).toBe(join(runnerTemp, 'belay-build-cache'));
    expect(p.key).toMatch(/^belay-build-Linux-belay-test-app-[0-9a-f]{16}$/);
    expect(p.restoreKeys).toEqual(['belay-build-Linux-belay-test-app-']);
    const r = new MemoryReporter();
    const restored = await restoreLocalCache(p, r);
    expect(restored?.matched).toBeUndefined();
    build(p);
    await saveLocalCache(restored!, p, r);
    expect(r.lines.map((l) => `${l.level}: ${l.message}`)).toEqual([
      `info: cache: nothing saved yet for ${p.key}`,
      `info: cache: saved ${p.key}`,
    ]);
    expect(existsSync(`${p.dir}-new`)).toBe(false);
    first = tree(p.dir);
    expect(first).toHaveProperty(['bin/busybox']);
    expect(first).toHaveProperty(['app/installed']);
    expect(fake.entries.map((e) => [e.key, e.committed])).toEqual([[p.key, true]]);
    expect(fake.entries[0]!.size).toBeGreaterThan(100_000); // busybox, compressed
    expect(fake.requests).toEqual(
      expect.arrayContaining(['POST GetCacheEntryDownloadURL', 'POST CreateCacheEntry', 'PUT blob 1']),
    );
    expect(fake.requests.at(-1)).toBe('POST FinalizeCacheEntryUpload');
  });

  it('a fresh runner, same Dockerfile and lockfile: restored byte for byte, and not saved again', async () => {
    freshRunner();
    const p = plan();
    expect(p.key).toBe(firstKey);
    const r = new MemoryReporter();
    const restored = await restoreLocalCache(p, r);
    expect(restored?.matched).toBe(p.key);
    expect(stdout.join('')).toContain(`Cache hit for: ${p.key}`);
    expect(stdout.join('')).toContain('Cache restored successfully');
    expect(tree(p.dir)).toEqual(first);
    const before = creates();
    build(p);
    await saveLocalCache(restored!, p, r);
    expect(r.lines.map((l) => l.message)).toEqual([`cache: restored ${p.key}`]);
    expect(creates()).toBe(before);
    expect(tree(p.dir)).toEqual(first); // the new folder replaced the restored one
  });

  it('a changed lockfile: a new key, the older folder restored by prefix, then saved under the new key', async () => {
    writeFileSync(join(ws, 'package-lock.json'), '{"lockfileVersion": 3, "packages": {"left-pad": "1.3.1"}}\n');
    freshRunner();
    const p = plan();
    expect(p.key).not.toBe(firstKey);
    expect(p.key.startsWith(p.restoreKeys[0]!)).toBe(true);
    const r = new MemoryReporter();
    const restored = await restoreLocalCache(p, r);
    expect(restored?.matched).toBe(firstKey);
    expect(stdout.join('')).toContain(`Cache hit for restore-key: ${firstKey}`);
    expect(tree(p.dir)).toEqual(first);
    build(p);
    await saveLocalCache(restored!, p, r);
    expect(r.lines.map((l) => l.message)).toEqual([`cache: restored ${firstKey}`, `cache: saved ${p.key}`]);
    expect(tree(p.dir)['app/installed']).not.toBe(first['app/installed']);
    expect(fake.entries.map((e) => e.key)).toEqual([firstKey, p.key]);
  });

  it('a key another job saved first: a warning that it was not saved, never "saved"', async () => {
    freshRunner();
    const p = plan();
    const r = new MemoryReporter();
    build(p);
    await saveLocalCache({ service: githubCache, matched: undefined }, p, r);
    expect(r.lines.map((l) => `${l.level}: ${l.message}`)).toEqual([
      'warn: cache: could not save the layer cache (the cache service did not keep it, see above); the image is fine',
    ]);
    expect(stdout.join('')).toContain(
      `Unable to reserve cache with key ${p.key}, another job may be creating this cache`,
    );
    expect(fake.entries).toHaveLength(2);
  });
});
