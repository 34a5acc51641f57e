/**
 * A failed handler under `ack: 'immediate'` (issue 18, item 14): the claim is
 * released, so a later copy (PiAPI's re-send of a terminal status, or the
 * recovery) is handled again with `ctx.attempt` 2; and the documentation's ack table
 * (docs/dedupe-and-leases.md, linked from the README) says so.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { createApp, gate } from '../helpers/apps.js';
import { notification, SECRET } from '../helpers/notifications.js';
import { eventually } from '../helpers/wait.js';

describe("a failed handler under ack: 'immediate'", () => {
  it('is answered 200, its claim released, and a later copy is handled again with attempt 2', async () => {
    const attempts: number[] = [];
    const errors: unknown[] = [];
    const failed = gate();
    const { app, hook } = createApp(express, {
      onTask: (_task, context) => {
        attempts.push(context.attempt);
        if (context.attempt === 1) throw new Error('database down');
      },
      onError: (error) => {
        errors.push(error);
        failed.open();
      },
    });
    const body = JSON.stringify(notification({ task_id: 'fails-once', status: 'completed' }));
    const post = () =>
      request(app)
        .post('/piapi/webhook')
        .set('content-type', 'application/json')
        .set('x-webhook-secret', SECRET)
        .send(body);

    expect((await post()).status).toBe(200);
    await failed.promise;
    await hook.settled();
    expect((await post()).headers['x-piapi-webhook-outcome']).toBe('accepted');
    await eventually(() => attempts.length === 2, 'the copy to be handled');
    await hook.settled();
    expect(attempts).toEqual([1, 2]);
    expect(errors).toHaveLength(1);
    // Handled now: a third copy is a duplicate.
    expect((await post()).headers['x-piapi-webhook-outcome']).toBe('duplicate');
  });

  it("is described as it behaves in the documentation's ack table", () => {
    const page = readFileSync(join(__dirname, '..', '..', 'docs', 'dedupe-and-leases.md'), 'utf8');
    const row = page.split('\n').find((line) => line.startsWith("| `'immediate'` (default)"));
    expect(row).toBeDefined();
    expect(row).not.toContain('stays claimed');
    expect(row).toContain('the claim is released');
    expect(row).toContain('`ctx.attempt` 2');
  });
});
