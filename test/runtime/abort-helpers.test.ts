/**
 * The abort-aware helpers for a student's own loops (steps, interruptible, sleep) and the
 * progress bar's "interrupted" state: what Kernel → Interrupt does to them.
 */
import { describe, expect, it } from "vitest";
import { AbortError, beginCell, interrupt, interruptible, onInterrupt, sleep, steps } from "../../src/runtime/abort";
import { progress } from "../../src/runtime/progress";
import type { DisplayContent } from "../../src/plot/jupyter";

describe("abort-aware helpers for your own loops", () => {
  it("steps(n) stops at its next step after an interrupt, even when the body never awaits, and says where", async () => {
    let done = 0;
    setTimeout(() => interrupt(), 30);
    const t0 = Date.now();
    const run = async () => {
      for await (const i of steps(1e9, "my sampler")) {
        done = i + 1;
        for (let j = 0; j < 1e4; j++); // synchronous work only
      }
    };
    await expect(run()).rejects.toThrow(/^Interrupted by the user \(kernel interrupt\)\. Stopped my sampler at step \d+ of 1000000000\.$/);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(done).toBeGreaterThan(0);
    // Without an interrupt it runs to the end: 0..n-1.
    const seen: number[] = [];
    for await (const i of steps(5)) seen.push(i);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    await expect(steps(2.5).next()).rejects.toThrow(/integer ≥ 0/);
  });

  it("interruptible(items) passes items through and stops on an interrupt; sleep() ends early", async () => {
    const out: string[] = [];
    for await (const x of interruptible(["a", "b", "c"])) out.push(x);
    expect(out).toEqual(["a", "b", "c"]);
    await expect(interruptible(42 as unknown as string[]).next()).rejects.toThrow(/expected an array or another \(async\) iterable/);
    setTimeout(() => interrupt(), 20);
    const t0 = Date.now();
    await expect(sleep(10_000)).rejects.toThrow(AbortError);
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect(sleep(5)).resolves.toBeUndefined();
  });

  it("a progress bar is marked interrupted in place; a cell-scoped listener ends with its cell", () => {
    const shown: DisplayContent[] = [];
    let now = 0;
    const bar = progress({ total: 100, label: "VAE", mode: "live", display: (c) => void shown.push(c), clock: () => now });
    now = 4200;
    bar.tick(37);
    interrupt();
    const last = shown[shown.length - 1].data["text/plain"] as string;
    expect(last).toMatch(/VAE 37\/100 \(37%\) \| interrupted after 4\.2 s/);
    expect(last).not.toMatch(/ETA/);
    const count = shown.length;
    bar.tick(1);
    bar.done();
    expect(shown.length).toBe(count); // finished: later ticks and done() show nothing
    let calls = 0;
    onInterrupt(() => calls++, { untilNextCell: true });
    beginCell();
    interrupt();
    expect(calls).toBe(0);
  });
});
