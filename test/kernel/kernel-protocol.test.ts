/**
 * What a Jupyter front end receives from the latentlab kernel (kernel/tslab-patches.js), over
 * the real protocol: output floods arrive whole and fast; a failing cell sends an `error`
 * message whose traceback names the cell, the line and the latentlab function (no tslab or
 * node frames) and shows CheckError's values once; a failed cell keeps its imports; requests
 * cancelled after an error are `aborted`; every execution sends `execute_input` with its
 * count; Kernel → Interrupt on a training cell ends it with the library's one line, marks the
 * progress bar, and the next cell can use the interrupted cell's imports; `{ name }` works with
 * `name` from an earlier cell.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KernelClient, type ExecuteOutcome } from "../../kernel/client";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function streamText(o: ExecuteOutcome, name = "stdout"): string {
  return o.messages
    .filter((m) => m.header.msg_type === "stream" && m.content.name === name)
    .map((m) => String(m.content.text))
    .join("");
}

function errorOf(o: ExecuteOutcome): { ename: string; evalue: string; traceback: string[] } {
  const errs = o.messages.filter((m) => m.header.msg_type === "error");
  expect(errs.length, "exactly one error message").toBe(1);
  return errs[0].content as unknown as { ename: string; evalue: string; traceback: string[] };
}

describe("latentlab kernel: what front ends receive", () => {
  let k: KernelClient;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "latentlab-kernel-"));
    k = await KernelClient.start({ cwd: dir });
  }, 300_000);
  afterAll(async () => {
    await k?.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("600 and 50,000 printed lines arrive complete, in order, in seconds", async () => {
    for (const n of [600, 50_000]) {
      const t0 = Date.now();
      const o = await k.execute(`for (let i = 0; i < ${n}; i++) console.log("line", i);`, { timeoutSeconds: 60 });
      const seconds = (Date.now() - t0) / 1000;
      expect(o.status).toBe("ok");
      const lines = streamText(o).split("\n");
      expect(lines.pop()).toBe("");
      expect(lines.length).toBe(n);
      expect(lines.every((l, i) => l === `line ${i}`)).toBe(true);
      expect(seconds).toBeLessThan(15); // ~1 s on an idle machine; was the 600 s cell timeout
    }
  }, 120_000);

  it("a failing check sends one Jupyter error: cell, line, library function, values and tolerance", async () => {
    const src = [
      `import { assertClose } from "latentlab";`,
      `const estimate = 0.52;`,
      ``,
      `assertClose("mean of the draws", estimate, 0.5, { tol: 0.01 });`,
      `const after = 1;`,
    ].join("\n");
    const o = await k.execute(src, { timeoutSeconds: 120 });
    expect(o.status).toBe("error");
    expect(o.stderr).toBe(""); // no stack dump on stderr
    const e = errorOf(o);
    expect(e.ename).toBe("CheckError");
    expect(e.evalue).toMatch(/mean of the draws: 0\.52 vs expected 0\.5 \(\|Δ\| = 0\.02\d* > tolerance 0\.01\)/);
    expect(e.traceback[0]).toBe(`CheckError: ${e.evalue}`);
    expect(e.traceback).toContain(`  at cell In[${o.executionCount}], line 4:  assertClose("mean of the draws", estimate, 0.5, { tol: 0.01 });`);
    expect(e.traceback.some((l) => /^ {2}in latentlab assertClose {2}\(src\/runtime\/check\.ts:\d+\)$/.test(l))).toBe(true);
    const all = e.traceback.join("\n");
    expect(all).not.toMatch(/tslab|node:internal|node_modules|evalmachine/);
    expect(all.split("0.52 vs expected 0.5").length - 1).toBe(1); // values and tolerance, once
    // Requests sent right after the error are cancelled, with the protocol's word for it.
    const next = await k.execute(`console.log("never runs")`);
    expect(next.status).toBe("aborted");
    await sleep(300);
    // The failed cell's import and the variable it assigned are kept; the unreached one is not.
    const keep = await k.execute(`console.log(typeof assertClose, estimate);`);
    expect(keep.status).toBe("ok");
    expect(streamText(keep)).toBe("function 0.52\n");
    const gone = await k.execute(`console.log(after);`);
    expect(gone.status).toBe("error");
    expect(errorOf(gone).evalue).toMatch(/Cannot find name 'after'/);
    await sleep(300);
  }, 180_000);

  it("every execution sends execute_input with its count, as nbconvert needs", async () => {
    const o = await k.execute(`1 + 1`);
    const input = o.messages.find((m) => m.header.msg_type === "execute_input");
    expect(input?.content.execution_count).toBe(o.executionCount);
    expect(o.executionCount).toBeGreaterThan(1);
  });

  it("object shorthand names a variable of an earlier cell (tslab alone threw ReferenceError)", async () => {
    await k.execute(`const shortName = "abc";\nconst shortN = 3;`);
    const o = await k.execute(`const both = { shortName, shortN };\nconsole.log(JSON.stringify(both));`);
    expect(o.status).toBe("ok");
    expect(streamText(o)).toBe('{"shortName":"abc","shortN":3}\n');
  });

  it("Kernel → Interrupt ends a training cell with the library's one line; the next cell uses its imports", async () => {
    const src = [
      `import { createVae, trainVae, Rng, progress } from "latentlab";`,
      `const rng = new Rng(3);`,
      `const data = new Float32Array(256 * 784).map(() => rng.uniform());`,
      `const vae = createVae({ hidden: [32], latentDim: 2 }, new Rng(4));`,
      `await trainVae(vae, data, { epochs: 10000, batchSize: 32, rng: new Rng(5) });`,
    ].join("\n");
    // Interrupt once training is under way (the progress bar's first display, then a second).
    let barShown: () => void = () => {};
    const shown = new Promise<void>((r) => (barShown = r));
    const running = k.execute(src, { timeoutSeconds: 300, onMessage: (m) => m.header.msg_type === "display_data" && barShown() });
    await Promise.race([shown, running]);
    await sleep(1000);
    const tInt = Date.now();
    k.interrupt();
    const o = await running;
    const seconds = (Date.now() - tInt) / 1000;
    expect(o.status).toBe("error");
    expect(seconds).toBeLessThan(2);
    expect(o.stderr).not.toMatch(/Interrupted|Error|\n\s+at /); // no stack dump on stderr
    const e = errorOf(o);
    expect(e.ename).toBe("AbortError");
    expect(e.traceback).toEqual([`AbortError: ${e.evalue}`]); // one line, no stack
    expect(e.evalue).toMatch(/^Interrupted by the user \(kernel interrupt\)\. Stopped training .* at epoch \d+, batch \d+ of \d+; the model keeps the parameters of its last completed step\.$/);
    // The progress bar's last state says "interrupted", not a frozen ETA.
    const bars = o.messages.filter((m) => m.header.msg_type === "display_data" || m.header.msg_type === "update_display_data");
    const last = bars[bars.length - 1].content as { data: Record<string, string> };
    expect(last.data["text/plain"]).toMatch(/interrupted after/);
    await sleep(300);
    const next = await k.execute(`console.log(typeof trainVae, typeof vae);`);
    expect(next.status).toBe("ok");
    expect(streamText(next)).toBe("function object\n");
  }, 300_000);
});
