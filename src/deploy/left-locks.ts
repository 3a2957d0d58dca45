/**
 * Deploy locks a run holds, written to the action's step state as they are taken and released. A cancelled job
 * never reaches the deploy's `finally`; the action's post step (which the runner runs after a cancel too) reads
 * what is left here and releases those locks if they are still this run's (src/deploy/run.ts releaseLeftLocks).
 */
import { z } from 'zod';
import type { Reporter } from '../report/reporter.js';
import type { HostTarget } from '../transport/types.js';
import { ownerSchema, type LockOwner } from './lock.js';

/** The step state's name. */
export const LEFT_LOCKS = 'belay-deploy-locks';

export interface LeftLock {
  readonly target: HostTarget;
  readonly appDir: string;
  readonly owner: LockOwner;
}

const leftLocks = z.array(
  z.object({
    target: z.object({ user: z.string(), host: z.string(), port: z.number().int() }),
    appDir: z.string(),
    owner: ownerSchema,
  }),
);

export class LockLedger {
  private readonly held = new Map<string, LeftLock>();

  constructor(private readonly reporter: Reporter) {}

  taken(target: HostTarget, appDir: string, owner: LockOwner): void {
    this.held.set(key(target, appDir), { target, appDir, owner });
    this.save();
  }

  released(target: HostTarget, appDir: string): void {
    this.held.delete(key(target, appDir));
    this.save();
  }

  private save(): void {
    this.reporter.saveState?.(LEFT_LOCKS, this.held.size ? JSON.stringify([...this.held.values()]) : '');
  }
}

const key = (t: HostTarget, appDir: string) => `${t.user}@${t.host}:${t.port}/${appDir}`;

/** The locks the main step left, from its saved state ('' or unreadable: none). */
export function parseLeftLocks(text: string): LeftLock[] {
  if (!text) return [];
  try {
    const parsed = leftLocks.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}
