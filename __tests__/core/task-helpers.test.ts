import { isKnownModel, isModel, isTaskOf, isTerminal, resultUrls, type PiapiTask } from '../../lib/index.js';
import { loadFixture } from '../helpers/notifications.js';

const task = (fields: Partial<PiapiTask>): PiapiTask => ({
  task_id: 't',
  model: 'm',
  task_type: 'x',
  status: 'pending',
  ...fields,
});

describe('isTerminal', () => {
  it.each([
    ['completed', true],
    ['failed', true],
    ['Completed', true],
    ['FAILED', true],
    ['pending', false],
    ['processing', false],
    ['staged', false],
    ['cancelled', false],
  ])('%s is terminal: %s', (status, expected) => {
    expect(isTerminal({ status })).toBe(expected);
  });
});

describe('resultUrls', () => {
  it('finds every Midjourney image, without duplicates', () => {
    const { data } = loadFixture('midjourney-imagine-completed');
    const urls = resultUrls(data);
    expect(urls).toHaveLength(5);
    expect(urls[0]).toBe(data.output?.['image_url']);
    expect(urls.slice(1)).toEqual(data.output?.['temporary_image_urls']);
  });

  it.each([
    ['suno-generate-music-custom-completed', /\.mp3$/],
    ['kling-video-generation-completed', /\.mp4$/],
    ['luma-video-generation-completed', /\.mp4$/],
    ['flux-txt2img-completed', /\.(png|jpg|webp)$/],
    ['faceswap-image-completed', /\.png$/],
  ] as const)('finds the results of %s', (name, pattern) => {
    const urls = resultUrls(loadFixture(name).data);
    expect(urls.some((url) => pattern.test(url))).toBe(true);
    expect(new Set(urls).size).toBe(urls.length);
    expect(urls.every((url) => /^https?:\/\//.test(url))).toBe(true);
  });

  it('finds nothing while a task has no output', () => {
    expect(resultUrls(loadFixture('flux-img2img-pending').data)).toEqual([]);
    expect(resultUrls(task({}))).toEqual([]);
  });

  it('ignores strings that are not URLs, and stops at a bounded depth', () => {
    let deep: unknown = 'https://example.com/too-deep.png';
    for (let level = 0; level < 20; level += 1) deep = { next: deep };
    const output = {
      note: 'see https://example.com/inline',
      ftp: 'ftp://example.com/x',
      list: ['http://example.com/a.png'],
      deep,
    };
    expect(resultUrls(task({ output }))).toEqual(['http://example.com/a.png']);
  });
});

describe('model narrowing at run time', () => {
  const midjourney = loadFixture('midjourney-imagine-completed').data;

  it('isModel and isTaskOf compare the model and the task type', () => {
    expect(isModel(midjourney, 'midjourney')).toBe(true);
    expect(isModel(midjourney, 'kling')).toBe(false);
    expect(isTaskOf(midjourney, 'midjourney', 'imagine')).toBe(true);
    expect(isTaskOf(midjourney, 'midjourney', 'upscale')).toBe(false);
  });

  it('isKnownModel knows the documented models only', () => {
    expect(isKnownModel(midjourney)).toBe(true);
    expect(isKnownModel(task({ model: 'Qubico/flux1-dev' }))).toBe(true);
    expect(isKnownModel(task({ model: 'veo3.1' }))).toBe(false);
  });
});
