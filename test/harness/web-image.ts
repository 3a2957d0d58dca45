/**
 * A tiny web app image for deploy tests, FROM scratch with busybox-static (no image can be pulled here), pushed to
 * the test host's registry: busybox httpd on 127.0.0.1:$PORT serving /version, and /health only when built
 * healthy. Returns the pushed reference with its digest, as the build step would hand it to deploy.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testHost } from './test-host.js';

export interface WebImage {
  /** `127.0.0.1:5000/belay-test/web-…@sha256:…` */
  readonly ref: string;
  readonly tag: string;
}

export function buildWebImage(options: { name: string; version: string; healthy: boolean }): WebImage {
  const registry = testHost().registry.replace(/^https?:\/\//, '');
  const dir = mkdtempSync(join(tmpdir(), 'belay-web-image-'));
  try {
    mkdirSync(join(dir, 'www'));
    writeFileSync(join(dir, 'www', 'version'), `${options.version}\n`);
    if (options.healthy) writeFileSync(join(dir, 'www', 'health'), 'ok\n');
    copyFileSync('/bin/busybox', join(dir, 'busybox'));
    writeFileSync(
      join(dir, 'Dockerfile'),
      [
        'FROM scratch',
        'COPY busybox /bin/busybox',
        'COPY www /www',
        `LABEL org.opencontainers.image.version=${JSON.stringify(options.version)}`,
        `ENV VERSION=${options.version}`,
        // PORT comes from the compose file; the shell expands it at start, and says so in the container's log.
        'ENTRYPOINT ["/bin/busybox", "sh", "-c", "echo \\"web $VERSION starting on port ${PORT:-8080}\\"; exec /bin/busybox httpd -f -vv -p 127.0.0.1:${PORT:-8080} -h /www"]',
      ].join('\n') + '\n',
    );
    const tag = `${registry}/belay-test/${options.name}:${options.version}`;
    execFileSync('docker', ['build', '--network', 'host', '-q', '-t', tag, dir], { stdio: 'pipe' });
    execFileSync('docker', ['push', '-q', tag], { stdio: 'pipe' });
    const digest = execFileSync('docker', ['inspect', '-f', '{{index .RepoDigests 0}}', tag], {
      encoding: 'utf8',
    }).trim();
    return { ref: digest, tag };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
