/**
 * The build and push commands as data: argv arrays, nothing rendered through a shell. Secrets appear only as
 * `id=<id>,env=<variable>`: their values travel in the child's environment.
 */
import { cmd, type Command } from '../core/command.js';

export interface BuildSpec {
  readonly context: string;
  readonly file?: string;
  readonly target?: string;
  readonly buildArgs: readonly (readonly [string, string])[];
  readonly labels: Readonly<Record<string, string>>;
  readonly platforms: readonly string[];
  readonly network?: string;
  /** Every `<image>:<tag>` to name the result. */
  readonly refs: readonly string[];
  readonly push: boolean;
  /** Secret id → name of the environment variable that holds its value. */
  readonly secrets: readonly { readonly id: string; readonly env: string }[];
  readonly noCache: boolean;
}

function common(spec: BuildSpec): string[] {
  const args: string[] = [];
  if (spec.file) args.push('--file', spec.file);
  if (spec.target) args.push('--target', spec.target);
  for (const [name, value] of spec.buildArgs) args.push('--build-arg', `${name}=${value}`);
  for (const [name, value] of Object.entries(spec.labels)) args.push('--label', `${name}=${value}`);
  if (spec.network) args.push('--network', spec.network);
  if (spec.noCache) args.push('--no-cache');
  for (const ref of spec.refs) args.push('--tag', ref);
  return args;
}

/** `docker buildx build`: plain progress (line-based logs), metadata file for the digest, cache flags given. */
export function buildxCommand(spec: BuildSpec, metadataFile: string, cache: readonly string[]): Command {
  const args = ['buildx', 'build', '--progress', 'plain', ...common(spec)];
  if (spec.platforms.length) args.push('--platform', spec.platforms.join(','));
  for (const s of spec.secrets) args.push('--secret', `id=${s.id},env=${s.env}`);
  args.push(...cache, '--metadata-file', metadataFile);
  // Without push the image is loaded into docker (a multi-platform result cannot be: it stays in the builder).
  if (spec.push) args.push('--push');
  else if (spec.platforms.length <= 1) args.push('--load');
  args.push(spec.context);
  return cmd('docker', ...args);
}

/** The legacy builder, when buildx is missing: no secrets, one platform, then one `docker push` per reference. */
export function classicBuildCommand(spec: BuildSpec): Command {
  const args = ['build', ...common(spec)];
  if (spec.platforms.length === 1) args.push('--platform', spec.platforms[0]!);
  args.push(spec.context);
  return cmd('docker', ...args);
}

export const pushCommand = (ref: string): Command => cmd('docker', 'push', ref);

/** The environment variable that carries build secret number `i` to buildx. */
export const secretVariable = (i: number) => `BELAY_BUILD_SECRET_${i}`;
