// Commands waiting for the daemon's answer, matched by command id, each with its own deadline. The
// result topic is shared by every client logged in as the same user: answers to other ids are ignored.

import type { CommandResult } from './contract.js';

export type Settled =
  | { kind: 'answer'; result: CommandResult }
  | { kind: 'timeout'; afterMs: number }
  | { kind: 'cancelled'; reason: string };

interface Waiter {
  settle: (s: Settled) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class PendingAnswers {
  private readonly waiting = new Map<string, Waiter>();

  get size(): number {
    return this.waiting.size;
  }

  /** Resolves with the answer to `id`, or a timeout after `timeoutMs`. */
  wait(id: string, timeoutMs: number): Promise<Settled> {
    if (this.waiting.has(id))
      return Promise.resolve({ kind: 'cancelled', reason: `duplicate command id ${id}` });
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.finish(id, { kind: 'timeout', afterMs: timeoutMs }), timeoutMs);
      this.waiting.set(id, { settle: resolve, timer });
    });
  }

  /** An answer arrived: settles its waiter; false when nobody here waits for that id. */
  answer(result: CommandResult): boolean {
    if (result.id === null || !this.waiting.has(result.id)) return false;
    this.finish(result.id, { kind: 'answer', result });
    return true;
  }

  /** The command could not be sent after all: stop waiting for it. */
  forget(id: string, reason: string): void {
    this.finish(id, { kind: 'cancelled', reason });
  }

  cancelAll(reason: string): void {
    for (const id of [...this.waiting.keys()]) this.finish(id, { kind: 'cancelled', reason });
  }

  private finish(id: string, settled: Settled): void {
    const waiter = this.waiting.get(id);
    if (!waiter) return;
    this.waiting.delete(id);
    clearTimeout(waiter.timer);
    waiter.settle(settled);
  }
}
