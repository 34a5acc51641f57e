import { piapiWebhookHandler } from '../../lib/fetch/index.js';
import { createNotification, createRequest } from '../../lib/testing/index.js';
import { SECRET } from '../helpers/notifications.js';

describe('createRequest (piapi-webhook/testing)', () => {
  it('builds the Request PiAPI would send: a JSON POST with the secret in x-webhook-secret', async () => {
    const notification = createNotification({ status: 'completed' });
    const request = createRequest(notification, { secret: SECRET });
    expect(request.method).toBe('POST');
    expect(request.url).toBe('http://localhost/piapi/webhook');
    expect(request.headers.get('content-type')).toBe('application/json');
    expect(request.headers.get('x-webhook-secret')).toBe(SECRET);
    expect(await request.json()).toEqual(notification);
  });

  it('is addressed to the url given', () => {
    expect(createRequest(createNotification(), { secret: SECRET, url: 'https://example.com/hooks/piapi' }).url).toBe(
      'https://example.com/hooks/piapi',
    );
  });

  it('drives a Fetch handler end to end, as docs/testing.md shows', async () => {
    const handled: string[] = [];
    const handle = piapiWebhookHandler({ secret: SECRET, onTask: (task) => void handled.push(task.task_id) });
    const notification = createNotification();
    const pending: Array<Promise<unknown>> = [];
    const response = await handle(createRequest(notification, { secret: SECRET }), {
      waitUntil: (work) => pending.push(work),
    });
    expect(response.status).toBe(200);
    await Promise.all(pending);
    expect(handled).toEqual([notification.data.task_id]);
    expect((await handle(createRequest(notification, { secret: 'wrong' }))).status).toBe(401);
  });
});
