/**
 * Image names and the typed inputs of build-image: repositories (`ghcr.io/owner/app`), `NAME=value` lines
 * (build-args, labels) and build secrets (`id=value`, never echoed).
 */
import { fail, splitList, type InputSpec } from '../config/define.js';

export interface ImageName {
  /** As the user wrote it: `ghcr.io/owner/app`, `127.0.0.1:5000/app`, `owner/app`. */
  readonly name: string;
  /** Registry host as docker names it: `ghcr.io`, `127.0.0.1:5000`, `docker.io`. */
  readonly registry: string;
  /** Repository path inside the registry: `owner/app`, `library/nginx` on Docker Hub. */
  readonly repository: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/;

/** Parses a repository name; returns a problem and its fix when it is not one. */
export function parseImageName(text: string): ImageName | { problem: string; fix: string } {
  const name = text.trim();
  const parts = name.split('/');
  const first = parts[0]!;
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const path = hasDomain ? parts.slice(1) : parts;
  const last = path[path.length - 1] ?? '';
  if (/[:@]/.test(last)) {
    return {
      problem: `"${name}" has a tag or digest`,
      fix: 'Give the repository only (like ghcr.io/owner/app); tags come from the tags input.',
    };
  }
  if ((hasDomain && !DOMAIN.test(first)) || path.length === 0 || !path.every((c) => COMPONENT.test(c))) {
    return {
      problem: `"${name}" is not an image repository name`,
      fix: 'Write it like ghcr.io/owner/app or registry.example.com:5000/app: lowercase letters, digits, . _ - and /.',
    };
  }
  const registry = hasDomain ? (first === 'index.docker.io' ? 'docker.io' : first) : 'docker.io';
  const repository = registry === 'docker.io' && path.length === 1 ? `library/${path[0]}` : path.join('/');
  return { name, registry, repository };
}

export const imageList: InputSpec<ImageName[]> = {
  kind: 'image list',
  description:
    'Image repository (or several, one per line or comma-separated) to tag and push, without a tag: `ghcr.io/owner/app`, `registry.example.com:5000/app`, `owner/app` (Docker Hub).',
  parse: (s, ctx) => {
    const images: ImageName[] = [];
    for (const item of splitList(s)) {
      const parsed = parseImageName(item);
      if ('problem' in parsed) return fail(ctx, parsed.problem, parsed.fix);
      images.push(parsed);
    }
    if (images.length === 0) return fail(ctx, 'no image given', 'Set it to a repository, like ghcr.io/owner/app.');
    return images;
  },
};

/**
 * `NAME=value` per line (build-args, labels); YAML maps in belay.yml arrive as JSON and are accepted too. The
 * value may hold `=` and commas; only newlines separate entries.
 */
export function keyValueLines(
  spec: { description: string; kind: string; secret?: boolean },
  name: RegExp,
  example: string,
): InputSpec<[string, string][]> {
  return {
    ...spec,
    parse: (s, ctx) => {
      const trimmed = s.trim();
      if (trimmed.startsWith('{')) {
        try {
          const map = JSON.parse(trimmed) as Record<string, unknown>;
          return Object.entries(map).map(([k, v]) => [k, String(v)] as [string, string]);
        } catch {
          return fail(ctx, 'the value is neither NAME=value lines nor a map', `Write one ${example} per line.`);
        }
      }
      const pairs: [string, string][] = [];
      const lines = s.split(/\r?\n/);
      for (const [i, raw] of lines.entries()) {
        const line = raw.trim();
        if (line === '' || line.startsWith('#')) continue;
        const eq = line.indexOf('=');
        const key = eq > 0 ? line.slice(0, eq).trim() : '';
        if (!name.test(key)) {
          // A secret line is never echoed; a plain one is, so the user sees what is wrong.
          const what = spec.secret ? `line ${i + 1} is not ${example}` : `"${line}" is not ${example}`;
          return fail(ctx, what, `Write one ${example} per line.`);
        }
        pairs.push([key, line.slice(eq + 1)]);
      }
      return pairs;
    },
  };
}
