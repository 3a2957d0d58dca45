/**
 * What "healthy" means, parsed once from the user's text: the status codes, the body and the JSON a health
 * endpoint must answer with, and the headers to send. Pure functions; bad text is an InputError naming the input.
 */
import { InputError } from '../core/errors.js';

export type StatusMatcher = (status: number) => boolean;

const STATUS_FIX = 'Use a code (200), a class (2xx), a range (200-299) or a comma-separated list of them (200,3xx)';

/**
 * `""` means any 2xx; otherwise a comma-separated list of `200`, `2xx` or `200-299`. Any part matching is enough.
 */
export function parseStatusMatcher(text: string): StatusMatcher {
  const trimmed = text.trim();
  if (trimmed === '') return (status) => status >= 200 && status <= 299;
  const parts = trimmed.split(',').map((part) => statusPart(part.trim()));
  return (status) => parts.some((matches) => matches(status));
}

function statusPart(part: string): StatusMatcher {
  const problem = (why: string) => new InputError('expect-status', why, STATUS_FIX);
  if (part === '') throw problem('an empty entry in the list');
  if (/^\d{3}$/.test(part)) {
    const code = statusCode(part, problem);
    return (status) => status === code;
  }
  const cls = /^([1-5])xx$/i.exec(part);
  if (cls) {
    const hundred = Number(cls[1]) * 100;
    return (status) => status >= hundred && status <= hundred + 99;
  }
  const range = /^(\d{3})\s*-\s*(\d{3})$/.exec(part);
  if (range) {
    const low = statusCode(range[1]!, problem);
    const high = statusCode(range[2]!, problem);
    if (low > high) throw problem(`the range "${part}" is empty (${low} is above ${high})`);
    return (status) => status >= low && status <= high;
  }
  throw problem(`"${part}" is not a status code, class or range`);
}

function statusCode(text: string, problem: (why: string) => InputError): number {
  const code = Number(text);
  // HTTP status codes are 100-599; anything else can never match and is surely a typo.
  if (code < 100 || code > 599) throw problem(`${code} is not an HTTP status code (100-599)`);
  return code;
}

/** Flags that make a RegExp stateful (`lastIndex`), which would make repeated checks alternate between results. */
const STATEFUL_FLAGS = /[gy]/g;

/**
 * `""` means no body check; `/pattern/flags` is a regular expression; anything else is a substring the body must
 * contain. A text is a regex only when it is wrapped in slashes with valid flags after the last one, so a path such
 * as `/api/health` stays a substring.
 */
export function parseBodyMatcher(text: string): string | RegExp | undefined {
  if (text === '') return undefined;
  const literal = /^\/(.+)\/([a-z]*)$/s.exec(text);
  if (!literal || !/^[dgimsuvy]*$/.test(literal[2]!)) return text;
  try {
    return new RegExp(literal[1]!, literal[2]!.replace(STATEFUL_FLAGS, ''));
  } catch (err) {
    const why = errorMessage(err);
    throw new InputError(
      'expect-body',
      `not a valid regular expression (${why})`,
      'Fix the pattern, or drop the surrounding slashes to match a plain substring',
    );
  }
}

/** Whether `body` satisfies a matcher from parseBodyMatcher. */
export function bodyMatches(matcher: string | RegExp, body: string): boolean {
  return typeof matcher === 'string' ? body.includes(matcher) : matcher.test(body);
}

/** `"ready"` or `/ready/i`, for messages. */
export function describeBodyMatcher(matcher: string | RegExp): string {
  return typeof matcher === 'string' ? JSON.stringify(matcher) : String(matcher);
}

/** `""` means no JSON check; otherwise the text must be a JSON value. */
export function parseExpectJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const why = errorMessage(err);
    throw new InputError(
      'expect-json',
      `not valid JSON (${why})`,
      'Give the part of the response that must match, e.g. {"status":"ok"}',
    );
  }
}

/**
 * Whether `actual` contains `expected`:
 * - objects: every key of `expected` is in `actual` and matches recursively; extra keys in `actual` are fine, so a
 *   health check can pin `{"db":{"up":true}}` without caring about versions or timings next to it;
 * - arrays: the same length, element i matching element i (each element may itself be a partial object). Order and
 *   length are kept strict because "contains some element" silently passes when a list gains a failing entry;
 * - everything else (strings, numbers, booleans, null): strict equality, no type coercion.
 */
export function jsonSubsetMatches(expected: unknown, actual: unknown): boolean {
  return jsonMismatch(expected, actual) === undefined;
}

/** The first place where `actual` does not contain `expected` (`$.db.up: expected true, got false`), if any. */
export function jsonMismatch(expected: unknown, actual: unknown, path = '$'): string | undefined {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${kindOf(actual)}`;
    if (actual.length !== expected.length) {
      return `${path}: expected ${expected.length} elements, got ${actual.length}`;
    }
    for (const [i, item] of expected.entries()) {
      const found = jsonMismatch(item, actual[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (isObject(expected)) {
    if (!isObject(actual)) return `${path}: expected an object, got ${kindOf(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      const childPath = `${path}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`;
      if (!Object.hasOwn(actual, key)) return `${childPath}: missing`;
      const found = jsonMismatch(value, actual[key], childPath);
      if (found) return found;
    }
    return undefined;
  }
  if (expected === actual) return undefined;
  return `${path}: expected ${short(expected)}, got ${short(actual)}`;
}

/** Duck-typed so errors from another realm (vm contexts, test runners) keep their message. */
function errorMessage(err: unknown): string {
  return typeof err === 'object' && err !== null && 'message' in err ? String(err.message) : String(err);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return short(value);
}

/** A value for a message, cut so one odd field cannot flood the log. */
function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** RFC 9110 token characters: what a header name may contain. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible characters, spaces and tabs: what Node accepts in a header value (no control characters). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const HEADERS_FIX = 'Write one "Name: value" per line, or a JSON object of strings';

/**
 * Request headers from `Name: value` lines (blank lines ignored) or a JSON object of strings. Errors name the line
 * or the key but never contain a value: headers usually carry tokens.
 */
export function parseHeaders(text: string): Record<string, string> {
  const trimmed = text.trim();
  if (trimmed === '') return {};
  const entries = trimmed.startsWith('{') ? jsonHeaders(trimmed) : lineHeaders(trimmed);
  const headers: Record<string, string> = {};
  const seen = new Set<string>();
  for (const { name, value, where } of entries) {
    if (!HEADER_NAME.test(name)) throw new InputError('headers', `${where} has no valid header name`, HEADERS_FIX);
    if (!HEADER_VALUE.test(value))
      throw new InputError('headers', `${where} (${name}) has a control character in its value`, HEADERS_FIX);
    // Header names are case-insensitive; a repeat is almost always a copy-paste mistake, so say so.
    if (seen.has(name.toLowerCase()))
      throw new InputError('headers', `${where} repeats the header ${name}`, 'Give each header once');
    seen.add(name.toLowerCase());
    headers[name] = value;
  }
  return headers;
}

interface HeaderEntry {
  name: string;
  value: string;
  where: string;
}

function lineHeaders(text: string): HeaderEntry[] {
  const entries: HeaderEntry[] = [];
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new InputError('headers', `line ${i + 1} is not "Name: value"`, HEADERS_FIX);
    entries.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim(), where: `line ${i + 1}` });
  }
  return entries;
}

function jsonHeaders(text: string): HeaderEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error, which may be a token: say nothing more.
    throw new InputError('headers', 'starts with "{" but is not valid JSON', HEADERS_FIX);
  }
  if (!isObject(parsed)) throw new InputError('headers', 'is JSON but not an object', HEADERS_FIX);
  return Object.entries(parsed).map(([name, value], i) => {
    const where = `key ${i + 1}`;
    if (typeof value !== 'string')
      throw new InputError('headers', `${where} has a value that is not a string`, HEADERS_FIX);
    return { name, value, where };
  });
}
