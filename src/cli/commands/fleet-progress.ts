/**
 * A progress bar on stderr for long operations (fleet pages, group reads). Drawn only when
 * stderr is a terminal, so pipes and `--json` output stay clean; at most ~10 redraws a second.
 */
export class ProgressBar {
  readonly #label: string;
  readonly #out: NodeJS.WriteStream;
  readonly #enabled: boolean;
  #total: number | undefined;
  #done = 0;
  #last = 0;

  constructor(label: string, total?: number, out: NodeJS.WriteStream = process.stderr) {
    this.#label = label;
    this.#total = total;
    this.#out = out;
    this.#enabled = out.isTTY === true;
  }

  set total(n: number | undefined) {
    this.#total = n;
  }

  tick(by = 1): void {
    this.#done += by;
    const now = Date.now();
    if (now - this.#last >= 100) {
      this.#last = now;
      this.#draw();
    }
  }

  finish(): void {
    if (!this.#enabled) return;
    this.#draw();
    this.#out.write('\n');
  }

  #draw(): void {
    if (!this.#enabled) return;
    this.#out.write(`\r${renderProgress(this.#label, this.#done, this.#total)}`);
  }
}

/** "label [#####-----]  50% 5/10", or "label 5" when the total is unknown. */
export function renderProgress(label: string, done: number, total: number | undefined, width = 30): string {
  if (total === undefined || total <= 0) return `${label} ${done}`;
  const ratio = Math.min(1, done / total);
  const filled = Math.round(ratio * width);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${done}/${total}`;
}
