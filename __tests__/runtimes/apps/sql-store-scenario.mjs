// The same short story for sqlStore in every runtime of sql.runtime.ts, on the driver's one-liner there:
// returns what the store answered at each step, for the test to compare. Time is the store's injected clock.
export async function scenario(sqlStore, dialect, query) {
  let time = 1_755_163_301_000;
  const statements = [];
  const counting = (sql, params, name) => {
    statements.push(sql.split(/\s/, 1)[0]);
    return query(sql, params, name);
  };
  const store = sqlStore({ dialect, query: counting, now: () => time, purgeEvery: 0 });
  await store.setup();
  await store.setup();
  const seen = {};
  statements.length = 0;
  seen.first = await store.claim('k', 'a', 10_000);
  seen.claimStatements = statements.length;
  seen.busy = await store.claim('k', 'b', 10_000);
  time += 10_000;
  seen.takeover = await store.claim('k', 'b', 10_000);
  seen.staleComplete = await store.complete('k', 'a', 3600);
  seen.complete = await store.complete('k', 'b', 3600);
  seen.done = await store.claim('k', 'c', 10_000);
  await store.watch('t', time - 1, time - 5);
  const [one, two] = await Promise.all([
    store.takeDueWatches(time, 10, time + 1000),
    store.takeDueWatches(time, 10, time + 1000),
  ]);
  seen.taken = [...one, ...two].map((watch) => ({ ...watch, watchedAt: watch.watchedAt - time }));
  time += 3_600_000;
  seen.purged = await store.purgeExpired(time, 100);
  seen.afterPurge = await store.claim('k', 'd', 10_000);
  return seen;
}
