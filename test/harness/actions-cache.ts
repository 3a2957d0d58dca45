/**
 * A small stand-in for GitHub's Actions cache service (v2, the one runners use today), on 127.0.0.1. GitHub's own
 * service cannot be reached from here; this fake speaks exactly what @actions/cache 6 sends to it:
 *
 * - Twirp JSON, `POST /twirp/github.actions.results.api.v1.CacheService/<method>` with `Authorization: Bearer
 *   <ACTIONS_RUNTIME_TOKEN>`: GetCacheEntryDownloadURL (primary key exact, then each restore key exact or as a
 *   prefix, newest first, always for the same `version`), CreateCacheEntry (409 `already_exists` for a key and
 *   version already there, as GitHub answers), FinalizeCacheEntryUpload.
 * - The signed URLs point back here. Uploads come from @azure/storage-blob's BlockBlobClient.uploadFile: one
 *   `PUT` with `x-ms-blob-type: BlockBlob` for an archive up to 128 MiB (blocks with `comp=block` / `blocklist`
 *   above that, which these tests never reach and the fake refuses). Downloads from a host that is not
 *   `*.blob.core.windows.net` are a plain `GET` checked against Content-Length.
 *
 * Blobs are files in a temporary folder. Every request is recorded for assertions.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CacheEntry {
  id: number;
  key: string;
  version: string;
  file: string;
  size: number;
  committed: boolean;
  created: number;
}

export interface FakeCacheService {
  /** ACTIONS_RESULTS_URL, ACTIONS_RUNTIME_TOKEN and ACTIONS_CACHE_SERVICE_V2, as a runner sets them. */
  env: Record<string, string>;
  entries: CacheEntry[];
  /** `<METHOD> <twirp method or blob>` per request, in order. */
  requests: string[];
  stop(): Promise<void>;
}

const TWIRP = '/twirp/github.actions.results.api.v1.CacheService/';

export async function startFakeCacheService(): Promise<FakeCacheService> {
  const dir = mkdtempSync(join(tmpdir(), 'belay-fake-cache-'));
  const token = `runtime-token-${Math.random().toString(36).slice(2)}`;
  const entries: CacheEntry[] = [];
  const requests: string[] = [];
  let clock = 0;
  let base = '';

  const json = (res: ServerResponse, status: number, body: object) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const twirpError = (res: ServerResponse, status: number, code: string, msg: string) =>
    json(res, status, { code, msg });
  const read = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  function lookup(key: string, restoreKeys: string[], version: string): CacheEntry | undefined {
    const usable = entries.filter((e) => e.committed && e.version === version).sort((a, b) => b.created - a.created);
    const exact = usable.find((e) => e.key === key);
    if (exact) return exact;
    for (const prefix of restoreKeys) {
      const hit = usable.find((e) => e.key === prefix) ?? usable.find((e) => e.key.startsWith(prefix));
      if (hit) return hit;
    }
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    if (req.method === 'POST' && url.pathname.startsWith(TWIRP)) {
      const method = url.pathname.slice(TWIRP.length);
      requests.push(`POST ${method}`);
      if (req.headers.authorization !== `Bearer ${token}`) {
        return twirpError(res, 401, 'unauthenticated', 'bad or missing runtime token');
      }
      const body = JSON.parse((await read(req)).toString('utf8') || '{}') as Record<string, unknown>;
      const key = String(body.key ?? '');
      const version = String(body.version ?? '');
      if (method === 'GetCacheEntryDownloadURL') {
        const hit = lookup(key, (body.restore_keys as string[] | undefined) ?? [], version);
        if (!hit) return json(res, 200, { ok: false });
        return json(res, 200, {
          ok: true,
          signed_download_url: `${base}/blob/devstoreaccount1/cache/${hit.id}?sig=read`,
          matched_key: hit.key,
        });
      }
      if (method === 'CreateCacheEntry') {
        if (entries.some((e) => e.key === key && e.version === version)) {
          return twirpError(
            res,
            409,
            'already_exists',
            'cache entry with the same key, version, and scope already exists',
          );
        }
        const id = entries.length + 1;
        entries.push({ id, key, version, file: join(dir, `${id}.blob`), size: 0, committed: false, created: ++clock });
        return json(res, 200, { ok: true, signed_upload_url: `${base}/blob/devstoreaccount1/cache/${id}?sig=write` });
      }
      if (method === 'FinalizeCacheEntryUpload') {
        const entry = entries.find((e) => e.key === key && e.version === version && !e.committed);
        if (!entry) return json(res, 200, { ok: false, message: `no upload in progress for ${key}` });
        const size = readFileSync(entry.file).length;
        if (String(size) !== String(body.size_bytes)) {
          return json(res, 200, { ok: false, message: `uploaded ${size} bytes, told ${String(body.size_bytes)}` });
        }
        Object.assign(entry, { committed: true, size });
        return json(res, 200, { ok: true, entry_id: String(entry.id) });
      }
      return twirpError(res, 404, 'bad_route', `no method ${method}`);
    }
    const blob = /^\/blob\/devstoreaccount1\/cache\/(\d+)$/.exec(url.pathname);
    const entry = blob ? entries.find((e) => e.id === Number(blob[1])) : undefined;
    if (!entry) return twirpError(res, 404, 'not_found', `${req.method} ${url.pathname}`);
    requests.push(`${req.method} blob ${entry.id}`);
    if (req.method === 'PUT' && url.searchParams.get('sig') === 'write') {
      if (req.headers['x-ms-blob-type'] !== 'BlockBlob' || url.searchParams.has('comp')) {
        return twirpError(res, 400, 'unsupported', 'the fake takes single-shot BlockBlob uploads only');
      }
      writeFileSync(entry.file, await read(req));
      res.writeHead(201, {
        etag: `"0x${entry.id}"`,
        'last-modified': new Date().toUTCString(),
        'x-ms-request-id': `req-${entry.id}`,
        'x-ms-version': String(req.headers['x-ms-version'] ?? '2025-01-05'),
        'x-ms-request-server-encrypted': 'true',
        'content-length': '0',
      });
      return void res.end();
    }
    if (req.method === 'GET' && url.searchParams.get('sig') === 'read' && entry.committed) {
      const data = readFileSync(entry.file);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length });
      return void res.end(data);
    }
    return twirpError(res, 403, 'permission_denied', `${req.method} ${url.pathname}${url.search}`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => twirpError(res, 500, 'internal', err.message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    env: { ACTIONS_RESULTS_URL: `${base}/`, ACTIONS_RUNTIME_TOKEN: token, ACTIONS_CACHE_SERVICE_V2: 'True' },
    entries,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
