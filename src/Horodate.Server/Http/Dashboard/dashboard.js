// The horodate-server dashboard. Once a second it asks the server for the samples it has not drawn yet
// (/history) and the last lines of the output file (/tail), then draws them.
// No dependencies, no build step: the file is served as written, from the server's assembly.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const POLL_MS = 1000;
const HIDDEN_POLL_MS = 5000; // a background tab polls less
const REQUEST_TIMEOUT_MS = 3000;
const TAIL_LINES = 20;
const KEEP_MS = 10 * 60 * 1000 + 5000; // the widest window, and a sample to start its first segment

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

const state = {
  startedAt: null, // the server's start: when it changes, the server restarted and the history starts over
  info: null,      // output file, transport, endpoints
  samples: [],     // oldest first, as /history returns them
  tail: [],
  error: null,
  windowMs: 5 * 60 * 1000,
  hover: null,     // the time under the pointer in any chart, or null
};

const $ = id => document.getElementById(id);

// ---- data --------------------------------------------------------------------------------------------

async function getJson(path) {
  const response = await fetch(path, { cache: 'no-store', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!response.ok) {
    throw new Error(`${path.split('?')[0]} answered HTTP ${response.status}`);
  }
  return response.json();
}

async function poll() {
  try {
    const after = state.samples.length ? state.samples.at(-1).time : 0;
    let [history, tail] = await Promise.all([getJson(`history?after=${after}`), getJson(`tail?count=${TAIL_LINES}`)]);
    if (history.started_at !== state.startedAt) {
      // First load, or the server restarted: its totals started again from zero.
      if (state.startedAt !== null && after !== 0) {
        history = await getJson('history?after=0');
      }
      state.startedAt = history.started_at;
      state.samples = [];
    }
    state.info = history;
    state.samples.push(...history.samples);
    const oldest = state.samples.length ? state.samples.at(-1).time - KEEP_MS : 0;
    while (state.samples.length && state.samples[0].time < oldest) {
      state.samples.shift();
    }
    state.tail = tail.values;
    state.error = null;
  } catch (e) {
    state.error = e.name === 'TimeoutError' ? 'no answer in 3 s' : e.message;
  }
  render();
  setTimeout(poll, document.hidden ? HIDDEN_POLL_MS : POLL_MS);
}

/** Per-second rates between consecutive samples (the samples carry totals, so a late sample loses nothing). */
function rates(samples) {
  const result = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    const seconds = (b.time - a.time) / 1000;
    if (seconds > 0) {
      result.push({
        time: b.time,
        in: Math.max(0, (b.received - a.received) / seconds),
        out: Math.max(0, (b.written - a.written) / seconds),
      });
    }
  }
  return result;
}

// ---- formatting --------------------------------------------------------------------------------------

const formatCount = v => integer.format(Math.round(v));
const formatMs = v => (v < 1000 ? `${integer.format(v)} ms` : `${oneDecimal.format(v / 1000)} s`);

function formatBytes(v) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : oneDecimal.format(v)} ${units[i]}`;
}

function formatDuration(ms) {
  const s = Math.floor(ms / 1000);
  const parts = [[Math.floor(s / 86400), 'd'], [Math.floor(s / 3600) % 24, 'h'], [Math.floor(s / 60) % 60, 'min'], [s % 60, 's']];
  const first = parts.findIndex(([n]) => n > 0);
  return first < 0 ? '0 s' : parts.slice(first, first + 2).map(([n, u]) => `${n} ${u}`).join(' ');
}

const formatUtc = ms => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
const formatClock = ms => new Date(ms).toLocaleTimeString('en-GB', { hour12: false });

/** A round axis for values up to max: a step of 1, 2 or 5 times a power of ten, and at most 5 steps. */
function axisFor(max) {
  if (!(max > 0)) {
    return { step: 1, top: 1 };
  }
  let power = 10 ** Math.floor(Math.log10(max / 5));
  for (;;) {
    for (const m of [1, 2, 5]) {
      const step = m * power;
      if (max / step <= 5) {
        return { step, top: Math.ceil(max / step) * step };
      }
    }
    power *= 10;
  }
}

/** Time ticks: the smallest round step that leaves about 70 px per label. */
function timeStep(windowMs, plotWidth) {
  const fits = Math.max(1, Math.floor(plotWidth / 70));
  return [5, 10, 15, 30, 60, 120, 300, 600].map(s => s * 1000).find(step => windowMs / step <= fits) ?? windowMs;
}

// ---- drawing -----------------------------------------------------------------------------------------

function show(id, value, text) {
  const element = $(id);
  element.textContent = text;
  element.dataset.value = value ?? '';
}

function render() {
  const latest = state.samples.at(-1);
  const rate = rates(state.samples.slice(-2)).at(-1);

  const pill = $('state');
  let [mode, label] = ['connecting', 'connecting'];
  if (state.error) {
    [mode, label] = ['unreachable', 'unreachable'];
  } else if (latest?.write_failing) {
    [mode, label] = ['failing', 'writes failing'];
  } else if (latest) {
    [mode, label] = latest.connections > 0 ? ['live', 'live'] : ['idle', 'idle: no connections'];
  }
  pill.dataset.state = mode;
  pill.textContent = label;
  document.body.classList.toggle('stale', Boolean(state.error));
  $('error').textContent = state.error ? `Last update failed: ${state.error}. Retrying every second.` : '';

  if (state.info) {
    const listen = state.info.listen.join(', ');
    $('where').textContent = `${state.info.output} · ${state.info.transport} on ${listen}`;
    $('tail-file').textContent = state.info.output;
    document.title = `horodate-server · ${state.info.output}`;
  }

  if (latest) {
    show('connections', latest.connections, formatCount(latest.connections));
    show('lag', latest.watermark_lag_ms, latest.watermark_lag_ms === null ? 'idle' : formatMs(latest.watermark_lag_ms));
    show('file-size', latest.output_bytes, formatBytes(latest.output_bytes));
    show('written', latest.written, `${formatCount(latest.written)} values written`);
    show('lag-p99', latest.output_lag_p99_ms, latest.written > 0 ? formatMs(latest.output_lag_p99_ms) : '–');
    show('received', latest.received, formatCount(latest.received));
    show('duplicates', latest.duplicates, formatCount(latest.duplicates));
    show('late', latest.late, formatCount(latest.late));
    show('rejected', latest.rejected, formatCount(latest.rejected));
    show('refused', latest.refused, formatCount(latest.refused));
    show('uptime', latest.time - state.startedAt, formatDuration(latest.time - state.startedAt));
    for (const counter of document.querySelectorAll('[data-bad-when-positive]')) {
      counter.classList.toggle('bad', Number(counter.querySelector('output').dataset.value) > 0);
    }
  }
  if (rate) {
    show('in-rate', rate.in, formatCount(rate.in));
    show('out-rate', rate.out, formatCount(rate.out));
  }

  drawCharts();
  drawTail();
}

function drawCharts() {
  const rateSeries = rates(state.samples);
  charts.connections.draw([
    { name: 'open', color: 'var(--conn)', points: state.samples.map(s => [s.time, s.connections]) },
  ], formatCount, compact.format);
  charts.rates.draw([
    { name: 'in', color: 'var(--in)', points: rateSeries.map(r => [r.time, r.in]) },
    { name: 'written', color: 'var(--out)', points: rateSeries.map(r => [r.time, r.out]) },
  ], v => `${formatCount(v)}/s`, compact.format);
  charts.lag.draw([
    { name: 'lag', color: 'var(--lag)', points: state.samples.map(s => [s.time, s.watermark_lag_ms]) },
  ], v => (v === null ? 'idle' : formatMs(v)), formatMs);
}

/** A line chart in an SVG element, sized to the element, over the selected window ending at the last sample. */
class Chart {
  static padding = { left: 52, right: 10, top: 8, bottom: 20 };

  constructor(figure) {
    this.svg = figure.querySelector('svg');
    this.legend = figure.querySelector('.legend');
    this.svg.addEventListener('pointermove', e => {
      state.hover = this.timeAt(e.offsetX);
      drawCharts();
    });
    this.svg.addEventListener('pointerleave', () => {
      state.hover = null;
      drawCharts();
    });
  }

  get end() {
    return state.samples.length ? state.samples.at(-1).time : Date.now();
  }

  timeAt(x) {
    const { left, right } = Chart.padding;
    const width = this.svg.clientWidth - left - right;
    const t = this.end - state.windowMs + ((x - left) / width) * state.windowMs;
    return t >= this.end - state.windowMs && t <= this.end ? t : null;
  }

  draw(series, formatValue, formatAxis) {
    const { left, right, top, bottom } = Chart.padding;
    const width = this.svg.clientWidth || 360;
    const height = this.svg.clientHeight || 170;
    const end = this.end;
    const start = end - state.windowMs;
    const x = t => left + ((t - start) / state.windowMs) * (width - left - right);
    let max = 0;
    for (const s of series) {
      for (const [t, v] of s.points) {
        if (t >= start && v !== null && v > max) {
          max = v;
        }
      }
    }
    const axis = axisFor(max);
    const y = v => top + (1 - v / axis.top) * (height - top - bottom);
    const nodes = [];

    for (let value = 0; value <= axis.top + axis.step / 2; value += axis.step) {
      nodes.push(element('line', { x1: left, x2: width - right, y1: y(value), y2: y(value), class: value === 0 ? 'axis' : 'grid' }));
      nodes.push(element('text', { x: left - 6, y: y(value) + 4, 'text-anchor': 'end' }, formatAxis(value)));
    }
    const step = timeStep(state.windowMs, width - left - right);
    for (let ago = 0; ago < state.windowMs; ago += step) {
      const label = ago === 0 ? 'now' : ago % 60000 === 0 ? `−${ago / 60000} min` : `−${ago / 1000} s`;
      nodes.push(element('text', { x: x(end - ago), y: height - 5, 'text-anchor': ago === 0 ? 'end' : 'middle' }, label));
    }

    let drawn = 0;
    for (const s of series) {
      // Visible points, and the one before the window so the line enters from the left edge.
      const first = Math.max(0, s.points.findIndex(([t]) => t >= start) - 1);
      let d = '';
      let pen = 'M';
      let count = 0;
      for (const [t, v] of s.points.slice(first)) {
        if (v === null) {
          pen = 'M'; // a gap: idle, nothing to draw
          continue;
        }
        d += `${pen}${Math.max(left, x(t)).toFixed(1)},${y(v).toFixed(1)}`;
        pen = 'L';
        count++;
      }
      const path = element('path', { d, class: 'series', 'data-series': s.name, 'data-points': count });
      path.style.stroke = s.color;
      nodes.push(path);
      drawn += count;
    }
    if (drawn === 0) {
      nodes.push(element('text', { x: (left + width - right) / 2, y: height / 2, 'text-anchor': 'middle', class: 'empty' }, 'no data yet'));
    }

    // The legend shows the values under the pointer, or the latest ones.
    const at = state.hover;
    if (at !== null) {
      nodes.push(element('line', { x1: x(at), x2: x(at), y1: top, y2: height - bottom, class: 'cursor' }));
    }
    const items = series.map(s => {
      const point = at === null ? s.points.at(-1) : nearest(s.points, at);
      return [s, point ? point[1] : undefined];
    });
    const legend = [];
    if (at !== null) {
      legend.push(document.createTextNode(formatClock(at)));
    }
    for (const [s, v] of items) {
      const swatch = document.createElement('i');
      swatch.style.background = s.color;
      legend.push(swatch, document.createTextNode(`${s.name} ${v === undefined ? '–' : formatValue(v)}`));
    }
    this.legend.replaceChildren(...legend);
    this.svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    this.svg.replaceChildren(...nodes);
  }
}

function nearest(points, t) {
  let best;
  for (const p of points) {
    if (best === undefined || Math.abs(p[0] - t) < Math.abs(best[0] - t)) {
      best = p;
    }
  }
  return best;
}

function element(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) {
    node.setAttribute(key, value);
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

// No animation anywhere: a running CSS animation repaints the page 60 times a second (a third of a core in
// headless Chromium, measured), where one redraw a second costs 2% of one.
function drawTail() {
  const rows = state.tail.map((value, i) => {
    const row = document.createElement('tr');
    const step = i === 0 ? '' : `+${integer.format(value - state.tail[i - 1])}`;
    for (const text of [String(value), formatUtc(value), step]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  });
  $('tail').replaceChildren(...rows);
}

// ---- start -------------------------------------------------------------------------------------------

const charts = {
  connections: new Chart($('chart-connections')),
  rates: new Chart($('chart-rates')),
  lag: new Chart($('chart-lag')),
};

for (const button of document.querySelectorAll('[data-window]')) {
  button.addEventListener('click', () => {
    state.windowMs = Number(button.dataset.window) * 1000;
    for (const other of document.querySelectorAll('[data-window]')) {
      other.setAttribute('aria-pressed', String(other === button));
    }
    drawCharts();
  });
}
window.addEventListener('resize', drawCharts);
poll();
