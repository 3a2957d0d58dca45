/**
 * Building blocks of the one input schema. Every input is declared once with the transform of its zod type: it
 * turns the text a user wrote (action input, CLI flag, BELAY_* variable or belay.yml value) into a typed value, or
 * into an issue whose message is "<problem>|<fix>" so the loader can print one line naming the input.
 *
 * The zod type itself, `z.string().transform(parse)`, is made by the loader the first time the input is read
 * (`inputType` in layers.ts): a run builds the types of its own command's inputs only, and `belay --help` or a
 * CLI flag parser need neither zod nor any schema (this module imports zod's types, not zod).
 */
import type { z } from 'zod';
import { parseDuration, parseSize } from '../core/duration.js';

export interface InputSpec<T = unknown> {
  readonly description: string;
  /** The default as a user would write it; documented in action.yml descriptions and the README tables. */
  readonly default?: string;
  /** Secret values are masked in every output and never echoed in errors. */
  readonly secret?: boolean;
  /** Not offered as an action input (e.g. paths to files on the machine running the CLI). */
  readonly cliOnly?: boolean;
  /** Inputs that select the configuration itself cannot be set from belay.yml. */
  readonly notInFile?: boolean;
  /** The transform of the input's zod type (`z.string().transform(parse)`): from text to value, or `fail`. */
  readonly parse: (text: string, ctx: Ctx) => T;
  /** Human words for the expected shape, used in README tables: "duration", "port", ... */
  readonly kind: string;
}

export type Ctx = z.core.$RefinementCtx<string>;

/**
 * Refuses the value: one issue, "<problem>|<fix>". What a transform returns after an issue is never used (zod
 * fails the parse), so nothing is returned: zod's own `z.NEVER` only serves the same typing purpose.
 */
export function fail(ctx: Ctx, problem: string, fix: string): never {
  ctx.addIssue({ code: 'custom', message: `${problem}|${fix}` });
  return undefined as never;
}

export function text(spec: Omit<InputSpec<string>, 'parse' | 'kind'> & { kind?: string }): InputSpec<string> {
  return { kind: 'text', ...spec, parse: (s) => s };
}

export function integer(
  spec: Omit<InputSpec<number>, 'parse' | 'kind'> & { min: number; max: number; kind?: string },
): InputSpec<number> {
  const { min, max, ...rest } = spec;
  return {
    kind: 'number',
    ...rest,
    parse: (s, ctx) => {
      const n = Number(s.trim());
      if (!/^\d+$/.test(s.trim()) || !Number.isSafeInteger(n)) {
        return fail(ctx, `"${s}" is not a whole number`, `Use a number from ${min} to ${max}.`);
      }
      if (n < min || n > max) return fail(ctx, `${n} is out of range`, `Use a number from ${min} to ${max}.`);
      return n;
    },
  };
}

/** A quantity written with a unit: parsed by `parse`, refused with the unit examples when it does not parse. */
function quantity(
  kind: 'duration' | 'size',
  parse: (text: string) => number | undefined,
  examples: string,
  spec: QuantitySpec,
): InputSpec<number> {
  const { offAllowed, ...rest } = spec;
  return {
    kind: offAllowed ? `${kind} or off` : kind,
    ...rest,
    parse: (s, ctx) => {
      if (offAllowed && ['off', '0'].includes(s.trim().toLowerCase())) return 0;
      const value = parse(s);
      if (value === undefined || value <= 0) {
        return fail(
          ctx,
          `"${s}" is not a ${kind}`,
          `Write a number with a unit, like ${examples}${offAllowed ? ', or off' : ''}.`,
        );
      }
      return value;
    },
  };
}

type QuantitySpec = Omit<InputSpec<number>, 'parse' | 'kind'> & {
  /** `off` (or 0) is a value of its own, given as 0: "no limit". */
  readonly offAllowed?: boolean;
};

export const duration = (spec: QuantitySpec) => quantity('duration', parseDuration, '90s, 5m or 1h', spec);

export const size = (spec: QuantitySpec) => quantity('size', parseSize, '500MB or 2GB', spec);

export function boolean(spec: Omit<InputSpec<boolean>, 'parse' | 'kind'>): InputSpec<boolean> {
  return {
    kind: 'boolean',
    ...spec,
    parse: (s, ctx) => {
      const v = s.trim().toLowerCase();
      if (['true', 'yes', '1', 'on'].includes(v)) return true;
      if (['false', 'no', '0', 'off', ''].includes(v)) return false;
      return fail(ctx, `"${s}" is not true or false`, 'Use true or false.');
    },
  };
}

export function oneOf<const T extends readonly string[]>(
  values: T,
  spec: Omit<InputSpec<T[number]>, 'parse' | 'kind'>,
): InputSpec<T[number]> {
  return {
    kind: values.join(' \\| '),
    ...spec,
    parse: (s, ctx) => {
      const v = s.trim();
      if ((values as readonly string[]).includes(v)) return v as T[number];
      return fail(ctx, `"${s}" is not one of ${values.join(', ')}`, `Use one of: ${values.join(', ')}.`);
    },
  };
}

/** Comma- or newline-separated list; YAML lists are joined before parsing. */
export function splitList(s: string): string[] {
  return s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);
}
