/** What an app-wide body parser leaves on the request, and how the middleware takes it (issue 11). */
import request from 'supertest';
import { createApp, expressVersions, settle } from '../helpers/apps.js';
import { notification, SECRET } from '../helpers/notifications.js';

const PATH = '/piapi/webhook';

describe.each(expressVersions)('parsed bodies on %s', (_version, express) => {
  function post(app: Parameters<typeof request>[0], raw: string) {
    return request(app).post(PATH).set('content-type', 'application/json').set('x-webhook-secret', SECRET).send(raw);
  }

  it.each(['null', '123', 'true', 'false', '0'])(
    'answers 400 invalid_payload (not 500 body_unavailable) for the scalar %s behind express.json({ strict: false })',
    async (raw) => {
      const { app, received } = createApp(express, {}, { before: [express.json({ strict: false })] });
      const response = await post(app, raw);
      await settle();
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_payload');
      expect(received).toHaveLength(0);
    },
  );

  it('refuses a double-encoded notification behind express.json({ strict: false }): PiAPI never sends one', async () => {
    const { app, received } = createApp(express, {}, { before: [express.json({ strict: false })] });
    const response = await post(app, JSON.stringify(JSON.stringify(notification())));
    await settle();
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_payload', message: expect.stringContaining('encoded twice') });
    expect(received).toHaveLength(0);
  });

  it('parses the raw text express.text() leaves, non-ASCII included', async () => {
    const { app, received } = createApp(express, {}, { before: [express.text({ type: '*/*' })] });
    const response = await post(app, JSON.stringify(notification({ task_id: 'tâche-✓' })));
    await settle();
    expect(response.status).toBe(200);
    expect(received[0]?.task.task_id).toBe('tâche-✓');
  });

  it('parses what express.text() leaves of a body that began with a byte order mark', async () => {
    const { app, received } = createApp(express, {}, { before: [express.text({ type: '*/*' })] });
    const response = await post(app, `\uFEFF${JSON.stringify(notification())}`);
    await settle();
    expect(response.status).toBe(200);
    expect(received).toHaveLength(1);
  });

  it('refuses a double-encoded notification behind express.text() too: its text is a JSON string', async () => {
    const { app, received } = createApp(express, {}, { before: [express.text({ type: '*/*' })] });
    const response = await post(app, JSON.stringify(JSON.stringify(notification())));
    await settle();
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_payload');
    expect(received).toHaveLength(0);
  });
});
