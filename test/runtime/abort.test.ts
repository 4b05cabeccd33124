import { describe, expect, it } from "vitest";
import { AbortError, interrupt, loopSignal, throwIfAborted, yielder, onInterrupt } from "../../src/runtime/abort";

describe("cooperative abort", () => {
  it("an interrupt stops an abort-aware loop at its next step and says where", async () => {
    const signal = loopSignal();
    const maybeYield = yielder(5);
    let steps = 0;
    setTimeout(() => interrupt(), 30);
    const t0 = Date.now();
    const run = async () => {
      for (let i = 0; i < 1e9; i++) {
        throwIfAborted(signal, `at step ${i}`);
        steps++;
        await maybeYield();
      }
    };
    await expect(run()).rejects.toThrow(AbortError);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(steps).toBeGreaterThan(0);
  });

  it("a later loop gets a fresh signal; a user signal also aborts", async () => {
    interrupt();
    const s = loopSignal();
    expect(s.aborted).toBe(false);
    const user = new AbortController();
    const both = loopSignal(user.signal);
    user.abort(new AbortError("user stop"));
    expect(() => throwIfAborted(both, "at epoch 2")).toThrow(/user stop Stopped at epoch 2\./);
    let called = 0;
    const off = onInterrupt(() => called++);
    interrupt();
    off();
    interrupt();
    expect(called).toBe(1);
  });
});
