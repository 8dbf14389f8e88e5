/**
 * A per-provider queue. Local servers serve one generation well and several badly (Ollama users
 * report freezes under concurrency), and an in-process model has a single context sequence, so
 * providers run one request at a time unless told otherwise.
 */

/** Hands out at most `concurrency` slots; later callers wait in arrival order. */
export interface Queue {
  /** Waits for a slot; the returned function gives it back (calling it twice is harmless). */
  acquire(signal?: AbortSignal): Promise<() => void>;
  /** Slots in use. */
  readonly active: number;
  /** Callers waiting for a slot. */
  readonly waiting: number;
}

export function createQueue(concurrency = 1): Queue {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
  let active = 0;
  const waiters: Array<() => void> = [];

  const grant = (): (() => void) => {
    active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      active--;
      // Hand the slot straight to the next waiter so no newcomer can overtake it.
      const next = waiters.shift();
      if (next) next();
    };
  };

  return {
    get active() {
      return active;
    },
    get waiting() {
      return waiters.length;
    },
    acquire(signal) {
      signal?.throwIfAborted();
      if (active < concurrency && waiters.length === 0) return Promise.resolve(grant());
      return new Promise((resolve, reject) => {
        const wake = (): void => {
          signal?.removeEventListener("abort", onAbort);
          resolve(grant());
        };
        const onAbort = (): void => {
          const i = waiters.indexOf(wake);
          if (i >= 0) waiters.splice(i, 1);
          reject(signal?.reason);
        };
        waiters.push(wake);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
  };
}
