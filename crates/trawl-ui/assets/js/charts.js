// Small SVG line charts (no library): one or more series over a shared x
// axis, with the y range from zero to the highest value. Each chart is a
// figure whose caption and aria-label say the figures in words.

import { h, s } from './dom.js';

const WIDTH = 600;
const HEIGHT = 150;
const PAD = { left: 56, right: 12, top: 10, bottom: 22 };

/** Keeps at most `limit` points, evenly spaced, the last one always. */
function thin(points, limit) {
  if (points.length <= limit) return points;
  const step = points.length / limit;
  const kept = [];
  for (let index = 0; index < limit; index += 1) kept.push(points[Math.floor(index * step)]);
  kept[kept.length - 1] = points[points.length - 1];
  return kept;
}

/**
 * series: [{label, className, points: [[x, y], ...]}]; formatY(value) for
 * the axis and the summary; formatX(value) for the first and last x.
 */
export function lineChart({ title, series, formatY = String, formatX = String, id }) {
  const all = series.flatMap((line) => line.points);
  const caption = h('figcaption', null, h('strong', null, title), ' ');
  if (!all.length) {
    caption.append('(no data yet)');
    return h('figure', { class: 'chart', id }, caption);
  }
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs);
  const maxY = Math.max(...ys, 0) || 1;
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const px = (x) => PAD.left + (maxX === minX ? plotWidth : ((x - minX) / (maxX - minX)) * plotWidth);
  const py = (y) => PAD.top + plotHeight - (y / maxY) * plotHeight;

  const words = series.map((line) => {
    const last = line.points.length ? line.points[line.points.length - 1][1] : null;
    const peak = line.points.length ? Math.max(...line.points.map(([, y]) => y)) : null;
    return `${line.label}: now ${last === null ? '–' : formatY(last)}, peak ${peak === null ? '–' : formatY(peak)}`;
  }).join('; ');

  const grid = [0, 0.5, 1].map((share) => {
    const y = py(maxY * share);
    return s('g', { class: 'grid' },
      s('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y, y2: y }),
      s('text', { x: PAD.left - 6, y: y + 4, 'text-anchor': 'end' }, formatY(maxY * share)));
  });
  const lines = series.map((line) => {
    const points = thin(line.points, plotWidth);
    const path = points.map(([x, y], index) => `${index ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    return s('path', { d: path, class: ['series', line.className] });
  });
  const svg = s('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': `${title}. ${words}`, class: 'chart-svg',
  },
  grid,
  s('text', { class: 'axis', x: PAD.left, y: HEIGHT - 4 }, formatX(minX)),
  s('text', { class: 'axis', x: WIDTH - PAD.right, y: HEIGHT - 4, 'text-anchor': 'end' }, formatX(maxX)),
  lines);
  caption.append(words);
  const legend = series.length > 1
    ? h('ul', { class: 'legend' }, series.map((line) => h('li', { class: line.className }, line.label)))
    : null;
  return h('figure', { class: 'chart', id }, svg, legend, caption);
}
