import express from 'express';
import express4 from 'express4';
import { memoryStore, piapiWebhook, REJECTION_STATUS } from 'piapi-webhook';
import { redisStore } from 'piapi-webhook/redis';
import { createNotification, fixture, fixtureNames } from 'piapi-webhook/testing';
import scenario from './scenario.cjs';

if (REJECTION_STATUS.invalid_secret !== 401) throw new Error('REJECTION_STATUS is not exported');
if (typeof redisStore !== 'function' || typeof memoryStore !== 'function') throw new Error('a store factory is not exported');
if (createNotification().data.status !== 'completed' || fixtureNames.length === 0) throw new Error('piapi-webhook/testing is broken');
// The fixtures are JSON files beside the module: each one must load from this build.
if (fixtureNames.length !== 14 || !fixtureNames.every((name) => fixture(name).data.task_id.length > 0)) throw new Error('piapi-webhook/testing lost its fixtures');
await scenario.run('esm express5', express, piapiWebhook);
await scenario.run('esm express4', express4, piapiWebhook);
