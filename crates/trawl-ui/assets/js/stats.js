// Statistics of a run (GET /api/runs/{id}/stats: status codes, errors by
// kind, latency percentiles, pages/s over time, hosts) and its resources
// (GET /api/runs/{id}/samples: CPU and memory), polled while the run is
// active and the panel is shown.

import { get } from './api.js';
import { lineChart } from './charts.js';
import { facts, fill, h, table, whileShown } from './dom.js';
import * as format from './format.js';

/** Most samples kept in the page (an hour at one a second). */
const MAX_SAMPLES = 3600;

export function createStats(runId, { signal, notify, isActive }) {
  const body = h('div', { class: 'stats' }, h('p', { class: 'status' }, 'Loading statistics…'));

  const render = (stats) => {
    const latency = stats.latency || {};
    const bucket = stats.timeline_bucket_secs || 1;
    fill(body,
      h('div', { class: 'cards' },
        h('section', { 'aria-labelledby': 'stats-pages' }, h('h3', { id: 'stats-pages' }, 'Pages'),
          facts([
            ['finished', format.count(stats.pages)], ['ok', format.count(stats.pages_ok)],
            ['failed', format.count(stats.pages_failed)], ['skipped', format.count(stats.pages_skipped)],
            ['bytes', format.bytes(stats.bytes)], ['retries', format.count(stats.retries)],
          ])),
        h('section', { 'aria-labelledby': 'stats-items' }, h('h3', { id: 'stats-items' }, 'Items'),
          facts([
            ['extracted', format.count(stats.items_extracted)], ['stored', format.count(stats.items_stored)],
            ['duplicates', format.count(stats.items_duplicate)], ['dropped', format.count(stats.items_dropped)],
            ['warnings', format.count(stats.warnings)],
          ])),
        h('section', { 'aria-labelledby': 'stats-latency' }, h('h3', { id: 'stats-latency' }, 'Latency'),
          facts([
            ['p50', format.millis(latency.p50_millis)], ['p90', format.millis(latency.p90_millis)],
            ['p99', format.millis(latency.p99_millis)], ['max', format.millis(latency.max_millis)],
            ['mean', format.millis(latency.mean_millis)], ['responses', format.count(latency.count)],
          ]))),
      lineChart({
        id: 'chart-rate',
        title: `Pages per second (buckets of ${bucket} s)`,
        series: [{ label: 'pages/s', className: 'rate', points: (stats.timeline || []).map((point) => [point.offset_secs, point.pages_per_sec]) }],
        formatY: (value) => format.number(value),
        formatX: (value) => `${format.duration(value)}`,
      }),
      h('div', { class: 'cards' },
        table({
          caption: 'Status codes',
          columns: ['Status', 'Pages'],
          rows: Object.entries(stats.status_codes || {}).map(([status, pages]) => [status, format.count(pages)]),
          empty: 'No responses yet.',
        }),
        table({
          caption: 'Errors by kind',
          columns: ['Outcome', 'Pages'],
          rows: Object.entries(stats.errors_by_kind || {}).sort((a, b) => b[1] - a[1]).map(([kind, pages]) => [kind, format.count(pages)]),
          empty: 'No errors.',
        })),
      table({
        caption: 'Hosts (busiest first)',
        columns: ['Host', 'Pages', 'Errors', 'Bytes', 'Retries', 'p50', 'p99'],
        rows: (stats.hosts || []).slice(0, 20).map((host) => [
          host.host, format.count(host.pages), format.count(host.errors), format.bytes(host.bytes),
          format.count(host.retries), format.millis(host.latency.p50_millis), format.millis(host.latency.p99_millis),
        ]),
        empty: 'No hosts yet.',
      }));
  };

  const { show, hide } = whileShown(5000, async () => {
    render(await get(`/api/runs/${encodeURIComponent(runId)}/stats`, { signal }));
  }, { signal, notify, isActive });
  return { node: body, show, hide };
}

export function createResources(runId, { signal, notify, isActive }) {
  const samples = [];
  const body = h('div', { class: 'resources' }, h('p', { class: 'status' }, 'Loading samples…'));

  const render = () => {
    const first = samples.length ? samples[0].at_millis : 0;
    const seconds = (sample) => (sample.at_millis - first) / 1000;
    const last = samples[samples.length - 1];
    fill(body,
      last ? facts([
        ['process CPU', `${format.number(last.process_cpu_percent)} %`],
        ['system CPU', `${format.number(last.system_cpu_percent)} %`],
        ['process memory (RSS)', format.bytes(last.process_rss_bytes)],
        ['system memory', `${format.bytes(last.system_memory_used_bytes)} of ${format.bytes(last.system_memory_total_bytes)}`],
        ['open sockets', format.count(last.open_sockets)],
        ['store size', format.bytes(last.store_bytes)],
      ]) : h('p', { class: 'status' }, 'No samples: the sampler records one a second while the run is active.'),
      lineChart({
        id: 'chart-cpu',
        title: 'CPU (100 % = one core for the process, every core for the system)',
        series: [
          { label: 'process', className: 'cpu', points: samples.map((sample) => [seconds(sample), sample.process_cpu_percent]) },
          { label: 'system', className: 'cpu-system', points: samples.map((sample) => [seconds(sample), sample.system_cpu_percent]) },
        ],
        formatY: (value) => `${format.number(value)} %`,
        formatX: (value) => format.duration(value),
      }),
      lineChart({
        id: 'chart-rss',
        title: 'Process memory (RSS)',
        series: [{ label: 'RSS', className: 'rss', points: samples.map((sample) => [seconds(sample), sample.process_rss_bytes]) }],
        formatY: (value) => format.bytes(value),
        formatX: (value) => format.duration(value),
      }));
  };

  const { show, hide } = whileShown(3000, async () => {
    const from = samples.length ? samples[samples.length - 1].at_millis + 1 : 0;
    const answer = await get(`/api/runs/${encodeURIComponent(runId)}/samples?from_millis=${from}`, { signal });
    samples.push(...answer.samples);
    if (samples.length > MAX_SAMPLES) samples.splice(0, samples.length - MAX_SAMPLES);
    render();
  }, { signal, notify, isActive });
  return { node: body, show, hide };
}
