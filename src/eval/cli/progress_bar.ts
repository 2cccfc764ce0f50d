// rerank-eval's progress on stderr. cli-progress is imported only when a bar is shown.

/** A progress bar on stderr: queries done, rate, ETA. Without a TTY it prints a line every few seconds. */
export async function progressBar(total: number, quiet: boolean): Promise<{ update(done: number): void; stop(): void }> {
  if (quiet) return { update() {}, stop() {} };
  const { SingleBar } = await import("cli-progress");
  const started = performance.now();
  const bar = new SingleBar({
    stream: process.stderr,
    format: "queries {bar} {value}/{total} | {rate} q/s | ETA {eta_formatted}",
    noTTYOutput: true,
    notTTYSchedule: 5000,
    hideCursor: false,
    clearOnComplete: false,
    barsize: 30,
  });
  bar.start(total, 0, { rate: "0.0" });
  return {
    update(done) {
      const seconds = (performance.now() - started) / 1000;
      bar.update(done, { rate: seconds > 0 ? (done / seconds).toFixed(1) : "0.0" });
    },
    stop() {
      bar.stop();
    },
  };
}
