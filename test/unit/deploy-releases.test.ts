import {
  badFileName,
  idFromPointer,
  newReleaseId,
  parseRecordLines,
  parseReleaseState,
  RELEASE_ID,
  selectPrunable,
  type ReleaseRecord,
} from '../../src/deploy/releases.js';

const at = (minute: number): ReleaseRecord => {
  const createdAt = new Date(Date.UTC(2026, 10, 23, 17, minute)).toISOString();
  return {
    id: `r${String(minute).padStart(2, '0')}`,
    app: 'shop',
    createdAt,
    outcome: 'deployed',
    images: {},
    services: [],
    composeFiles: [],
    composeHash: 'x',
  };
};
const ids = (list: readonly ReleaseRecord[]) => list.map((r) => r.id);

describe('release ids', () => {
  it('look like backup ids and sort by time', () => {
    const times = [0, 1, 999, 1000, 59_000, 3_600_000, 86_400_000 * 40].map(
      (ms) => new Date(Date.UTC(2026, 0, 1) + ms),
    );
    const made = times.map(newReleaseId);
    for (const id of made) {
      expect(id).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{4}$/);
      expect(id).toMatch(RELEASE_ID);
    }
    expect(made[0]!.startsWith('20260101T000000Z-')).toBe(true);
    const bySecond = made.map((id) => id.slice(0, 16));
    expect([...bySecond].sort()).toEqual(bySecond);
  });

  it('a pointer names the id after releases/', () => {
    expect(idFromPointer('releases/20261123T170102Z-1a2b\n')).toBe('20261123T170102Z-1a2b');
    expect(idFromPointer('/opt/shop/.belay/releases/r1/')).toBe('r1');
    expect(idFromPointer('/etc')).toBeUndefined();
    expect(idFromPointer('releases/..')).toBeUndefined();
  });
});

describe('file names', () => {
  it.each(['compose.yml', '.env', 'docker-compose.prod.yml', 'images override.yml'])('%j is fine', (name) => {
    expect(badFileName(name)).toBeUndefined();
  });
  it.each([
    ['', 'it is not a file name'],
    ['..', 'it is not a file name'],
    ['a/b', 'it contains a slash'],
    ['a\\b', 'it contains a slash'],
    ['x..y', 'it contains ".."'],
    ['a\nb', 'it contains a control character'],
    ['release.json', 'release.json is the record itself'],
    ['x'.repeat(256), 'it is longer than 255 characters'],
  ])('%j is refused: %s', (name, why) => {
    expect(badFileName(name)).toBe(why);
  });
});

describe('prune selection', () => {
  const list = [at(5), at(1), at(3), at(2), at(4), at(6)];

  it('keeps the newest `keep` by time and the protected ones; oldest first', () => {
    expect(ids(selectPrunable(list, 2, []))).toEqual(['r01', 'r02', 'r03', 'r04']);
    expect(ids(selectPrunable(list, 2, ['r02', 'r04']))).toEqual(['r01', 'r03']);
    expect(ids(selectPrunable(list, 0, ['r06']))).toEqual(['r01', 'r02', 'r03', 'r04', 'r05']);
    expect(selectPrunable(list, 10, [])).toEqual([]);
  });

  it('refuses a keep that is not a whole number', () => {
    expect(() => selectPrunable(list, -1, [])).toThrow();
    expect(() => selectPrunable(list, 1.5, [])).toThrow();
  });
});

describe('listing', () => {
  it('keeps records whose id is their folder name, oldest first', () => {
    const [a, b] = [at(2), at(1)];
    const text = [
      `${a.id}\t${JSON.stringify(a)}`,
      `${b.id}\t${JSON.stringify(b)}`,
      `copy\t${JSON.stringify(a)}`,
      `broken\t{"id":`,
      'no tab at all',
      '',
    ].join('\n');
    expect(ids(parseRecordLines(text))).toEqual(['r01', 'r02']);
  });
});

describe('the release state read with the lock', () => {
  const line = (r: ReleaseRecord) => `record\t${r.id}\t${JSON.stringify(r)}`;
  const then = (...lines: string[]) => ({ code: 0, stdout: lines.join('\n'), stderr: '' });
  const parse = (t: ReturnType<typeof then>) => parseReleaseState(t, 'deploy@vps:22', '/opt/shop');

  it('gives current, its record as previous, and every record oldest first, among other lines', () => {
    const state = parse(then('compose plugin', 'current\treleases/r02', line(at(5)), line(at(2)), 'state read', ''));
    expect(state.current).toBe('r02');
    expect(state.previous?.id).toBe('r02');
    expect(ids(state.records)).toEqual(['r02', 'r05']);
  });

  it('a first deploy: no pointer, no records', () => {
    expect(parse(then('state read'))).toEqual({ records: [] });
  });

  it('a pointer to a folder without a record leaves no previous; records in the wrong folder are skipped', () => {
    const moved = { ...at(3), id: 'r99' };
    const state = parse(then('current\treleases/r07', `record\tr03\t${JSON.stringify(moved)}`, 'state read'));
    expect(state.current).toBe('r07');
    expect(state.previous).toBeUndefined();
    expect(state.records).toEqual([]);
  });

  it('refuses a current record that cannot be read, a pointer elsewhere, and a step that did not finish', () => {
    expect(() => parse(then('current\treleases/r02', 'record\tr02\t{"id":', 'state read'))).toThrow(
      '/opt/shop/.belay/releases/r02/release.json on deploy@vps:22 is not a readable belay release record',
    );
    expect(() => parse(then('current\t/etc', 'state read'))).toThrow(
      '/opt/shop/.belay/current on deploy@vps:22 points to "/etc", not to a release',
    );
    expect(() => parse({ code: 1, stdout: '', stderr: 'mkdir: cannot create directory: Permission denied\n' })).toThrow(
      'Could not read the releases in /opt/shop/.belay on deploy@vps:22: mkdir: cannot create directory: Permission denied.',
    );
    expect(() => parse(then('current\treleases/r02'))).toThrow('Could not read the releases');
  });
});
