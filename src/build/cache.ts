/**
 * The layer cache across runs. On GitHub: buildx's `type=gha` cache when the builder can export one and speaks the
 * runner's cache service, otherwise a local cache folder (`type=local`) restored and saved through the Actions
 * cache. Elsewhere there is no cache service: the builder's own cache is used, with a notice.
 *
 * The Actions cache is reached through `CacheService`, which the action entry provides (src/github/cache.ts wraps
 * @actions/cache): capabilities never import @actions/*.
 */
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Reporter } from '../report/reporter.js';

export interface CacheService {
  /** Restores `paths`; returns the key that matched (exact or by prefix), or undefined on a miss. */
  restore(paths: string[], key: string, restoreKeys: string[]): Promise<string | undefined>;
  /** Saves `paths` under `key`; throws, saying why, when the service did not keep them. */
  save(paths: string[], key: string): Promise<void>;
}

let provider: (() => Promise<CacheService>) | undefined;

/** Called by an action entry before it runs: how to reach the Actions cache (loaded only when a build needs it). */
export function provideCacheService(load: () => Promise<CacheService>): void {
  provider = load;
}

export const cacheServiceProvider = () => provider;

export type CacheMode = 'auto' | 'gha' | 'local' | 'none';
type Env = Readonly<Record<string, string | undefined>>;

export type CachePlan =
  | { readonly kind: 'none'; readonly notice?: string }
  | { readonly kind: 'gha'; readonly scope: string }
  | { readonly kind: 'local'; readonly dir: string; readonly key: string; readonly restoreKeys: string[] };

export interface CacheFacts {
  readonly mode: CacheMode;
  /** undefined: classic docker build. */
  readonly buildx?: { readonly driver: string; readonly version?: string; readonly buildkit?: string };
  readonly env: Env;
  /** An Actions cache service was provided (the action face). */
  readonly service: boolean;
  /** Keys for the local cache: hash of the Dockerfile and lockfiles (or how to compute it, when a plan needs it). */
  readonly keyHash: string | (() => string);
  readonly scope: string;
}

/** `0.13.1+ds1` → [0, 13, 1]; compares to a minimum. */
export function atLeast(version: string | undefined, minimum: string): boolean {
  if (!version) return false;
  const parse = (v: string) => (/(\d+)\.(\d+)(?:\.(\d+))?/.exec(v) ?? []).slice(1, 4).map((n) => Number(n ?? 0));
  const [a, b] = [parse(version), parse(minimum)];
  if (a.length === 0) return false;
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/** Which cache this build uses; a plan of kind none carries the notice that says why. */
export function planCache(f: CacheFacts): CachePlan {
  if (f.mode === 'none') return { kind: 'none' };
  if (!f.env.ACTIONS_RUNTIME_TOKEN) {
    return {
      kind: 'none',
      notice: 'no cache service outside GitHub Actions: layers come from the builder’s own cache on this machine',
    };
  }
  if (!f.buildx) {
    return {
      kind: 'none',
      notice: 'classic docker build: it cannot export a layer cache, only the daemon’s own cache is used',
    };
  }
  if (f.buildx.driver === 'docker') {
    return {
      kind: 'none',
      notice:
        'the buildx builder uses the docker driver, which cannot export a layer cache; set one up with ' +
        'docker/setup-buildx-action (docker-container driver) to keep layers between runs',
    };
  }
  // The runner's cache service v2 needs buildx 0.21 and BuildKit 0.20; v1 (ACTIONS_CACHE_URL) any gha-capable one.
  const v2 = f.env.ACTIONS_CACHE_SERVICE_V2 === 'true' || !f.env.ACTIONS_CACHE_URL;
  const ghaWorks =
    !v2 || (atLeast(f.buildx.version, '0.21.0') && (!f.buildx.buildkit || atLeast(f.buildx.buildkit, '0.20.0')));
  if (ghaWorks && f.mode !== 'local') return { kind: 'gha', scope: f.scope };
  if (!f.service) return { kind: 'none', notice: 'no Actions cache service in this face: no layer cache' };
  const dir = join(f.env.RUNNER_TEMP ?? '/tmp', 'belay-build-cache');
  const prefix = `belay-build-${f.env.RUNNER_OS ?? 'os'}-${f.scope}-`;
  const keyHash = typeof f.keyHash === 'function' ? f.keyHash() : f.keyHash;
  return { kind: 'local', dir, key: prefix + keyHash, restoreKeys: [prefix] };
}

/** Lockfiles at the root of the context that change what a build installs. */
const LOCKFILES = [
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lock',
  'bun.lockb',
  'poetry.lock',
  'Pipfile.lock',
  'uv.lock',
  'requirements.txt',
  'Gemfile.lock',
  'go.sum',
  'Cargo.lock',
  'composer.lock',
  'mix.lock',
];

/**
 * sha256 over the Dockerfile and the lockfiles found in the context, each named, first 16 hex digits. node:crypto
 * is loaded here, on first use (a dozen of Node's modules): a build without a local cache never needs it.
 */
export function cacheKeyHash(context: string, dockerfile: string): string {
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  const hash = createHash('sha256');
  for (const [name, path] of [['Dockerfile', dockerfile], ...LOCKFILES.map((l) => [l, join(context, l)])]) {
    if (!existsSync(path!)) continue;
    hash.update(`${name}\0`).update(readFileSync(path!)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** buildx flags for a plan; the local cache writes a new folder that replaces the old one after the build. */
export function cacheFlags(plan: CachePlan): string[] {
  switch (plan.kind) {
    case 'none':
      return [];
    case 'gha':
      return ['--cache-from', `type=gha,scope=${plan.scope}`, '--cache-to', `type=gha,mode=max,scope=${plan.scope}`];
    case 'local':
      return ['--cache-from', `type=local,src=${plan.dir}`, '--cache-to', `type=local,dest=${plan.dir}-new,mode=max`];
  }
}

type LocalPlan = Extract<CachePlan, { kind: 'local' }>;

/** Before the build: the saved folder of this key (or of an older one, by prefix) back in place. */
export async function restoreLocalCache(
  plan: LocalPlan,
  reporter: Reporter,
): Promise<{ service: CacheService; matched: string | undefined } | undefined> {
  const load = provider;
  if (!load) return undefined;
  try {
    const service = await load();
    const matched = await service.restore([plan.dir], plan.key, plan.restoreKeys);
    reporter.info(matched ? `cache: restored ${matched}` : `cache: nothing saved yet for ${plan.key}`);
    return { service, matched };
  } catch (err) {
    reporter.warn(`cache: could not restore the layer cache (${(err as Error).message}); building without it`);
    return undefined;
  }
}

/**
 * After a good build: buildx wrote a fresh cache beside the old one (`<dir>-new`), which replaces it, and is saved
 * unless this very key was restored (a key is never overwritten: the same Dockerfile and lockfiles, the same key).
 */
export async function saveLocalCache(
  restored: { service: CacheService; matched: string | undefined },
  plan: LocalPlan,
  reporter: Reporter,
): Promise<void> {
  const fresh = `${plan.dir}-new`;
  if (existsSync(fresh)) {
    rmSync(plan.dir, { recursive: true, force: true });
    renameSync(fresh, plan.dir);
  }
  if (restored.matched === plan.key) return;
  try {
    await restored.service.save([plan.dir], plan.key);
    reporter.info(`cache: saved ${plan.key}`);
  } catch (err) {
    reporter.warn(`cache: could not save the layer cache (${(err as Error).message}); the image is fine`);
  }
}
