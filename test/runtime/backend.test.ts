import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initBackend, describeBackend, useBackend } from "../../src/runtime/backend";

describe("backend selection", () => {
  it("starts a backend that computes correctly, and says which", async () => {
    const info = await initBackend();
    expect(["tensorflow", "wasm", "cpu"]).toContain(info.name);
    expect(tf.getBackend()).toBe(info.name);
    expect(describeBackend(info)).toContain(`backend "${info.name}"`);
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync());
    expect(Array.from(y)).toEqual([17, 39]);
  });

  it("wasm and cpu agree on a matmul to float32 precision", async () => {
    const a = tf.randomNormal([64, 64], 0, 1, "float32", 1);
    const b = tf.randomNormal([64, 64], 0, 1, "float32", 2);
    const av = await a.data();
    const bv = await b.data();
    await useBackend("cpu");
    const c1 = tf.matMul(tf.tensor2d(av, [64, 64]), tf.tensor2d(bv, [64, 64])).dataSync();
    await useBackend("wasm");
    const c2 = tf.matMul(tf.tensor2d(av, [64, 64]), tf.tensor2d(bv, [64, 64])).dataSync();
    let worst = 0;
    for (let i = 0; i < c1.length; i++) worst = Math.max(worst, Math.abs(c1[i] - c2[i]));
    // 64 products of O(1) terms in float32: rounding error ≲ 64 · 2⁻²⁴ · |terms| ≈ 1e-4
    expect(worst).toBeLessThan(1e-3);
  });

  it("rejects an unknown LATENTLAB_BACKEND with the list of valid ones", async () => {
    const { execFileSync } = await import("child_process");
    let out = "";
    try {
      execFileSync(process.execPath, ["--import", "tsx", "-e", 'require("./src/runtime/backend").initBackend().catch(e => { console.error(e.message); process.exit(3); })'], {
        env: { ...process.env, LATENTLAB_BACKEND: "gpu" },
        encoding: "utf8",
        stdio: "pipe",
      });
    } catch (e) {
      out = String((e as { stderr?: string }).stderr);
    }
    expect(out).toMatch(/LATENTLAB_BACKEND="gpu" is not a backend latentlab knows\. Use one of tensorflow, wasm, cpu/);
  });
});
