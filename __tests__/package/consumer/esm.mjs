import express from 'express';
import express4 from 'express4';
import * as main from 'piapi-webhook';
import { memoryStore, piapiWebhook, REJECTION_STATUS } from 'piapi-webhook';
import * as fetchEntry from 'piapi-webhook/fetch';
import * as fastifyEntry from 'piapi-webhook/fastify';
import { redisStore } from 'piapi-webhook/redis';
import { upstashStore } from 'piapi-webhook/upstash';
import { sqlStore } from 'piapi-webhook/sql';
import { createNotification, fixture, fixtureNames } from 'piapi-webhook/testing';
import scenario from './scenario.cjs';

// The entries share one copy of the core (dist/esm splits them into shared chunks): instanceof holds when an app mixes them.
const shared = [
  'PiapiWebhookConfigError',
  'PiapiWebhookRejection',
  'PiapiWebhookStoreError',
  'PiapiWebhookHandlerTimeoutError',
  'PiapiWebhookWatchError',
  'memoryStore',
];
for (const [entryName, entry] of [
  ['fetch', fetchEntry],
  ['fastify', fastifyEntry],
]) {
  if (!shared.every((name) => typeof main[name] === 'function' && entry[name] === main[name]))
    throw new Error(`piapi-webhook and piapi-webhook/${entryName} do not share their classes`);
}
if (REJECTION_STATUS.invalid_secret !== 401) throw new Error('REJECTION_STATUS is not exported');
if (typeof redisStore !== 'function' || typeof memoryStore !== 'function')
  throw new Error('a store factory is not exported');
scenario.expectCoreConfigError(redisStore, main.PiapiWebhookConfigError);
scenario.expectCoreConfigError(upstashStore, main.PiapiWebhookConfigError, 'upstash');
scenario.expectCoreConfigError(sqlStore, main.PiapiWebhookConfigError, 'piapi-webhook/sql');
if (createNotification().data.status !== 'completed' || fixtureNames.length === 0)
  throw new Error('piapi-webhook/testing is broken');
// The fixtures come from fixtures.json (inlined in the ESM bundle): each one must load from this build.
if (fixtureNames.length !== 14 || !fixtureNames.every((name) => fixture(name).data.task_id.length > 0))
  throw new Error('piapi-webhook/testing lost its fixtures');
await scenario.run('esm express5', express, piapiWebhook);
await scenario.run('esm express4', express4, piapiWebhook);
