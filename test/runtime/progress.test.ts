import { describe, expect, it } from "vitest";
import type { DisplayContent } from "../../src/plot/jupyter";
import { formatDuration, formatMetric, progress, progressLine } from "../../src/runtime/progress";

/** A clock the test moves by hand (ms). */
function manualClock() {
  let t = 1000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe("progress, plain lines (headless / outside a kernel)", () => {
  it("prints a line per 10% crossed, one after 10 s without one, and the final line from done()", () => {
    const c = manualClock();
    const lines: string[] = [];
    const bar = progress({ total: 200, label: "VAE", unit: "batches", clock: c.now, mode: "lines", write: (l) => lines.push(l) });
    for (let i = 1; i <= 200; i++) {
      c.advance(10); // 100 batches/s
      bar.tick(1, { epoch: Math.ceil(i / 100), loss: 1 / i });
    }
    expect(lines).toHaveLength(9); // 10%, …, 90%; 100% is done()'s line
    expect(lines[0]).toBe("VAE 20/200 (10%) epoch=1 loss=0.05000 | 100 batches/s, ETA 1.8 s");
    expect(lines[8]).toMatch(/^VAE 180\/200 \(90%\) epoch=2 loss=0\.005556 \| /);
    bar.done({ elbo: -98.1234567 });
    expect(lines[9]).toBe("VAE 200/200 (100%) elbo=-98.12 | done in 2.0 s, 100 batches/s");
    bar.tick(); // ignored after done
    bar.done();
    expect(lines).toHaveLength(10);
  });

  it("a slow loop still reports every 10 s, and the text apart from timings is deterministic", () => {
    const run = () => {
      const c = manualClock();
      const lines: string[] = [];
      const bar = progress({ total: 1000, label: "gibbs", clock: c.now, mode: "lines", write: (l) => lines.push(l) });
      for (let i = 0; i < 30; i++) {
        c.advance(2500);
        bar.tick(1, { sweep: i });
      }
      return lines;
    };
    const lines = run();
    expect(lines.map((l) => l.split(" | ")[0])).toEqual(["gibbs 4/1000 (0%) sweep=3", "gibbs 8/1000 (0%) sweep=7", "gibbs 12/1000 (1%) sweep=11", "gibbs 16/1000 (1%) sweep=15", "gibbs 20/1000 (2%) sweep=19", "gibbs 24/1000 (2%) sweep=23", "gibbs 28/1000 (2%) sweep=27"]);
    expect(run()).toEqual(lines);
  });

  it("formats metrics, durations and lines", () => {
    expect([formatMetric(3), formatMetric(0.123456), formatMetric(-98.7654), formatMetric(1.5e-5), formatMetric(123456.7)]).toEqual(["3", "0.1235", "-98.77", "1.500e-5", "1.235e+5"]);
    expect([formatDuration(5.04), formatDuration(125), formatDuration(3725)]).toEqual(["5.0 s", "2:05", "1:02:05"]);
    expect(progressLine({ label: "", unit: "it", count: 1, total: 4, metrics: {}, elapsedMs: 500, finished: false })).toBe("1/4 (25%) | 2.00 it/s, ETA 1.5 s");
    expect(() => progress({ total: NaN })).toThrow(/total must be a finite number/);
    expect(() => progress({ total: 3, mode: "lines", write: () => {} }).tick(-1)).toThrow(/finite n ≥ 0/);
  });
});

describe("progress, live (in a kernel)", () => {
  it("shows one output at once and updates it in place at most every 250 ms, plus the final state", () => {
    const c = manualClock();
    const sent: Array<{ content: DisplayContent; update: boolean }> = [];
    const bar = progress({ total: 1000, label: "train", clock: c.now, mode: "live", display: (content, update) => void sent.push({ content, update }) });
    expect(sent).toHaveLength(1);
    for (let i = 0; i < 1000; i++) {
      c.advance(5); // 5 s in all
      bar.tick(1, { loss: 0.5 });
    }
    bar.done();
    // 5 s / 250 ms = 20 updates from ticks, plus the first display and done(): at most 22 messages.
    expect(sent.length).toBeGreaterThanOrEqual(20);
    expect(sent.length).toBeLessThanOrEqual(22);
    expect(sent[0].update).toBe(false);
    expect(sent.slice(1).every((s) => s.update)).toBe(true);
    const ids = new Set(sent.map((s) => s.content.transient.display_id));
    expect(ids.size).toBe(1);
    const last = sent[sent.length - 1].content.data;
    expect(last["text/plain"]).toMatch(/^█{24} train 1000\/1000 \(100%\) loss=0\.5000 \| done in 5\.0 s, 200 it\/s$/);
    expect(last["text/html"]).toContain('<progress value="1000" max="1000"');
  });
});
