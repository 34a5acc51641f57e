import type { MaybePromise } from './dedupe.js';

/** The leases this instance holds while their handlers run, renewed together. */
export interface LeaseKeeper {
  hold(key: string, owner: string): void;
  drop(key: string): void;
}

/**
 * Renews every held lease each `leaseMs / 3`, so a lease survives two missed
 * renewals (a slow store, a long GC pause) and still frees within `leaseMs` of
 * a crash. One unref'd interval for all of them, stopped once none is held.
 *
 * @param renew - extends one lease; resolves false when it was lost
 * @param onLost - told when a renewal found the lease gone (another owner may now run the same delivery)
 */
export function createLeaseKeeper(
  leaseMs: number,
  renew: (key: string, owner: string) => MaybePromise<boolean>,
  onLost: (key: string) => void,
): LeaseKeeper {
  const held = new Map<string, string>();
  let interval: ReturnType<typeof setInterval> | undefined;

  function renewAll(): void {
    // Stopped here rather than in drop(): a burst of quick handlers does not start and stop it each time.
    if (held.size === 0 && interval !== undefined) {
      clearInterval(interval);
      interval = undefined;
    }
    for (const [key, owner] of held) {
      void Promise.resolve(renew(key, owner)).then((kept) => {
        if (!kept && held.get(key) === owner) {
          held.delete(key);
          onLost(key);
        }
      });
    }
  }

  return {
    hold(key, owner) {
      held.set(key, owner);
      if (interval === undefined) {
        interval = setInterval(renewAll, Math.max(1, leaseMs / 3));
        (interval as { unref?: () => void }).unref?.();
      }
    },
    drop(key) {
      held.delete(key);
    },
  };
}
