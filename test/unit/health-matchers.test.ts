import { InputError } from '../../src/core/errors.js';
import { describeFailure, type HealthOptions, type HealthResult } from '../../src/health/check.js';
import {
  bodyMatches,
  jsonMismatch,
  jsonSubsetMatches,
  parseBodyMatcher,
  parseExpectJson,
  parseHeaders,
  parseStatusMatcher,
} from '../../src/health/matchers.js';

/** The thrown error, asserted to be an InputError for `input`. */
function inputError(work: () => unknown, input: string): InputError {
  try {
    work();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).input).toBe(input);
    expect((err as InputError).message).not.toContain('\n');
    return err as InputError;
  }
  throw new Error(`expected an InputError for ${input}`);
}

describe('parseStatusMatcher', () => {
  const accepted = (text: string) =>
    [100, 199, 200, 201, 204, 299, 300, 301, 399, 404, 500, 503].filter(parseStatusMatcher(text));

  it.each([
    ['', [200, 201, 204, 299]],
    ['  ', [200, 201, 204, 299]],
    ['200', [200]],
    ['2xx', [200, 201, 204, 299]],
    ['2XX', [200, 201, 204, 299]],
    ['200,204', [200, 204]],
    [' 200 , 204 ', [200, 204]],
    ['200-299', [200, 201, 204, 299]],
    ['201-301', [201, 204, 299, 300, 301]],
    ['200,3xx', [200, 300, 301, 399]],
    ['1xx,5xx', [100, 199, 500, 503]],
    ['404', [404]],
  ])('%j accepts %j', (text, statuses) => {
    expect(accepted(text)).toEqual(statuses);
  });

  it.each(['ok', '20', '2000', '6xx', 'xx', '200,', ',200', '200;204', '299-200', '099', '600', '2xx-3xx', '200 204'])(
    'rejects %j naming expect-status',
    (text) => {
      const err = inputError(() => parseStatusMatcher(text), 'expect-status');
      expect(err.message).toContain('2xx');
    },
  );
});

describe('parseBodyMatcher', () => {
  it('empty means no body check', () => {
    expect(parseBodyMatcher('')).toBeUndefined();
  });

  it('plain text is a substring, matched literally', () => {
    const m = parseBodyMatcher('"status":"ok"');
    expect(m).toBe('"status":"ok"');
    expect(bodyMatches(m!, '{"status":"ok","db":{}}')).toBe(true);
    expect(bodyMatches(m!, '{"status":"down"}')).toBe(false);
    // Regex metacharacters in a substring are literal.
    expect(bodyMatches(parseBodyMatcher('a.c')!, 'abc')).toBe(false);
    expect(bodyMatches(parseBodyMatcher('a.c')!, 'xa.cx')).toBe(true);
  });

  it('/pattern/flags is a regular expression', () => {
    const m = parseBodyMatcher('/"up":\\s*true/');
    expect(m).toBeInstanceOf(RegExp);
    expect(bodyMatches(m!, '{"up": true}')).toBe(true);
    expect(bodyMatches(m!, '{"up": false}')).toBe(false);
    const insensitive = parseBodyMatcher('/^OK$/i');
    expect(bodyMatches(insensitive!, 'ok')).toBe(true);
    expect(bodyMatches(parseBodyMatcher('/^OK$/')!, 'ok')).toBe(false);
  });

  it('drops g and y so repeated checks give the same answer', () => {
    const m = parseBodyMatcher('/ok/g')!;
    expect([1, 2, 3].map(() => bodyMatches(m, 'ok'))).toEqual([true, true, true]);
  });

  it('a path with slashes stays a substring', () => {
    expect(parseBodyMatcher('/api/health')).toBe('/api/health');
  });

  it('a bad regex is an InputError naming expect-body', () => {
    const err = inputError(() => parseBodyMatcher('/(unclosed/'), 'expect-body');
    expect(err.message).toMatch(/not a valid regular expression \(.*Unterminated group\)/);
  });
});

describe('jsonSubsetMatches', () => {
  const actual = {
    status: 'ok',
    version: '1.2.3',
    db: { up: true, latencyMs: 3 },
    checks: [
      { name: 'db', ok: true },
      { name: 'cache', ok: true },
    ],
  };

  it.each([
    [{}, true],
    [{ status: 'ok' }, true],
    [{ db: { up: true } }, true],
    [{ status: 'ok', db: { up: true } }, true],
    [{ checks: [{ ok: true }, { ok: true }] }, true],
    [{ checks: [{ name: 'db' }, { name: 'cache' }] }, true],
    [{ status: 'down' }, false],
    [{ db: { up: false } }, false],
    [{ db: { up: 'true' } }, false],
    [{ db: true }, false],
    [{ missing: 1 }, false],
    [{ db: { up: true, replica: true } }, false],
    // Arrays: same length, position by position.
    [{ checks: [{ ok: true }] }, false],
    [{ checks: [{ name: 'cache' }, { name: 'db' }] }, false],
    [{ checks: [{ ok: true }, { ok: true }, { ok: true }] }, false],
    [{ checks: {} }, false],
  ])('%j in the document → %s', (expected, result) => {
    expect(jsonSubsetMatches(expected, actual)).toBe(result);
  });

  it('scalars compare strictly, null included', () => {
    expect(jsonSubsetMatches(1, 1)).toBe(true);
    expect(jsonSubsetMatches(1, '1')).toBe(false);
    expect(jsonSubsetMatches(null, null)).toBe(true);
    expect(jsonSubsetMatches(null, {})).toBe(false);
    expect(jsonSubsetMatches({}, null)).toBe(false);
    expect(jsonSubsetMatches('ok', 'ok')).toBe(true);
    expect(jsonSubsetMatches([], [])).toBe(true);
    expect(jsonSubsetMatches([], {})).toBe(false);
  });

  it('says where the first difference is', () => {
    expect(jsonMismatch({ db: { up: true } }, { db: { up: false } })).toBe('$.db.up: expected true, got false');
    expect(jsonMismatch({ db: { up: true } }, { db: {} })).toBe('$.db.up: missing');
    expect(jsonMismatch({ checks: [1, 2] }, { checks: [1] })).toBe('$.checks: expected 2 elements, got 1');
    expect(jsonMismatch({ checks: [{ ok: true }] }, { checks: [{ ok: 0 }] })).toBe(
      '$.checks[0].ok: expected true, got 0',
    );
    expect(jsonMismatch({ 'x-y': 1 }, {})).toBe('$["x-y"]: missing');
    expect(jsonMismatch({ a: 1 }, { a: 1 })).toBeUndefined();
  });

  it('parseExpectJson reads JSON and rejects anything else naming expect-json', () => {
    expect(parseExpectJson('{"status":"ok","db":{"up":true}}')).toEqual({ status: 'ok', db: { up: true } });
    expect(parseExpectJson('[1,2]')).toEqual([1, 2]);
    expect(parseExpectJson('')).toBeUndefined();
    inputError(() => parseExpectJson("{status: 'ok'}"), 'expect-json');
    inputError(() => parseExpectJson('ok'), 'expect-json');
  });
});

describe('parseHeaders', () => {
  const token = 'Bearer s3cr3t-t0ken-value';

  it('reads Name: value lines, skipping blank lines and trimming', () => {
    expect(parseHeaders(`Authorization: ${token}\n\n  X-Probe :  belay \r\nX-Empty:\nX-Colon: a:b`)).toEqual({
      Authorization: token,
      'X-Probe': 'belay',
      'X-Empty': '',
      'X-Colon': 'a:b',
    });
    expect(parseHeaders('')).toEqual({});
  });

  it('reads a JSON object of strings', () => {
    expect(parseHeaders(`{"Authorization": "${token}", "X-Probe": "1"}`)).toEqual({
      Authorization: token,
      'X-Probe': '1',
    });
  });

  it.each([
    [`Authorization ${token}`, /line 1/],
    [`X-Ok: 1\n${token}`, /line 2/],
    [`: ${token}`, /line 1/],
    [`Bad Name: ${token}`, /line 1 has no valid header name/],
    [`X-A: 1\nx-a: ${token}`, /repeats the header x-a/],
    [`X-A: ${token}\u0007`, /control character/],
    [`{"Authorization": "${token}", }`, /not valid JSON/],
    [`{"Authorization": ["${token}"]}`, /not a string/],
    [`{"Bad Name": "${token}"}`, /key 1 has no valid header name/],
  ])('rejects %j naming headers, without the value', (text, why) => {
    const err = inputError(() => parseHeaders(text), 'headers');
    expect(err.message).toMatch(why);
    expect(err.message).not.toContain('s3cr3t');
  });
});

describe('describeFailure', () => {
  const options: HealthOptions = {
    url: 'http://127.0.0.1:1/health',
    expectStatus: parseStatusMatcher('2xx'),
    expectStatusText: '2xx',
    timeoutMs: 60_000,
    intervalMs: 2000,
    requestTimeoutMs: 5000,
    healthyThreshold: 1,
    headers: {},
  };
  const starting = (n: number) => ({
    n,
    atMs: (n - 1) * 2000,
    status: 503,
    bodyExcerpt: 'starting',
    ok: false,
    reason: 'status 503 is not 2xx',
  });

  it('headline names the timeout, attempts, last status and body; then the last three attempts', () => {
    const history = [
      starting(1),
      starting(2),
      { n: 3, atMs: 4000, error: 'timed out after 5s', reason: 'timed out after 5s', ok: false },
      starting(4),
    ];
    const result: HealthResult = { healthy: false, attempts: 4, elapsedMs: 60_200, lastStatus: 503, history };
    const lines = describeFailure(result, options).split('\n');
    expect(lines[0]).toBe('Not healthy after 1m (4 attempts): last status 503 (expected 2xx), body "starting"');
    expect(lines.slice(1)).toEqual([
      '  attempt 2 at 2s: 503 Service Unavailable — body "starting"',
      '  attempt 3 at 4s: timed out after 5s',
      '  attempt 4 at 6s: 503 Service Unavailable — body "starting"',
    ]);
  });

  it('names a body mismatch when the status was right, and a connection error with the last status seen', () => {
    const mismatch = {
      n: 1,
      atMs: 0,
      status: 200,
      bodyExcerpt: 'ok',
      ok: false,
      reason: 'body does not contain "ready"',
    };
    expect(
      describeFailure({ healthy: false, attempts: 1, elapsedMs: 1, lastStatus: 200, history: [mismatch] }, options),
    ).toContain('last status 200, body does not contain "ready", body "ok"');
    const refused = {
      n: 2,
      atMs: 2000,
      error: 'connection refused by 127.0.0.1:1: nothing is listening there',
      ok: false,
    };
    const text = describeFailure(
      { healthy: false, attempts: 2, elapsedMs: 1, lastStatus: 200, history: [mismatch, refused] },
      options,
    );
    expect(text.split('\n')[0]).toBe(
      'Not healthy after 1m (2 attempts): last attempt failed: connection refused by 127.0.0.1:1: nothing is listening there; the last status seen was 200',
    );
  });

  it('explains a healthy last attempt that came too late for the threshold', () => {
    const ok = { n: 5, atMs: 8000, status: 200, bodyExcerpt: 'ok', ok: true };
    const text = describeFailure(
      { healthy: false, attempts: 5, elapsedMs: 1, lastStatus: 200, history: [starting(4), ok] },
      { ...options, healthyThreshold: 3 },
    );
    expect(text).toContain('3 consecutive successes were needed');
  });
});
