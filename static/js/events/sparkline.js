// Small live graphs: a line over the last samples, drawn on a canvas.

export class Sparkline {
  constructor(canvas, { color = "#2557d6", max = null, samples = 60 } = {}) {
    this.canvas = canvas;
    this.color = color;
    this.fixedMax = max;
    this.samples = samples;
    this.values = [];
  }

  push(value) {
    this.values.push(value == null ? null : Number(value));
    if (this.values.length > this.samples) this.values.shift();
    this.draw();
  }

  draw() {
    const { canvas } = this;
    const ctx = canvas.getContext("2d");
    const width = canvas.width;
    const height = canvas.height;
    ctx.clearRect(0, 0, width, height);
    const known = this.values.filter((v) => v != null);
    if (!known.length) return;
    const max = this.fixedMax || Math.max(...known, 1);
    const step = width / Math.max(this.samples - 1, 1);
    const offset = this.samples - this.values.length;
    ctx.beginPath();
    let started = false;
    this.values.forEach((value, index) => {
      if (value == null) { started = false; return; }
      const x = (offset + index) * step;
      const y = height - 1 - (Math.min(value, max) / max) * (height - 2);
      if (started) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      started = true;
    });
    ctx.strokeStyle = this.color;
    ctx.lineWidth = 1.5;
    ctx.stroke();
  }
}

export function formatRate(bytesPerSecond) {
  if (bytesPerSecond == null) return "—";
  const units = ["B/s", "KiB/s", "MiB/s", "GiB/s"];
  let value = bytesPerSecond;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value.toFixed(value < 10 && unit ? 1 : 0)} ${units[unit]}`;
}

export function formatKiB(kib) {
  if (kib == null) return "—";
  return kib >= 1048576 ? `${(kib / 1048576).toFixed(1)} GiB` : `${Math.round(kib / 1024)} MiB`;
}
