/** `belay health` / the health-check action: inputs → checkHealth → outputs, summary and a verdict. */
import { resolveConnection } from '../config/connection.js';
import { missing } from '../config/layers.js';
import { formatDuration } from '../core/duration.js';
import type { RunContext } from '../engine.js';
import { markdownTable, secretsOfUrl } from '../report/reporter.js';
import { forwardThroughFirst } from '../transport/pool.js';
import { checkHealth, describeFailure, parseTarget, type HealthOptions, type Tunnel } from './check.js';
import { parseBodyMatcher, parseExpectJson, parseHeaders, parseStatusMatcher } from './matchers.js';

export async function runHealth({ reporter, face, loaded }: RunContext): Promise<boolean> {
  const v = loaded.values;
  if (!v.url) throw missing('url', face);
  parseTarget(v.url); // a bad URL is refused before any connection is made
  const options = healthOptions(v as Required<typeof v>);
  // A URL may carry credentials (https://user:token@host/health): they are secrets too.
  for (const secret of secretsOfUrl(v.url).slice(1)) reporter.secret(secret);
  for (const value of Object.values(options.headers)) reporter.secret(value);

  let openTunnel: ((host: string, port: number) => Promise<Tunnel>) | undefined;
  if (v.viaSsh) {
    const { targets, options: connection } = resolveConnection(v, face);
    openTunnel = async (host, port) => {
      const forward = await forwardThroughFirst(targets, connection, reporter, { host, port });
      reporter.info(`through SSH: ${host}:${port} as seen from ${forward.server.host}`);
      return { host: forward.localHost, port: forward.localPort, close: () => forward.close() };
    };
  }

  // checkHealth opens the tunnel once and closes it (and so its SSH connection) however the check ends.
  const result = await reporter.group(`Health check ${v.url}`, () =>
    checkHealth(options, { reporter, ...(openTunnel ? { openTunnel } : {}) }),
  );
  reporter.setOutput('healthy', result.healthy);
  reporter.setOutput('attempts', result.attempts);
  reporter.setOutput('elapsed-ms', result.elapsedMs);
  reporter.setOutput('last-status', result.lastStatus ?? '');
  reporter.summary(
    `### ${result.healthy ? '✅' : '❌'} Health check\n\n` +
      markdownTable(
        ['URL', 'Healthy', 'Attempts', 'Elapsed', 'Last status'],
        [
          [
            v.url,
            String(result.healthy),
            String(result.attempts),
            formatDuration(result.elapsedMs),
            String(result.lastStatus ?? '–'),
          ],
        ],
      ),
  );
  if (result.healthy) {
    reporter.info(`✓ healthy after ${result.attempts} attempt(s) in ${formatDuration(result.elapsedMs)}`);
    return true;
  }
  reporter.error(describeFailure(result, options));
  return false;
}

/** What health-check's inputs (or deploy's health-* inputs, unprefixed) ask for. */
export interface HealthValues {
  readonly url: string;
  readonly expectStatus?: string;
  readonly expectBody?: string;
  readonly expectJson?: string;
  readonly timeout: number;
  readonly interval: number;
  readonly requestTimeout: number;
  readonly healthyThreshold: number;
  readonly headers?: string;
}

export function healthOptions(v: HealthValues): HealthOptions {
  const expectBody = v.expectBody ? parseBodyMatcher(v.expectBody) : undefined;
  return {
    url: v.url,
    expectStatus: parseStatusMatcher(v.expectStatus ?? ''),
    expectStatusText: v.expectStatus || '2xx',
    ...(expectBody !== undefined ? { expectBody } : {}),
    ...(v.expectJson ? { expectJson: parseExpectJson(v.expectJson) } : {}),
    timeoutMs: v.timeout,
    intervalMs: v.interval,
    requestTimeoutMs: v.requestTimeout,
    healthyThreshold: v.healthyThreshold,
    headers: v.headers ? parseHeaders(v.headers) : {},
  };
}
