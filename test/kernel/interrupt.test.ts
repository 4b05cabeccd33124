/**
 * Interrupting a long abort-aware loop (loopSignal / throwIfAborted / yielder from latentlab):
 * the loop stops within a second and the kernel stays usable — through our own client, and
 * through a real Jupyter client (jupyter_client's KernelManager with our kernelspec).
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { KernelClient } from "../../kernel/client";
import { joinSource, readNotebook } from "../../kernel/notebook";
import { alive, fixture, FIXTURES, ROOT } from "./helpers";

const cells = readNotebook(fixture("interrupt"))
  .cells.filter((c) => c.cell_type === "code")
  .map((c) => joinSource(c.source));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("kernel interrupt", () => {
  it("SIGINT stops the loop within 1 s, and the next cell runs", async () => {
    const k = await KernelClient.start({ cwd: FIXTURES });
    try {
      expect((await k.execute(cells[0])).status).toBe("ok");
      const running = k.execute(cells[1]); // spin(60)
      await sleep(1500);
      const tInterrupt = Date.now();
      k.interrupt();
      const outcome = await running;
      const replySeconds = (Date.now() - tInterrupt) / 1000;
      expect(outcome.status).toBe("error");
      // The kernel reports it as a Jupyter error message (kernel/tslab-patches.js), not on stderr.
      expect(String(outcome.messages.find((m) => m.header.msg_type === "error")?.content.evalue)).toMatch(/Interrupted/);
      expect(replySeconds).toBeLessThan(1);
      await sleep(300); // tslab answers "abort" to requests within ~200 ms of an error
      const next = await k.execute(cells[2]);
      expect(next.status).toBe("ok");
      const text = next.messages.map((m) => String(m.content.text ?? "")).join("");
      const state = JSON.parse(text.replace(/^next cell ran /, "")) as { stoppedAt: number; reason: string };
      expect(state.reason).toMatch(/^Interrupted by the user \(kernel interrupt\)\. Stopped at step \d+\.$/);
      expect(state.stoppedAt - tInterrupt).toBeGreaterThanOrEqual(0);
      expect(state.stoppedAt - tInterrupt).toBeLessThan(1000);
    } finally {
      await k.shutdown();
    }
    expect(alive(k.pid)).toBe(false);
  }, 180_000);

  it("a real Jupyter client (jupyter_client KernelManager) interrupts it too", () => {
    const py = String.raw`
import json, sys, time
from jupyter_client.manager import KernelManager
cells = json.loads(sys.argv[1])
km = KernelManager(kernel_name="latentlab")
km.start_kernel(cwd=sys.argv[2])
kc = km.client(); kc.start_channels()
out = {}
try:
    kc.wait_for_ready(timeout=180)
    assert kc.execute_interactive(cells[0], timeout=120)["content"]["status"] == "ok"
    msg_id = kc.execute(cells[1])
    time.sleep(1.5)
    t = time.time(); km.interrupt_kernel()
    while True:
        reply = kc.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id: break
    out["reply_seconds"] = time.time() - t
    out["interrupted_at_ms"] = t * 1000
    out["status"] = reply["content"]["status"]
    time.sleep(0.3)
    texts = []
    r = kc.execute_interactive(cells[2], timeout=60, output_hook=lambda m: texts.append(m["content"].get("text", "")))
    out["next_status"] = r["content"]["status"]
    out["next_text"] = "".join(texts)
finally:
    kc.stop_channels(); km.shutdown_kernel(now=True)
print(json.dumps(out))
`;
    const r = spawnSync("/usr/bin/python3", ["-c", py, JSON.stringify(cells), FIXTURES], {
      env: { ...process.env, JUPYTER_PATH: path.join(ROOT, ".jupyter") },
      encoding: "utf8",
      timeout: 170_000,
    });
    if (r.status !== 0) throw new Error(`jupyter_client script failed:\n${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
      reply_seconds: number;
      interrupted_at_ms: number;
      status: string;
      next_status: string;
      next_text: string;
    };
    expect(out.status).toBe("error");
    expect(out.reply_seconds).toBeLessThan(1);
    expect(out.next_status).toBe("ok");
    const state = JSON.parse(out.next_text.replace(/^next cell ran /, "")) as { stoppedAt: number; reason: string };
    expect(state.reason).toMatch(/Stopped at step \d+\.$/);
    expect(state.stoppedAt - out.interrupted_at_ms).toBeLessThan(1000);
  }, 180_000);
});
