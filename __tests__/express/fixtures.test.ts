import request from 'supertest';
import type { PiapiTask } from '../../lib/index.js';
import { createApp, expressVersions, settle } from '../helpers/apps.js';
import { fixtureNames, loadFixture, SECRET } from '../helpers/notifications.js';

describe.each(expressVersions)('documented PiAPI notifications on %s', (_version, express) => {
  it.each(fixtureNames)('accepts %s and hands over its task, without the secret', async (name) => {
    const body = loadFixture(name);
    // Each fixture is delivered "now", on the clock the fixture was captured at.
    const { app, received } = createApp(express, { now: () => body.timestamp * 1000 });
    const response = await request(app)
      .post('/piapi/webhook')
      .set('content-type', 'application/json')
      .set('x-webhook-secret', SECRET)
      .send(JSON.stringify(body));
    await settle();

    expect(response.status).toBe(200);
    expect(received).toHaveLength(1);
    const task = received[0]?.task as PiapiTask;
    const { config, ...rest } = body.data;
    const { secret: _echoed, ...webhookConfig } = config?.webhook_config ?? {};
    expect(task).toEqual({
      ...rest,
      status: body.data.status.toLowerCase(),
      config: { ...config, webhook_config: webhookConfig },
    });
    expect(JSON.stringify(task)).not.toContain(SECRET);
  });
});
