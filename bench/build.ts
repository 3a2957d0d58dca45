/**
 * A no-change rebuild and push, printed, never asserted: `belay build` (the CLI bundle, as a user runs it) next to
 * plain `docker build` + `docker push` of the same context, in the same run, against the test host's dockerd and
 * registry. Both are warmed up once (the first push uploads every layer); then rounds alternate which goes first,
 * and each round's times, the medians and the median of the per-round ratios are printed. Target: belay ≤ 1.1×.
 * The difference is a fixed cost per run (Node starting, the bundle and the configuration loading, reading git,
 * asking the registry for the digest), printed too: on a no-change rebuild of a tiny context it is a large share,
 * on a real one a small one.
 *
 * The context is a small git repository (busybox-static, 8 MiB of files in a few layers, a RUN step), so belay
 * reads the git context as it would in a project; both push the one tag `bench`.
 *
 * Run: npx tsx bench/build.ts   (BENCH_ROUNDS=9 to change the number of rounds; needs `scripts/test-host up`)
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testHost } from '../test/harness/test-host.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const registry = testHost().registry;
const id = randomBytes(3).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'belay-bench-build-'));
const cli = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../dist/cli/index.js');
const belayImage = `${registry}/belay-bench/${id}-belay`;
const plainImage = `${registry}/belay-bench/${id}-plain`;

function sh(command: string, args: string[]): { ms: number; stdout: string } {
  const start = performance.now();
  const r = spawnSync(command, args, { cwd: dir, encoding: 'utf8' });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { ms, stdout: r.stdout };
}

function belay(): { ms: number; digest: string } {
  const r = sh(process.execPath, [
    cli,
    'build',
    '--image',
    belayImage,
    '--tags',
    'bench',
    '--network',
    'host',
    '--json',
  ]);
  const outputs = JSON.parse(r.stdout.trim().split('\n').pop()!) as { digest: string };
  return { ms: r.ms, digest: outputs.digest };
}

function plain(): { ms: number } {
  const build = sh('docker', ['build', '--network', 'host', '-t', `${plainImage}:bench`, '.']);
  const push = sh('docker', ['push', `${plainImage}:bench`]);
  return { ms: build.ms + push.ms };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(0).padStart(5)} ms`;

try {
  writeFileSync(join(dir, 'busybox'), readFileSync('/bin/busybox'), { mode: 0o755 });
  for (const part of ['a', 'b', 'c', 'd']) {
    mkdirSync(join(dir, part));
    for (let i = 0; i < 8; i++) writeFileSync(join(dir, part, `f${i}.bin`), randomBytes(256 * 1024));
  }
  writeFileSync(
    join(dir, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'COPY a /app/a',
      'COPY b /app/b',
      'COPY c /app/c',
      'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox du -s /app > /app/size"]',
      'COPY d /app/d',
      'CMD ["/bin/busybox", "cat", "/app/size"]',
      '',
    ].join('\n'),
  );
  const git = (...args: string[]) => sh('git', ['-c', 'user.email=b@example.com', '-c', 'user.name=bench', ...args]);
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'bench');

  console.log(`no-change rebuild + push of an 8 MiB context (5 layers), ${ROUNDS} rounds, order alternating`);
  const first = belay();
  plain();
  const belayRuns: number[] = [];
  const plainRuns: number[] = [];
  const digests = new Set([first.digest]);
  for (let round = 0; round < ROUNDS; round++) {
    let b: { ms: number; digest: string };
    let p: { ms: number };
    if (round % 2 === 0) {
      b = belay();
      p = plain();
    } else {
      p = plain();
      b = belay();
    }
    belayRuns.push(b.ms);
    plainRuns.push(p.ms);
    digests.add(b.digest);
    console.log(
      `  round ${round + 1}: belay ${ms(b.ms)}   docker build + push ${ms(p.ms)}   ${(b.ms / p.ms).toFixed(2)}×`,
    );
  }
  const ratio = median(belayRuns.map((b, i) => b / plainRuns[i]!));
  console.log(`docker build + docker push (baseline)  median ${ms(median(plainRuns))}`);
  console.log(`belay build (CLI bundle)                median ${ms(median(belayRuns))}`);
  console.log(`ratio (median of per-round ratios): ${ratio.toFixed(2)}×  (target ≤ 1.10)`);
  // Where the difference goes: a fixed cost per run, much of it Node itself starting (measured apart: what belay
  // adds on top of it is `belay --version`, the CLI bundle's entry, minus Node's own start).
  const node = median(Array.from({ length: 5 }, () => sh(process.execPath, ['-e', '']).ms));
  const start = median(Array.from({ length: 5 }, () => sh(process.execPath, [cli, '--version']).ms));
  console.log(
    `belay's fixed cost: +${(median(belayRuns) - median(plainRuns)).toFixed(0)} ms per build; Node's own start is ${node.toFixed(0)} ms, ` +
      `the CLI bundle's entry adds ${(start - node).toFixed(0)} ms to it (\`belay --version\`)`,
  );
  console.log(
    digests.size === 1
      ? `every no-change rebuild pushed the same digest: ${first.digest}`
      : `the digest changed between no-change rebuilds: ${[...digests].join(', ')}`,
  );
} finally {
  spawnSync('docker', ['image', 'rm', '--force', `${belayImage}:bench`, `${plainImage}:bench`], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
