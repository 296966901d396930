/**
 * A small Prometheus registry (text exposition format 0.0.4): counters, gauges and histograms
 * with labels. No dependency: the server needs a dozen metrics, not a client library.
 */
export type Labels = Record<string, string>;

const NEEDS_ESCAPE = /[\\\n"]/;

function escapeLabel(v: string): string {
  // Counted on every request: most label values need no escaping, so test before replacing.
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  if (keys.length === 1) return `{${keys[0]!}="${escapeLabel(labels[keys[0]!]!)}"}`;
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(labels[k]!)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

interface Metric {
  readonly name: string;
  render(): string[];
}

abstract class Labelled implements Metric {
  protected readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
  ) {}

  protected add(labels: Labels, by: number, replace: boolean): void {
    const cur = this.cell(labels);
    cur.value = replace ? by : cur.value + by;
  }

  /** The series of `labels`, created at 0 on first use. */
  protected cell(labels: Labels): { labels: Labels; value: number } {
    const key = labelText(labels);
    let cur = this.values.get(key);
    if (cur === undefined) {
      cur = { labels: { ...labels }, value: 0 };
      this.values.set(key, cur);
    }
    return cur;
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels))?.value ?? 0;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${labelText(labels)} ${formatNumber(value)}`);
    return lines;
  }
}

/** A counter's step: never negative. */
function increment(by: number): number {
  if (by < 0) throw new RangeError('a counter only goes up');
  return by;
}

export class Counter extends Labelled {
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }

  inc(labels: Labels = {}, by = 1): void {
    this.add(labels, increment(by), false);
  }

  /**
   * The series of fixed `labels`, for counting on a hot path without building the label key
   * every time (the series shows in the exposition from its first increment, as with `inc`).
   */
  bind(labels: Labels): { inc(by?: number): void } {
    let cur: { labels: Labels; value: number } | undefined;
    return {
      inc: (by = 1) => {
        const step = increment(by);
        cur ??= this.cell(labels);
        cur.value += step;
      },
    };
  }

  /** Takes a cumulative total kept elsewhere (a transport's own counters); never goes down. */
  setTotal(total: number, labels: Labels = {}): void {
    if (total >= this.get(labels)) this.add(labels, total, true);
  }
}

export class Gauge extends Labelled {
  readonly #collect: ((g: Gauge) => void) | undefined;

  constructor(name: string, help: string, collect?: (g: Gauge) => void) {
    super(name, help, 'gauge');
    this.#collect = collect;
  }

  set(value: number, labels: Labels = {}): void {
    this.add(labels, value, true);
  }

  inc(labels: Labels = {}, by = 1): void {
    this.add(labels, by, false);
  }

  dec(labels: Labels = {}, by = 1): void {
    this.add(labels, -by, false);
  }

  override render(): string[] {
    this.#collect?.(this);
    return super.render();
  }
}

export class Histogram implements Metric {
  readonly #buckets: number[];
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    buckets: number[],
  ) {
    this.#buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(value: number, labels: Labels = {}): void {
    const key = labelText(labels);
    let s = this.#series.get(key);
    if (!s) {
      s = { labels: { ...labels }, counts: this.#buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    for (let i = 0; i < this.#buckets.length; i++) if (value <= this.#buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  /** Times an async operation in seconds. */
  async time<T>(fn: () => Promise<T>, labels: Labels = {}): Promise<T> {
    const start = process.hrtime.bigint();
    try {
      return await fn();
    } finally {
      this.observe(Number(process.hrtime.bigint() - start) / 1e9, labels);
    }
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.#series.values()) {
      this.#buckets.forEach((le, i) => lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: formatNumber(le) })} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${formatNumber(s.sum)}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines;
  }
}

export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>();

  counter(name: string, help: string): Counter {
    return this.#register(new Counter(name, help));
  }

  gauge(name: string, help: string, collect?: (g: Gauge) => void): Gauge {
    return this.#register(new Gauge(name, help, collect));
  }

  histogram(name: string, help: string, buckets: number[]): Histogram {
    return this.#register(new Histogram(name, help, buckets));
  }

  /** The exposition text, served as `text/plain; version=0.0.4`. */
  render(): string {
    const lines: string[] = [];
    for (const m of this.#metrics.values()) lines.push(...m.render());
    return `${lines.join('\n')}\n`;
  }

  #register<M extends Metric>(m: M): M {
    if (!NAME.test(m.name)) throw new RangeError(`invalid metric name "${m.name}"`);
    if (this.#metrics.has(m.name)) throw new RangeError(`metric "${m.name}" is registered twice`);
    this.#metrics.set(m.name, m);
    return m;
  }
}
