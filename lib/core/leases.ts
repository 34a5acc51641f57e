import type { MaybePromise } from './maybe.js';

/** The leases this instance holds while their handlers run, renewed together. */
export interface LeaseKeeper {
  /** Renews `owner`'s lease on `key` until dropped; `attempt` is the claim's, should the key have to be re-created. */
  hold(key: string, owner: string, attempt: number): void;
  drop(key: string): void;
}

/**
 * Renews every held lease each `leaseMs / 3`, so a lease survives two missed
 * renewals (a slow store, a long GC pause) and still frees within `leaseMs` of
 * a crash. One unref'd interval for all of them, stopped once none is held.
 *
 * @param renew - extends one lease (re-creating a vanished key); resolves false when another owner has it
 * @param onLost - told when a renewal found the lease gone (another owner may now run the same delivery)
 */
export function createLeaseKeeper(
  leaseMs: number,
  renew: (key: string, owner: string, attempt: number) => MaybePromise<boolean>,
  onLost: (key: string) => void,
): LeaseKeeper {
  const held = new Map<string, { readonly owner: string; readonly attempt: number }>();
  let interval: ReturnType<typeof setInterval> | undefined;

  function renewAll(): void {
    // Stopped here rather than in drop(): a burst of quick handlers does not start and stop it each time.
    if (held.size === 0 && interval !== undefined) {
      clearInterval(interval);
      interval = undefined;
    }
    for (const [key, lease] of held) {
      void Promise.resolve(renew(key, lease.owner, lease.attempt)).then((kept) => {
        if (!kept && held.get(key) === lease) {
          held.delete(key);
          onLost(key);
        }
      });
    }
  }

  return {
    hold(key, owner, attempt) {
      held.set(key, { owner, attempt });
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
