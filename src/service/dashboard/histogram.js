// The age histogram as plain SVG: one bar per age someone has, on a continuous age axis. Drawn at
// the container's pixel width so that text stays the same size on a phone and on a desktop.

const SVG_NS = 'http://www.w3.org/2000/svg';
const HEIGHT_PX = 220;
const PAD = { top: 14, right: 10, bottom: 30, left: 40 };
/** Axis labels every 1, 2, 5, 10 or 20 years: the first step that keeps them this far apart. */
const LABEL_STEPS = [1, 2, 5, 10, 20, 50];
const MIN_LABEL_GAP_PX = 34;

function svg(name, attributes = {}, text) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A round step for the count axis, so that it shows about four lines. */
function countStep(max) {
  const raw = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const m of [1, 2, 5, 10]) if (m * magnitude >= raw) return m * magnitude;
  return 10 * magnitude;
}

/** Replaces the container's content with a histogram of `ages` (`[{ age, count }]`, youngest first). */
export function renderHistogram(container, ages) {
  container.replaceChildren();
  if (ages.length === 0) {
    const empty = document.createElement('p');
    empty.className = 'empty';
    empty.textContent = 'No users match the filters.';
    container.append(empty);
    return;
  }
  const width = Math.max(260, Math.floor(container.clientWidth));
  const plotW = width - PAD.left - PAD.right;
  const plotH = HEIGHT_PX - PAD.top - PAD.bottom;
  const lo = ages[0].age;
  const hi = ages[ages.length - 1].age;
  const slot = plotW / (hi - lo + 1);
  const step = countStep(Math.max(...ages.map((a) => a.count)));
  const top = Math.max(step, Math.ceil(Math.max(...ages.map((a) => a.count)) / step) * step);
  const y = (count) => PAD.top + plotH - (count / top) * plotH;

  const chart = svg('svg', { class: 'chart', width, height: HEIGHT_PX, viewBox: `0 0 ${width} ${HEIGHT_PX}`, role: 'img' });
  chart.append(svg('title', {}, `Matching users by age, ${lo} to ${hi} years`));
  for (let c = 0; c <= top; c += step) {
    chart.append(svg('line', { class: 'grid', x1: PAD.left, x2: width - PAD.right, y1: y(c), y2: y(c) }));
    chart.append(svg('text', { class: 'tick', x: PAD.left - 6, y: y(c) + 4, 'text-anchor': 'end' }, String(c)));
  }
  const barW = Math.max(1, slot * 0.78);
  for (const { age, count } of ages) {
    const x = PAD.left + (age - lo) * slot + (slot - barW) / 2;
    const bar = svg('rect', { class: 'bar', x, y: y(count), width: barW, height: PAD.top + plotH - y(count), rx: Math.min(2, barW / 4) });
    bar.dataset.age = String(age);
    bar.dataset.count = String(count);
    bar.append(svg('title', {}, `${age} years: ${count} ${count === 1 ? 'user' : 'users'}`));
    chart.append(bar);
  }
  const labelStep = LABEL_STEPS.find((s) => s * slot >= MIN_LABEL_GAP_PX) ?? 100;
  for (let age = Math.ceil(lo / labelStep) * labelStep; age <= hi; age += labelStep) {
    const x = PAD.left + (age - lo + 0.5) * slot;
    chart.append(svg('text', { class: 'tick', x, y: HEIGHT_PX - PAD.bottom + 18, 'text-anchor': 'middle' }, String(age)));
  }
  chart.append(svg('line', { class: 'axis', x1: PAD.left, x2: width - PAD.right, y1: y(0), y2: y(0) }));
  container.append(chart);
}
