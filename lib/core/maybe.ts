/** A value now, or later: stores may answer either way, and the Node path stays synchronous. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Whether `value` is a promise-like. Reading `then` can itself throw (a getter
 * on a hostile object), so callers reach it only inside a try.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/**
 * Applies `next` at once to a plain value, or once a promise resolves. The
 * Node path stays synchronous this way (the default store and node:crypto
 * answer at once), while Redis answers with promises.
 */
export function andThen<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** Calls `run`, and sends a sync throw or an async rejection to `onFailure`: nothing escapes. */
export function callSafely(run: () => unknown, onFailure: (error: unknown) => void): void {
  try {
    const result = run();
    if (isThenable(result)) Promise.resolve(result).then(undefined, onFailure);
  } catch (error) {
    onFailure(error);
  }
}
