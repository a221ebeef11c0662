// Live charts (uPlot, vendored): per-stage latency with p50 / p95 over the alert window and
// the target, and CPU, RAM and (with an NVIDIA GPU) utilisation and VRAM over time.
import { api, el, every } from "./api.js";

const WIDTH = 420, HEIGHT = 170;
const COLORS = ["#1f77b4", "#9467bd", "#17becf", "#8c564b"];

class Chart {
  constructor(parent, id, title, unit, series) {
    this.box = el("div", { class: "chart", id, dataset: { points: "0" } });
    this.stats = el("div", { class: "stats" });
    parent.append(this.box);
    const options = {
      width: WIDTH, height: HEIGHT, title,
      scales: { x: { time: true, auto: false }, y: { auto: false } },   // set in update()
      legend: { live: false },
      axes: [{}, { label: unit, size: 50 }],
      series: [{}, ...series],
    };
    this.plot = new uPlot(options, [[], ...series.map(() => [])], this.box);
    this.box.append(this.stats);
  }

  update(data, points, stats, over = false) {
    // x: up to now, at least a minute wide (one point alone would get an axis of years)
    const now = Date.now() / 1000;
    const first = data[0].length ? data[0][0] : now;
    const top = Math.max(1, ...data.slice(1).flat().filter((v) => typeof v === "number"));
    this.plot.setData(data, false);
    this.plot.setScale("x", { min: Math.min(first, now - 60), max: Math.max(now, data[0].at(-1) ?? now) });
    this.plot.setScale("y", { min: 0, max: top * 1.1 });
    this.box.dataset.points = String(points);
    this.stats.textContent = stats;
    this.stats.className = over ? "stats over" : "stats";
  }
}

const line = (label, stroke, extra = {}) => ({ label, stroke, width: 1.5, points: { show: false }, ...extra });
const dots = (label, stroke) => ({ label, stroke, width: 1, points: { show: true, size: 5, fill: stroke } });
const fmt = (ms) => (ms === null ? "-" : `${Math.round(ms)} ms`);

function startLatency() {
  const parent = document.getElementById("latency-charts");
  const charts = new Map();
  every(3000, async () => {
    const view = await api("/v1/monitoring/latency");
    const q = `p${view.quantile * 100}`;
    for (const stage of view.stages) {
      if (!charts.has(stage.stage)) {
        charts.set(stage.stage, new Chart(parent, `chart-${stage.stage}`, `${stage.label} (ms)`, "ms", [
          dots(stage.label, COLORS[0]), line("p50", "#2ca02c", { dash: [4, 4] }),
          line(q, "#ff7f0e", { dash: [4, 4] }), line("target", "#d62728", { width: 2 }),
        ]));
      }
      const xs = stage.points.map(([t]) => t);
      const flat = (value) => xs.map(() => value);
      const over = stage.threshold_ms !== null && stage.p95_ms !== null && stage.p95_ms > stage.threshold_ms;
      charts.get(stage.stage).update(
        [xs, stage.points.map(([, ms]) => ms), flat(stage.p50_ms), flat(stage.p95_ms), flat(stage.threshold_ms)],
        xs.length,
        `p50 ${fmt(stage.p50_ms)} · ${q} ${fmt(stage.p95_ms)} over ${stage.count} in the last ${view.window_s} s · ` +
          (stage.threshold_ms === null ? "no target" : `target < ${stage.threshold_ms} ms`),
        over,
      );
    }
  });
}

function startHardware() {
  const parent = document.getElementById("hardware-charts");
  const now = document.getElementById("hardware-now");
  const charts = {};
  every(3000, async () => {
    const history = await api("/v1/monitoring/hardware");
    const samples = history.samples;
    const xs = samples.map((s) => s.at);
    charts.cpu ??= new Chart(parent, "chart-cpu", "CPU (%)", "%", [line("CPU", COLORS[0])]);
    charts.ram ??= new Chart(parent, "chart-ram", "RAM (%)", "%", [line("RAM", COLORS[1])]);
    const latest = samples.at(-1);
    charts.cpu.update([xs, samples.map((s) => s.cpu_percent)], xs.length, latest ? `${latest.cpu_percent} % now` : "");
    charts.ram.update([xs, samples.map((s) => s.ram_percent)], xs.length,
      latest ? `${Math.round(latest.ram_used_mb)} of ${Math.round(latest.ram_total_mb)} MB in use` : "");
    const gpus = latest?.gpus ?? [];
    now.textContent = gpus.length ? gpus.map((g) => `GPU ${g.index}: ${g.name}`).join("; ")
      : "No NVIDIA GPU found (nvidia-smi): GPU utilisation and VRAM charts appear when there is one.";
    if (!gpus.length) return;
    const perGpu = (value) => gpus.map((g) => samples.map((s) => (s.gpus[g.index] ? value(s.gpus[g.index]) : null)));
    const limitUtil = history.gpu_utilization_percent, limitVram = history.vram_gb;
    charts.gpu ??= new Chart(parent, "chart-gpu", "GPU utilisation (%)", "%",
      [...gpus.map((g) => line(`GPU ${g.index}`, COLORS[g.index % COLORS.length])), line("target", "#d62728", { width: 2 })]);
    charts.vram ??= new Chart(parent, "chart-vram", "VRAM in use (GB)", "GB",
      [...gpus.map((g) => line(`GPU ${g.index}`, COLORS[g.index % COLORS.length])), line("target", "#d62728", { width: 2 })]);
    charts.gpu.update([xs, ...perGpu((g) => g.utilization_percent), xs.map(() => limitUtil)], xs.length,
      gpus.map((g) => `GPU ${g.index} ${g.utilization_percent} %`).join(" · ") + (limitUtil ? ` · target < ${limitUtil} %` : ""));
    charts.vram.update([xs, ...perGpu((g) => g.memory_used_mb / 1024), xs.map(() => limitVram)], xs.length,
      gpus.map((g) => `GPU ${g.index} ${(g.memory_used_mb / 1024).toFixed(1)} of ${(g.memory_total_mb / 1024).toFixed(1)} GB`).join(" · ") +
        (limitVram ? ` · target < ${limitVram} GB` : ""));
  });
}

export function startCharts() {
  startLatency();
  startHardware();
}
