import { spawnSync } from "child_process";
import { describe, expect, it } from "vitest";
import { deserialize, DELIMITER, makeHeader, newKey, serialize, sign } from "../../kernel/protocol";

describe("Jupyter wire protocol", () => {
  it("signs with HMAC-SHA256 over the concatenated parts (RFC 4231 test case 2)", () => {
    // Key "Jefe", data "what do ya want for nothing?": the published HMAC-SHA256 value.
    expect(sign("Jefe", ["what do ya ", "want for nothing?"])).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
    expect(sign("", ["anything"])).toBe("");
  });

  it("round-trips a message and rejects a tampered one", () => {
    const key = newKey();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    const header = makeHeader("execute_request", "session-1");
    const frames = serialize(key, {
      identities: [Buffer.from("peer")],
      header,
      parent_header: {},
      metadata: { a: 1 },
      content: { code: "1 + 1 // ünïcode ✓" },
      buffers: [Buffer.from([1, 2, 3])],
    });
    expect(frames[1].toString()).toBe(DELIMITER);
    const msg = deserialize(key, frames);
    expect(msg.header).toEqual(header);
    expect(msg.content).toEqual({ code: "1 + 1 // ünïcode ✓" });
    expect(msg.identities.map(String)).toEqual(["peer"]);
    expect([...msg.buffers[0]]).toEqual([1, 2, 3]);

    const tampered = frames.slice();
    tampered[6] = Buffer.from(JSON.stringify({ code: "rm -rf /" }));
    expect(() => deserialize(key, tampered)).toThrow(/invalid HMAC/);
    expect(() => deserialize(newKey(), frames)).toThrow(/invalid HMAC/);
    expect(() => deserialize(key, frames.filter((f) => f.toString() !== DELIMITER))).toThrow(/delimiter/);
  });

  it("interoperates with Python's jupyter_client Session (both directions)", () => {
    const key = newKey();
    const ours = serialize(key, {
      header: makeHeader("kernel_info_request", "s"),
      parent_header: {},
      metadata: {},
      content: { x: 1.5 },
    });
    const py = `
import sys, json
from jupyter_client.session import Session
s = Session(key=sys.argv[1].encode(), signature_scheme="hmac-sha256")
frames = [bytes.fromhex(h) for h in json.loads(sys.stdin.read())]
msg = s.deserialize(s.feed_identities(frames)[1])
assert msg["content"] == {"x": 1.5}, msg["content"]
reply = s.msg("kernel_info_reply", {"y": [1, 2]}, parent=msg)
out = s.serialize(reply)
print(json.dumps([f.hex() if isinstance(f, bytes) else f.encode().hex() for f in out]))
`;
    const r = spawnSync("/usr/bin/python3", ["-c", py, key], {
      input: JSON.stringify(ours.map((f) => f.toString("hex"))),
      encoding: "utf8",
    });
    if (r.error || r.status !== 0) throw new Error(`python jupyter_client failed: ${r.stderr || r.error}`);
    const back = (JSON.parse(r.stdout) as string[]).map((h) => Buffer.from(h, "hex"));
    const reply = deserialize(key, back);
    expect(reply.header.msg_type).toBe("kernel_info_reply");
    expect(reply.content).toEqual({ y: [1, 2] });
  });
});
