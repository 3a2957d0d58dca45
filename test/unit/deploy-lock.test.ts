import {
  breakCommand,
  describeOwner,
  lockAge,
  ownerPrefix,
  parseLockState,
  parseOwner,
  type LockOwner,
} from '../../src/deploy/lock.js';

const owner: LockOwner = {
  release: '20261123T170102Z-1a2b',
  run: 'https://github.com/acme/shop/actions/runs/42',
  actor: 'octo"cat',
  host: 'fv-az12',
  pid: 4242,
  time: '2026-11-23T17:01:02Z',
};

describe('owner record', () => {
  it('the prefix plus the server time and `"}` is the record, in a fixed key order', () => {
    const written = `${ownerPrefix({ ...owner, time: 'ignored' })}${owner.time}"}`;
    expect(parseOwner(written)).toEqual(owner);
    expect(written).toBe(JSON.stringify(owner));
  });

  it('leaves out what is not known', () => {
    const bare = { release: 'r1', host: 'h', pid: 1, time: '' };
    expect(ownerPrefix(bare)).toBe('{"release":"r1","host":"h","pid":1,"time":"');
  });

  it('anything that is not an owner record reads as none', () => {
    for (const text of ['', '{', '{"release":"r"}', 'null', '[1]', '{"release":1,"host":"h","pid":1,"time":"t"}']) {
      expect(parseOwner(text)).toBeUndefined();
    }
  });

  it('is described with release, actor, run and runner', () => {
    expect(describeOwner(owner)).toBe(
      'release 20261123T170102Z-1a2b (actor octo"cat, run https://github.com/acme/shop/actions/runs/42, runner fv-az12 pid 4242)',
    );
    expect(describeOwner({ release: 'r1', host: 'h', pid: 1, time: 't' })).toBe('release r1 (runner h pid 1)');
    expect(describeOwner(undefined)).toMatch(/^an unknown deploy/);
  });

  it('the command to break the lock by hand quotes the path', () => {
    expect(breakCommand('/opt/shop')).toBe('rm -rf -- /opt/shop/.belay/lock');
    expect(breakCommand("/srv/it's here/")).toBe("rm -rf -- '/srv/it'\\''s here/.belay/lock'");
  });
});

describe('lock state and age (server clock)', () => {
  const now = Date.parse('2026-11-23T18:01:02Z') / 1000;

  it('reads what the server printed and fingerprints that very lock', () => {
    const state = parseLockState(`held ${now}\n1234 ${now - 10}\n${JSON.stringify(owner)}\n`);
    expect(state).toEqual({
      now,
      owner,
      mtime: now - 10,
      fingerprint: `1234 ${now - 10}\n${JSON.stringify(owner)}`,
    });
    expect(lockAge(state)).toBe(3_600_000);
  });

  it('without a readable owner, the folder mtime gives the age', () => {
    const state = parseLockState(`held ${now}\n99 ${now - 7}\n{"half":`);
    expect(state.owner).toBeUndefined();
    expect(lockAge(state)).toBe(7_000);
    expect(
      lockAge(parseLockState(`held ${now}\n99 ${now - 7}\n{"release":"r","host":"h","pid":1,"time":"never"}`)),
    ).toBe(7_000);
  });

  it('a lock that vanished while looked at has no age and no fingerprint', () => {
    const state = parseLockState(`held ${now}\n`);
    expect(state.fingerprint).toBeUndefined();
    expect(lockAge(state)).toBeUndefined();
  });
});
