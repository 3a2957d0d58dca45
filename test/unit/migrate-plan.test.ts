import { createHash } from 'node:crypto';
import { planMigrations, type LedgerRow } from '../../src/migrate/plan.js';
import type { Migration } from '../../src/migrate/types.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

function migration(index: number, name: string, text = `create table t${index} (id int);\n`): Migration {
  const crlf = text.replace(/\n/g, '\r\n');
  return {
    name,
    file: `${name}.sql`,
    index,
    checksum: sha(text),
    equivalentChecksums: [sha(text), sha(crlf)],
    text,
    statements: [{ sql: text, line: 1 }],
  };
}

const applied = (m: Migration, checksum = m.checksum): LedgerRow => ({ name: m.name, checksum, state: 'applied' });

const [m1, m2, m3] = [migration(0, '0001_init'), migration(1, '0002_users'), migration(2, '0003_orders')];

describe('planMigrations', () => {
  it('verifies what is applied and lists what is pending, in folder order', () => {
    const plan = planMigrations([m1, m2, m3], [applied(m1)]);
    expect(plan.problems).toEqual([]);
    expect(plan.entries.map((e) => [e.name, e.status])).toEqual([
      ['0001_init', 'applied'],
      ['0002_users', 'pending'],
      ['0003_orders', 'pending'],
    ]);
    expect(plan.pending.map((m) => m.name)).toEqual(['0002_users', '0003_orders']);
  });

  it('refuses an edited migration, naming the file and both checksums', () => {
    const plan = planMigrations([m1, m2], [applied(m1, sha('create table t0 (id bigint);\n')), applied(m2)]);
    expect(plan.problems).toHaveLength(1);
    expect(plan.problems[0]).toMatchObject({ name: '0001_init', status: 'edited', file: '0001_init.sql' });
    expect(plan.problems[0]!.message).toContain(`found ${m1.checksum}`);
    expect(plan.problems[0]!.message).toContain('belay migrate accept 0001_init');
  });

  it('counts the CRLF checkout of an applied file as the same file, and nothing else', () => {
    const crlfChecksum = sha(m1.text.replace(/\n/g, '\r\n'));
    expect(planMigrations([m1], [applied(m1, crlfChecksum)]).problems).toEqual([]);
    const spaced = sha(m1.text.replace('(id', '( id'));
    expect(planMigrations([m1], [applied(m1, spaced)]).problems[0]?.status).toBe('edited');
  });

  it('refuses an applied migration whose file is gone', () => {
    const plan = planMigrations([m2], [applied(m1), applied(m2)]);
    expect(plan.problems).toEqual([expect.objectContaining({ name: '0001_init', status: 'missing' })]);
    expect(plan.entries.at(-1)).toMatchObject({ name: '0001_init', status: 'missing' });
  });

  it('refuses a pending migration that sorts before the newest applied one, unless allowed', () => {
    const plan = planMigrations([m1, m2, m3], [applied(m1), applied(m3)]);
    expect(plan.problems).toEqual([expect.objectContaining({ name: '0002_users', status: 'out-of-order' })]);
    expect(plan.problems[0]!.message).toContain('sorts before 0003_orders');
    expect(plan.pending).toEqual([]);
    const allowed = planMigrations([m1, m2, m3], [applied(m1), applied(m3)], { allowOutOfOrder: true });
    expect(allowed.problems).toEqual([]);
    expect(allowed.pending.map((m) => m.name)).toEqual(['0002_users']);
  });

  it('reports a half-applied migration (started outside a transaction, never finished)', () => {
    const plan = planMigrations([m1, m2], [applied(m1), { name: m2.name, checksum: m2.checksum, state: 'started' }]);
    expect(plan.problems).toEqual([expect.objectContaining({ name: '0002_users', status: 'half-applied' })]);
    expect(plan.pending).toEqual([]);
  });

  it('verifies a ledger of 10,000 applied migrations (the timing is in bench/, not here)', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => migration(i, `m${String(i).padStart(5, '0')}`));
    const plan = planMigrations(
      many,
      many.map((m) => applied(m)),
    );
    expect(plan.problems).toEqual([]);
    expect(plan.entries).toHaveLength(10_000);
  });
});
