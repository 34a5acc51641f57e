// The cold-start check: each scenario of cold-start-child.cjs in fresh processes,
// interleaved (express, fetch, express-entry, fetch-upstash, express, …) so that drift hits all
// alike. Prints a Markdown table of medians and the ratios against the targets.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { median, verdict } from './stats.mjs';

const run = promisify(execFile);
const CHILD = new URL('./cold-start-child.cjs', import.meta.url).pathname;

async function once(scenario) {
  const { stdout } = await run(process.execPath, [CHILD, scenario], { cwd: new URL('..', import.meta.url).pathname });
  return JSON.parse(stdout);
}

/** @param {number} processes - fresh processes per scenario */
export async function coldStart(processes) {
  const samples = { express: [], fetch: [], 'express-entry': [], 'fetch-upstash': [] };
  for (let index = 0; index < processes; index += 1) {
    for (const scenario of Object.keys(samples)) samples[scenario].push(await once(scenario));
  }
  const entry = samples['express-entry'];
  const express = median(samples.express.map((times) => times.express));
  const fetchEntry = median(samples.fetch.map((times) => times.piapi));
  // Paired: piapi's share against the require('express') of the same process.
  const expressEntryRatio = median(entry.map((times) => times.piapi / times.express));
  // The upstash entry's cost: measured apart inside its processes (precise), and as the difference of the
  // two scenarios' medians (what an app sees, but across processes, so within their noise).
  const upstashPart = median(samples['fetch-upstash'].map((times) => times.upstash));
  const emptyModule = median(samples['fetch-upstash'].map((times) => times.emptyModule));
  const upstashDifference = median(samples['fetch-upstash'].map((times) => times.piapi)) - fetchEntry;
  /** The median and the range of a list of milliseconds, as table cells. */
  const cells = (values) =>
    `${median(values).toFixed(1)} | ${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)}`;
  return [
    '| in a fresh process | median ms | range ms |',
    '|---|---:|---:|',
    `| \`require('express')\` alone | ${cells(samples.express.map((times) => times.express))} |`,
    `| Fetch entry: \`import('piapi-webhook/fetch')\` + \`piapiWebhookHandler()\` + first answer | ${cells(samples.fetch.map((times) => times.piapi))} |`,
    `| Fetch entry with upstashStore: \`import('piapi-webhook/fetch')\` + \`import('piapi-webhook/upstash')\` + \`upstashStore()\` + \`piapiWebhookHandler()\` + first answer (claimed through the store) | ${cells(samples['fetch-upstash'].map((times) => times.piapi))} |`,
    `| of which \`import('piapi-webhook/upstash')\` + \`upstashStore()\`, after the Fetch entry | ${cells(samples['fetch-upstash'].map((times) => times.upstash))} |`,
    `| for scale: \`import()\` of an empty ES module, next in the same processes | ${cells(samples['fetch-upstash'].map((times) => times.emptyModule))} |`,
    `| \`require('express')\`, in the Express entry's processes | ${cells(entry.map((times) => times.express))} |`,
    `| Express entry, after \`require('express')\`: \`require('piapi-webhook')\` + \`piapiWebhook()\` + first answer | ${cells(entry.map((times) => times.piapi))} |`,
    '',
    `Fetch entry / \`require('express')\`: **${(fetchEntry / express).toFixed(2)}** (target ≤ 0.15: ${verdict(fetchEntry / express, 0.15, 'max')})`,
    `upstash entry on top of the Fetch entry: **+${upstashPart.toFixed(2)} ms** measured in its processes (target ≤ +1 ms: ${verdict(upstashPart, 1, 'max')}); the two scenarios' medians differ by ${upstashDifference >= 0 ? '+' : ''}${upstashDifference.toFixed(1)} ms, within the noise of separate processes. Of that, ${emptyModule.toFixed(2)} ms is what Node's ESM loader charges for any one more module imported on its own (the empty module's row); an app that bundles (Next.js, Workers) does not pay it. \`@upstash/redis\` is not counted: it is loaded, and a client of it made and used once, before the clock starts; the client's requests are answered in-process, as Upstash's REST API answers them, so no network time is counted either.`,
    `Express entry / \`require('express')\` in the same process: **${expressEntryRatio.toFixed(2)}** (target ≤ 0.20: ${verdict(expressEntryRatio, 0.2, 'max')})`,
    '',
    `${processes} fresh processes per scenario, interleaved; the clock starts after Node has started, and for the Fetch entry after Node's ESM loader has loaded a file and resolved a package, as an ESM app's own start-up does.`,
  ].join('\n');
}
