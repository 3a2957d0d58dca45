/**
 * The health gate against real HTTP(S) servers on 127.0.0.1 (test/harness/http-app.ts). Timings are small so the
 * file stays well under 20 s; bounds on elapsed time are generous on purpose.
 */
import { checkHealth, describeFailure, type HealthOptions, type Tunnel } from '../../src/health/check.js';
import { parseBodyMatcher, parseExpectJson, parseStatusMatcher } from '../../src/health/matchers.js';
import { MemoryReporter } from '../../src/report/memory.js';
import {
  closedPort,
  selfSignedCert,
  sequence,
  startApp,
  startTcpProxy,
  unhealthyFor,
  type TestApp,
  type TcpProxy,
} from '../harness/http-app.js';

const apps: TestApp[] = [];
const proxies: TcpProxy[] = [];
afterEach(async () => {
  await Promise.all([...apps.splice(0), ...proxies.splice(0)].map((s) => s.close()));
});

async function app(...args: Parameters<typeof startApp>): Promise<TestApp> {
  const started = await startApp(...args);
  apps.push(started);
  return started;
}

function options(url: string, overrides: Partial<HealthOptions> = {}): HealthOptions {
  return {
    url,
    expectStatus: parseStatusMatcher(''),
    expectStatusText: '2xx',
    timeoutMs: 2000,
    intervalMs: 100,
    requestTimeoutMs: 500,
    healthyThreshold: 1,
    headers: {},
    ...overrides,
  };
}

function infoLines(reporter: MemoryReporter): string[] {
  return reporter.lines.filter((l) => l.level === 'info').map((l) => l.message);
}

describe('checkHealth over http', () => {
  it('is healthy at once when the app answers 200', async () => {
    const a = await app();
    const reporter = new MemoryReporter();
    const result = await checkHealth(options(`${a.url}/health`), { reporter });
    expect(result).toMatchObject({ healthy: true, attempts: 1, lastStatus: 200 });
    expect(result.history[0]).toMatchObject({
      n: 1,
      ok: true,
      status: 200,
      bodyExcerpt: '{"status":"ok","db":{"up":true}}',
    });
    expect(infoLines(reporter)).toEqual(['attempt 1: healthy (200)']);
    expect(a.hits).toHaveLength(1);
    expect(a.hits[0]).toMatchObject({ method: 'GET', path: '/health' });
  });

  it('waits through a boot that fails for a while, then is healthy within the timeout', async () => {
    const failures = 5;
    const a = await app({ routes: { '/health': unhealthyFor(failures) } });
    const reporter = new MemoryReporter();
    const result = await checkHealth(options(`${a.url}/health`, { timeoutMs: 3000 }), { reporter });
    expect(result.healthy).toBe(true);
    expect(result.attempts).toBeGreaterThan(failures);
    expect(result.attempts).toBe(failures + 1);
    expect(result.history.slice(0, failures).every((h) => !h.ok && h.status === 503)).toBe(true);
    const lines = infoLines(reporter);
    expect(lines).toHaveLength(result.attempts);
    expect(lines[0]).toBe('attempt 1: 503 Service Unavailable — body "starting"');
    expect(lines[failures]).toBe(`attempt ${failures + 1}: healthy (200)`);
  });

  it('gives up after the timeout, not much later, and describes the last answers', async () => {
    const a = await app();
    a.setHealth(503, 'starting: waiting for the database');
    const reporter = new MemoryReporter();
    const opts = options(`${a.url}/health`, { timeoutMs: 1000, intervalMs: 200, requestTimeoutMs: 500 });
    const result = await checkHealth(opts, { reporter });
    expect(result.healthy).toBe(false);
    expect(result.lastStatus).toBe(503);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(opts.timeoutMs);
    expect(result.elapsedMs).toBeLessThan(opts.timeoutMs + opts.intervalMs + opts.requestTimeoutMs + 1000);
    // Attempts at 0, 200, ..., 1000: about six, each one logged once.
    expect(result.attempts).toBeGreaterThanOrEqual(4);
    expect(result.attempts).toBeLessThanOrEqual(7);
    expect(infoLines(reporter)).toHaveLength(result.attempts);
    const text = describeFailure(result, opts);
    const [headline, ...rest] = text.split('\n');
    expect(headline).toBe(
      `Not healthy after 1s (${result.attempts} attempts): last status 503 (expected 2xx), body "starting: waiting for the database"`,
    );
    expect(rest).toHaveLength(3);
    expect(rest[2]).toContain(`attempt ${result.attempts} at `);
  });

  it('spaces attempts start to start, so a slow answer does not stretch the interval', async () => {
    const a = await app({ routes: { '/health': { status: 503, body: 'slow', delayMs: 150 } } });
    const result = await checkHealth(options(`${a.url}/health`, { timeoutMs: 1500, intervalMs: 300 }), {
      reporter: new MemoryReporter(),
    });
    const starts = result.history.map((h) => h.atMs);
    // The last gap is cut short by the deadline; the others are one interval each. Sleeping a full interval after
    // each 150 ms answer would make them 450 ms.
    const gaps = starts.slice(1, -1).map((t, i) => t - starts[i]!);
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(290);
      expect(gap).toBeLessThan(400);
    }
  });

  it('never sleeps past the deadline: with a long interval the last attempt is at the deadline', async () => {
    const a = await app();
    a.setHealth(503, 'starting');
    const result = await checkHealth(options(`${a.url}/health`, { timeoutMs: 600, intervalMs: 5000 }), {
      reporter: new MemoryReporter(),
    });
    expect(result.attempts).toBe(2);
    expect(result.history[1]!.atMs).toBeGreaterThanOrEqual(590);
    expect(result.elapsedMs).toBeLessThan(1500);
  });

  it('a body that does not contain the expected text is unhealthy, with that reason', async () => {
    const a = await app();
    const reporter = new MemoryReporter();
    const opts = options(`${a.url}/health`, { timeoutMs: 300, expectBody: parseBodyMatcher('"status":"ready"') });
    const result = await checkHealth(opts, { reporter });
    expect(result.healthy).toBe(false);
    expect(result.history.at(-1)).toMatchObject({
      status: 200,
      ok: false,
      reason: 'body does not contain "\\"status\\":\\"ready\\""',
    });
    expect(infoLines(reporter)[0]).toBe(
      'attempt 1: 200 OK — body does not contain "\\"status\\":\\"ready\\"" — body "{\\"status\\":\\"ok\\",\\"db\\":{\\"up\\":true}}"',
    );
    expect(describeFailure(result, opts)).toContain('last status 200, body does not contain');
  });

  it('a body matching a regex is healthy; one that does not match names the pattern', async () => {
    const a = await app();
    const healthy = await checkHealth(options(`${a.url}/health`, { expectBody: parseBodyMatcher('/"up":\\s*true/') }), {
      reporter: new MemoryReporter(),
    });
    expect(healthy.healthy).toBe(true);
    const unhealthy = await checkHealth(
      options(`${a.url}/health`, { timeoutMs: 200, expectBody: parseBodyMatcher('/^ready$/m') }),
      {
        reporter: new MemoryReporter(),
      },
    );
    expect(unhealthy.history.at(-1)!.reason).toBe('body does not match /^ready$/m');
  });

  it('JSON: a matching subset is healthy, a mismatch names the path', async () => {
    const a = await app();
    const ok = await checkHealth(options(`${a.url}/health`, { expectJson: parseExpectJson('{"db":{"up":true}}') }), {
      reporter: new MemoryReporter(),
    });
    expect(ok.healthy).toBe(true);

    a.setHealth(200, '{"status":"ok","db":{"up":false}}');
    const opts = options(`${a.url}/health`, {
      timeoutMs: 300,
      expectJson: parseExpectJson('{"status":"ok","db":{"up":true}}'),
    });
    const bad = await checkHealth(opts, { reporter: new MemoryReporter() });
    expect(bad.healthy).toBe(false);
    expect(bad.history.at(-1)!.reason).toBe('JSON does not match at $.db.up: expected true, got false');
    expect(describeFailure(bad, opts)).toContain('$.db.up');

    a.setHealth(200, '<html>maintenance</html>');
    const notJson = await checkHealth(opts, { reporter: new MemoryReporter() });
    expect(notJson.history.at(-1)!.reason).toBe('body is not JSON');
  });

  it('a healthy threshold of 3 needs three successes in a row; a failure starts the count again', async () => {
    // ok, fail, ok, ok, fail, ok, ok, ok → healthy only at attempt 8.
    const a = await app({ routes: { '/health': sequence(200, 503, 200, 200, 503, 200, 200, 200, 503) } });
    const reporter = new MemoryReporter();
    const result = await checkHealth(options(`${a.url}/health`, { healthyThreshold: 3, timeoutMs: 3000 }), {
      reporter,
    });
    expect(result.healthy).toBe(true);
    expect(result.attempts).toBe(8);
    expect(result.history.map((h) => h.ok)).toEqual([true, false, true, true, false, true, true, true]);
    expect(infoLines(reporter).slice(-3)).toEqual([
      'attempt 6: healthy (200), 1 of 3 in a row',
      'attempt 7: healthy (200), 2 of 3 in a row',
      'attempt 8: healthy (200), 3 of 3 in a row',
    ]);
  });

  it('a flapping app never reaching the threshold is unhealthy', async () => {
    const a = await app({
      routes: { '/health': (hit) => (hit.n % 2 ? { status: 200, body: 'ok' } : { status: 503, body: 'flap' }) },
    });
    const opts = options(`${a.url}/health`, { healthyThreshold: 2, timeoutMs: 800 });
    const result = await checkHealth(opts, { reporter: new MemoryReporter() });
    expect(result.healthy).toBe(false);
    expect(result.history.filter((h) => h.ok).length).toBeGreaterThanOrEqual(2);
  });

  it('an app that never answers fails each attempt with "timed out"', async () => {
    const a = await app({ routes: { '/health': { status: 200, hang: true } } });
    const opts = options(`${a.url}/health`, { timeoutMs: 1000, intervalMs: 100, requestTimeoutMs: 300 });
    const reporter = new MemoryReporter();
    const result = await checkHealth(opts, { reporter });
    expect(result.healthy).toBe(false);
    expect(result.lastStatus).toBeUndefined();
    expect(result.history.every((h) => !h.ok && h.error === 'timed out after 300ms')).toBe(true);
    // One attempt every 300 ms (the request timeout exceeds the interval): 0, 300, 600, 900, maybe 1200.
    expect(result.attempts).toBeGreaterThanOrEqual(3);
    expect(result.attempts).toBeLessThanOrEqual(5);
    expect(result.elapsedMs).toBeLessThan(opts.timeoutMs + opts.intervalMs + opts.requestTimeoutMs + 1000);
    expect(infoLines(reporter)[0]).toBe('attempt 1: timed out after 300ms');
    expect(describeFailure(result, opts)).toContain('last attempt failed: timed out after 300ms');
  });

  it('a body that keeps streaming is read up to 64 KiB and judged on that', async () => {
    const body = `{"status":"ok"}${' '.repeat(70 * 1024)}`;
    const a = await app({ routes: { '/health': { status: 200, body, bodyThenHang: true } } });
    const result = await checkHealth(options(`${a.url}/health`, { expectBody: 'ok', requestTimeoutMs: 1000 }), {
      reporter: new MemoryReporter(),
    });
    expect(result.healthy).toBe(true);
    expect(result.history[0]!.bodyExcerpt).toBe('{"status":"ok"}');
  });

  it('connection refused is a failure that says so', async () => {
    const port = await closedPort();
    const opts = options(`http://127.0.0.1:${port}/health`, { timeoutMs: 300 });
    const result = await checkHealth(opts, { reporter: new MemoryReporter() });
    expect(result.healthy).toBe(false);
    expect(result.history[0]!.error).toBe(`connection refused by 127.0.0.1:${port}: nothing is listening there`);
    expect(describeFailure(result, opts)).toMatch(/last attempt failed: connection refused/);
  });

  it('sends the configured headers and never logs their values', async () => {
    const token = 'Bearer hc-s3cr3t-9f8e7d';
    const a = await app({
      routes: {
        '/health': (hit) =>
          hit.headers.authorization === token && hit.headers['x-probe'] === 'belay'
            ? { status: 200, body: 'ok' }
            : { status: 401, body: 'who are you' },
      },
    });
    const reporter = new MemoryReporter();
    const result = await checkHealth(
      options(`${a.url}/health?full=1`, { headers: { Authorization: token, 'X-Probe': 'belay' } }),
      { reporter },
    );
    expect(result.healthy).toBe(true);
    expect(a.hits[0]!.headers.authorization).toBe(token);
    expect(a.hits[0]!.headers.host).toBe(`127.0.0.1:${a.port}`);
    expect(reporter.text()).not.toContain('s3cr3t');

    // Without the header the same app is unhealthy: the assertion above is not vacuous.
    const without = await checkHealth(options(`${a.url}/health`, { timeoutMs: 200 }), { reporter });
    expect(without.lastStatus).toBe(401);
    expect(reporter.text()).not.toContain('s3cr3t');
  });

  it('an invalid URL is an InputError that does not echo it', async () => {
    await expect(checkHealth(options('not a url?token=s3cr3t'), { reporter: new MemoryReporter() })).rejects.toThrow(
      /Invalid input "url": not an absolute URL/,
    );
    await expect(checkHealth(options('ftp://example.test/'), { reporter: new MemoryReporter() })).rejects.toThrow(
      /scheme ftp: is not supported/,
    );
  });
});

describe('checkHealth through a tunnel', () => {
  /** An openTunnel that is a real TCP proxy to the app, recording how it was called. */
  function tunnelTo(app: TestApp) {
    const calls: [string, number][] = [];
    let closed = 0;
    let proxy: TcpProxy | undefined;
    const openTunnel = async (host: string, port: number): Promise<Tunnel> => {
      calls.push([host, port]);
      proxy = await startTcpProxy('127.0.0.1', app.port);
      proxies.push(proxy);
      const p = proxy;
      return {
        host: p.host,
        port: p.port,
        close: async () => {
          closed++;
          await p.close();
        },
      };
    };
    return { openTunnel, calls, closed: () => closed, proxy: () => proxy };
  }

  it('opens one tunnel for the URL host and port, keeps the original Host header, and closes it', async () => {
    const a = await app({ routes: { '/health': unhealthyFor(2) } });
    const tunnel = tunnelTo(a);
    // app.internal does not resolve here: only the tunnel can reach the app.
    const result = await checkHealth(options('http://app.internal:3000/health'), {
      reporter: new MemoryReporter(),
      openTunnel: tunnel.openTunnel,
    });
    expect(result.healthy).toBe(true);
    expect(result.attempts).toBe(3);
    expect(tunnel.calls).toEqual([['app.internal', 3000]]);
    expect(tunnel.proxy()!.connections).toBe(3);
    expect(a.hits.map((h) => h.headers.host)).toEqual(['app.internal:3000', 'app.internal:3000', 'app.internal:3000']);
    expect(tunnel.closed()).toBe(1);
  });

  it('uses the default port of the scheme and closes the tunnel when unhealthy too', async () => {
    const a = await app();
    a.setHealth(500, 'boom');
    const tunnel = tunnelTo(a);
    const result = await checkHealth(options('http://app.internal/health', { timeoutMs: 200 }), {
      reporter: new MemoryReporter(),
      openTunnel: tunnel.openTunnel,
    });
    expect(result.healthy).toBe(false);
    expect(tunnel.calls).toEqual([['app.internal', 80]]);
    expect(a.hits[0]!.headers.host).toBe('app.internal');
    expect(tunnel.closed()).toBe(1);
  });

  it('without the tunnel the same URL does not resolve', async () => {
    const result = await checkHealth(options('http://app.internal.invalid:3000/health', { timeoutMs: 100 }), {
      reporter: new MemoryReporter(),
    });
    expect(result.history[0]!.error).toBe('host app.internal.invalid not found (DNS)');
  });
});

describe('checkHealth over https', () => {
  const cert = selfSignedCert(['app.test']);

  it('rejects an untrusted certificate with a clear reason', async () => {
    const a = await app({ tls: cert });
    const opts = options(`${a.url}/health`, { timeoutMs: 200 });
    const result = await checkHealth(opts, { reporter: new MemoryReporter() });
    expect(result.healthy).toBe(false);
    expect(result.history[0]!.error).toMatch(
      /^TLS certificate rejected: self[- ]signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)$/,
    );
    expect(a.hits).toHaveLength(0);
  });

  it('is healthy with the certificate trusted', async () => {
    const a = await app({ tls: cert });
    const result = await checkHealth(options(`${a.url}/health`, { ca: cert.cert }), { reporter: new MemoryReporter() });
    expect(result).toMatchObject({ healthy: true, attempts: 1, lastStatus: 200 });
  });

  it('through a tunnel sends SNI and Host for the original name and checks the certificate against it', async () => {
    const a = await app({ tls: cert });
    const proxy = await startTcpProxy('127.0.0.1', a.port);
    proxies.push(proxy);
    const openTunnel = async (): Promise<Tunnel> => ({
      host: proxy.host,
      port: proxy.port,
      close: async () => undefined,
    });
    const result = await checkHealth(options('https://app.test/health', { ca: cert.cert }), {
      reporter: new MemoryReporter(),
      openTunnel,
    });
    expect(result.healthy).toBe(true);
    expect(a.hits[0]).toMatchObject({ servername: 'app.test', headers: expect.objectContaining({ host: 'app.test' }) });
    expect(proxy.connections).toBe(1);

    // A name the certificate does not cover is refused, even though the tunnel reaches the same server.
    const wrong = await checkHealth(options('https://other.test/health', { ca: cert.cert, timeoutMs: 100 }), {
      reporter: new MemoryReporter(),
      openTunnel,
    });
    expect(wrong.healthy).toBe(false);
    expect(wrong.history[0]!.error).toMatch(
      /^TLS certificate rejected: .*other\.test.*\(ERR_TLS_CERT_ALTNAME_INVALID\)$/,
    );
  });
});
