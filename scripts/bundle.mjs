// The ncc bundles of belay (dist/belay, dist/cli) and a launcher per sub-action (dist/<action>/index.js).
// The output must be byte-for-byte reproducible: CI rebuilds and fails when dist/ changes.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import ncc from '@vercel/ncc';
import { transformSync } from 'esbuild';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
// Two bundles: every action's code in dist/belay, the CLI in dist/cli. A sub-action's dist/<action>/index.js
// (the main its action.yml names) is a launcher that names its command and imports dist/belay: one copy of the
// code instead of one per action.
const entries = {
  belay: 'src/actions/main.ts',
  cli: 'src/cli/index.ts',
};

// `belay` in a terminal runs often, so its start-up counts. Node ≥ 22.1 can keep V8's compiled code of the modules
// loaded after module.enableCompileCache() on disk (under os.tmpdir(); NODE_DISABLE_COMPILE_CACHE=1 turns it off),
// which spares a second run compiling the bundle: the bundle is imported only after the call, from this launcher.
// Node 20 has no such cache: the call is skipped. (Not for the actions: a runner starts each job with no cache.)
const LAUNCHER = `#!/usr/bin/env node
import module from 'node:module';
module.enableCompileCache?.();
await import('./main.js');
`;

// ssh2 checks at load whether Node can sign with Ed25519 by signing with a fixed private key written into its
// source. A private key has no place in committed files, even a throwaway one: the bundle gets a key generated at
// load instead, which answers the same question (no Ed25519 in this Node: no key, the signing fails, unsupported).
/** ssh2's probe key expression: two quoted pieces of base64 between the PEM lines (matched, never written here). */
const PROBE_KEY =
  /'-----BEGIN PRIVATE KEY-----\\r\\n[A-Za-z0-9+/=]+'\s*\+\s*'[A-Za-z0-9+/=]+\\r\\n-----END PRIVATE KEY-----'/;
const GENERATED_KEY =
  "(() => { try { return crypto.generateKeyPairSync('ed25519').privateKey; } catch { return undefined; } })()";
const withoutProbeKey = (source) => source.replace(PROBE_KEY, GENERATED_KEY);
/** Any PEM private key with key material after its header, the way it would sit in bundled source. */
const ANY_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----(?:\\r\\n|\\n|\r?\n)[A-Za-z0-9+/]{16}/;

// ncc minifies the main file only; the chunks (ssh2, zod, pg, each capability) come out as written, comments and
// all, and Node parses every byte of a module when it loads it: minified, the SSH code loads ~30 ms sooner.
const minified = (source) =>
  transformSync(source, { minify: true, format: 'esm', target: 'es2022', legalComments: 'none' }).code;

for (const [name, entry] of Object.entries(entries)) {
  const { code, assets } = await ncc(new URL(`../${entry}`, import.meta.url).pathname, {
    minify: true,
    sourceMap: false,
    quiet: true,
    target: 'es2022',
    // Native speedups of ssh2 are optional; the bundle uses its pure-JS code so it runs on any runner.
    // pg-native is pg's optional libpq binding; belay uses pg's pure-JS client.
    externals: ['cpu-features', './crypto/build/Release/sshcrypto.node', 'pg-native'],
  });
  const dir = `dist/${name}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // ssh2's emscripten-built poly1305 reads __dirname, which ESM does not define: give it the bundle's own.
  const shim =
    "import { fileURLToPath as __belayPath } from 'node:url';\n" +
    'const __filename = __belayPath(import.meta.url);\n' +
    "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));\n";
  // The CLI's bundle is main.js behind a small index.js that turns Node's compile cache on first (see LAUNCHER).
  const main = name === 'cli' ? 'main.js' : 'index.js';
  writeFileSync(
    `${dir}/${main}`,
    shim + withoutProbeKey(code.replace(/^#!.*\n/, '').replaceAll('__BELAY_VERSION__', version)),
  );
  if (name === 'cli') {
    writeFileSync(`${dir}/index.js`, LAUNCHER);
    chmodSync(`${dir}/index.js`, 0o755);
  }
  // ssh2 ships a Windows-only Pageant helper; belay never uses an agent, so it is left out.
  const kept = Object.entries(assets ?? {}).filter(([file]) => file !== 'pagent.exe');
  for (const [file, asset] of kept) {
    mkdirSync(`${dir}/${file}`.replace(/\/[^/]*$/, ''), { recursive: true });
    // Chunks (capabilities loaded on demand) are ES modules of their own and need the same shim.
    writeFileSync(
      `${dir}/${file}`,
      file.endsWith('.js') ? shim + minified(withoutProbeKey(String(asset.source))) : asset.source,
    );
  }
  const size = readFileSync(`${dir}/${main}`).length;
  if (readdirSync(dir).some((f) => f.endsWith('.js') && ANY_KEY.test(readFileSync(`${dir}/${f}`, 'utf8')))) {
    throw new Error(`dist/${name} holds a private key: if ssh2's probe key changed shape, update PROBE_KEY`);
  }
  console.log(
    `dist/${name}/${main}  ${(size / 1024).toFixed(0)} KiB${kept.length ? `  + ${kept.map(([f]) => f).join(', ')}` : ''}`,
  );
}

// A launcher per sub-action: the command comes from the action's folder, as COMMANDS in src/config/commands.ts
// names it (`cli` is the command, `action` the folder; the action.yml runs ../../dist/<folder>/index.js).
for (const folder of readdirSync('actions').sort()) {
  const yml = readFileSync(`actions/${folder}/action.yml`, 'utf8');
  const main = /^\s+main: \.\.\/\.\.\/dist\/([\w-]+)\/index\.js$/m.exec(yml)?.[1];
  if (!main) continue; // a composite action
  const command = /^# belay-command: ([\w-]+)$/m.exec(yml)?.[1];
  if (!command) throw new Error(`actions/${folder}/action.yml names no belay command (run npm run generate)`);
  rmSync(`dist/${main}`, { recursive: true, force: true });
  mkdirSync(`dist/${main}`, { recursive: true });
  writeFileSync(
    `dist/${main}/index.js`,
    `// belay ${command}: the code is in dist/belay.\nglobalThis.belayCommand = '${command}';\nawait import('../belay/index.js');\n`,
  );
  console.log(`dist/${main}/index.js  launcher for ${command}`);
}
