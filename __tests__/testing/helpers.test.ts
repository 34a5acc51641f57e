import type { Server } from 'node:http';
import express from 'express';
import request from 'supertest';
import { piapiWebhook, type PiapiTask } from '../../lib/index.js';
import { FIXTURE_KINDS } from '../../lib/testing/fixtures.js';
import fixturesJson from '../../lib/testing/fixtures.json';
import {
  createNotification,
  deliveryHeaders,
  fixture,
  fixtureNames,
  sendNotification,
} from '../../lib/testing/index.js';

const secret = 'test-secret';

function appRecording() {
  const received: PiapiTask[] = [];
  const app = express();
  app.post('/piapi/webhook', piapiWebhook({ secret, onTask: (task) => void received.push(task) }));
  return { app, received };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('createNotification', () => {
  it('makes a notification for now that piapiWebhook accepts as is', async () => {
    const { app, received } = appRecording();
    const notification = createNotification();
    expect(Math.abs(notification.timestamp - Date.now() / 1000)).toBeLessThan(5);
    const answer = await sendNotification(app, notification, { secret });
    await settle();
    expect([answer.status, answer.body]).toEqual([200, { ok: true }]);
    expect(received.map((task) => task.task_id)).toEqual([notification.data.task_id]);
  });

  it('gives every call its own task_id, so that two notifications are never duplicates', () => {
    expect(createNotification().data.task_id).not.toBe(createNotification().data.task_id);
  });

  it('applies overrides to data and to the timestamp', () => {
    const notification = createNotification({
      status: 'processing',
      model: 'kling',
      task_type: 'video_generation',
      output: { progress: 40 },
      task_id: 'mine',
      timestamp: 1234,
    });
    expect(notification).toMatchObject({
      timestamp: 1234,
      data: {
        status: 'processing',
        model: 'kling',
        task_type: 'video_generation',
        output: { progress: 40 },
        task_id: 'mine',
      },
    });
  });

  it('returns copies: changing one does not change the next', () => {
    const first = createNotification();
    (first.data.output as Record<string, unknown>)['image_url'] = 'changed';
    expect(createNotification().data.output?.['image_url']).not.toBe('changed');
  });
});

describe('fixture', () => {
  it.each(fixtureNames)('%s is accepted by piapiWebhook as is', async (name) => {
    const { app, received } = appRecording();
    const answer = await sendNotification(app, fixture(name), { secret });
    await settle();
    expect(answer.status).toBe(200);
    expect(received).toHaveLength(1);
  });

  it('ships the documented models and statuses', () => {
    const shipped = fixtureNames.map((name) => fixture(name).data);
    expect(new Set(shipped.map((task) => task.model))).toEqual(
      new Set([
        'midjourney',
        'music-s',
        'luma',
        'kling',
        'Qubico/flux1-dev',
        'Qubico/flux1-schnell',
        'Qubico/image-toolkit',
      ]),
    );
    expect(new Set(shipped.map((task) => task.status))).toEqual(
      new Set(['pending', 'processing', 'staged', 'completed', 'failed']),
    );
  });

  it.each(fixtureNames)('%s is what its name says: the model, task type and output its type promises', (name) => {
    const [model, taskType, output] = FIXTURE_KINDS[name];
    const { data } = fixture(name);
    expect([data.model, data.task_type]).toEqual([model, taskType]);
    if (output === 'null') expect(data.output).toBeNull();
    else expect(data.output).toEqual(expect.any(Object));
  });

  it('lists exactly the fixtures in the JSON data', () => {
    expect([...fixtureNames]).toEqual(Object.keys(fixturesJson).sort());
  });

  it('returns copies: changing one does not change the next', () => {
    fixture('midjourney-imagine-completed').data.output.image_url = 'changed';
    expect(fixture('midjourney-imagine-completed').data.output.image_url).not.toBe('changed');
  });

  it('refuses an unknown name, listing the known ones', () => {
    expect(() => fixture('nope' as never)).toThrow(/no fixture named "nope".*midjourney-imagine-completed/);
    expect(() => fixture('constructor' as never)).toThrow(/no fixture named "constructor"/);
  });
});

describe('sendNotification', () => {
  let server: Server;
  let url: string;
  let received: PiapiTask[];
  beforeAll(async () => {
    const recording = appRecording();
    received = recording.received;
    server = recording.app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/piapi/webhook`;
  });
  afterAll(() => {
    server.close();
  });

  it('posts to a URL, and reports the answer', async () => {
    const answer = await sendNotification(url, createNotification(), { secret: 'wrong' });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: 'invalid_secret', message: expect.any(String) });
  });

  it('posts to a listening server, at the path given', async () => {
    const before = received.length;
    expect((await sendNotification(server, createNotification(), { secret })).status).toBe(200);
    expect((await sendNotification(server, createNotification(), { secret, path: '/elsewhere' })).status).toBe(404);
    await settle();
    expect(received.length).toBe(before + 1);
  });

  it('fills in a supertest request, which can then be chained', async () => {
    const { app, received: handled } = appRecording();
    await sendNotification(request(app).post('/piapi/webhook'), createNotification({ status: 'failed' }), {
      secret,
    }).expect(200, { ok: true });
    await settle();
    expect(handled.map((task) => task.status)).toEqual(['failed']);
  });

  // Why piapiWebhook accepts these secrets and refuses the others: HTTP carries them.
  it('carries a secret with Latin-1 letters and an inner tab, which piapiWebhook accepts, end to end', async () => {
    const latin1 = 'pässwörd\tÿ-42';
    const received: PiapiTask[] = [];
    const app = express();
    app.post('/piapi/webhook', piapiWebhook({ secret: latin1, onTask: (task) => void received.push(task) }));
    const answer = await sendNotification(app, createNotification(), { secret: latin1 });
    await settle();
    expect(answer.status).toBe(200);
    expect(received).toHaveLength(1);
  });

  it('cannot put a secret beyond Latin-1 or with a newline in a header at all', async () => {
    await expect(sendNotification(url, createNotification(), { secret: 'himitsu-秘密' })).rejects.toThrow(
      /greater than 255/,
    );
    await expect(sendNotification(url, createNotification(), { secret: 'line1\nline2' })).rejects.toThrow(/header/i);
  });

  it('refuses a target it cannot deliver to', () => {
    expect(() => sendNotification(42 as never, createNotification(), { secret })).toThrow(TypeError);
  });
});

describe('deliveryHeaders', () => {
  it('has what PiAPI sends', () => {
    expect(deliveryHeaders('s')).toEqual({ 'content-type': 'application/json', 'x-webhook-secret': 's' });
  });
});
