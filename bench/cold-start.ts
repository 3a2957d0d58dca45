/**
 * Cold start of the health-check action: `node dist/health-check/index.js` against a healthy local URL, the way
 * the runner starts it, next to `curl` on the same URL in the same run (the baseline: the least a check can cost).
 * Prints both medians, their ratio and each bundle's size. Target: the action under 300 ms.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
// The server runs in its own process: spawnSync below blocks this one's event loop.
const child = spawn(
  process.execPath,
  [
    '-e',
    `require('http').createServer((q,s)=>s.end('{"status":"ok"}')).listen(0,'127.0.0.1',function(){console.log(this.address().port)})`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const port = await new Promise<string>((r) => child.stdout.once('data', (d: Buffer) => r(d.toString().trim())));
const url = `http://127.0.0.1:${port}/health`;

const temp = mkdtempSync(join(tmpdir(), 'belay-bench-'));
const files = ['output', 'summary', 'state'].map((f) => join(temp, f));
for (const f of files) writeFileSync(f, '');
const actionEnv = {
  PATH: process.env.PATH,
  GITHUB_ACTIONS: 'true',
  GITHUB_OUTPUT: files[0],
  GITHUB_STEP_SUMMARY: files[1],
  GITHUB_STATE: files[2],
  RUNNER_TEMP: temp,
  GITHUB_WORKSPACE: temp,
  INPUT_URL: url,
};

function time(command: string, args: string[], env?: Record<string, string | undefined>): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { env: env as NodeJS.ProcessEnv, stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed with exit code ${r.status}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  // One warm-up each: the page cache, not belay, is what a first run measures.
  time('curl', ['-fsS', '-o', '/dev/null', url]);
  time(process.execPath, ['dist/health-check/index.js'], actionEnv);
  const curl: number[] = [];
  const action: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    curl.push(time('curl', ['-fsS', '-o', '/dev/null', url]));
    action.push(time(process.execPath, ['dist/health-check/index.js'], actionEnv));
  }
  const a = median(action);
  const c = median(curl);
  console.log(`cold start, median of ${RUNS} runs against ${url}`);
  console.log(`  curl                          ${c.toFixed(1)} ms`);
  console.log(`  node dist/health-check        ${a.toFixed(1)} ms   (${(a / c).toFixed(1)}x curl)`);
  console.log(`  target < 300 ms: ${a < 300 ? 'met' : 'NOT MET'}`);
  console.log('bundle sizes (entry, and with the chunks loaded on demand)');
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
  for (const dir of readdirSync('dist')) {
    const entry = statSync(join('dist', dir, 'index.js')).size;
    const chunks = readdirSync(join('dist', dir)).filter((f) => f.endsWith('.js') && f !== 'index.js');
    const all = chunks.reduce((sum, f) => sum + statSync(join('dist', dir, f)).size, entry);
    console.log(`  dist/${dir}/index.js`.padEnd(32) + `${kib(entry).padStart(9)}   ${kib(all).padStart(9)} in all`);
  }
} finally {
  child.kill();
  rmSync(temp, { recursive: true, force: true });
}
