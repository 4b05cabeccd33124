/**
 * The Jupyter messaging protocol (v5.3), wire format only: how a message is framed on a
 * ZeroMQ socket and signed with HMAC-SHA256.
 *
 *   [identities…] "<IDS|MSG>" signature header parent_header metadata content [buffers…]
 *
 * signature = hex(HMAC_key(header ‖ parent_header ‖ metadata ‖ content)); an empty key means
 * "unsigned" (signature ""). Pure functions, no sockets: tested on their own.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "crypto";

export const PROTOCOL_VERSION = "5.3";
export const DELIMITER = "<IDS|MSG>";

export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

/** A decoded Jupyter message. `content` is left loosely typed: each msg_type has its own shape. */
export interface JupyterMessage<C = Record<string, unknown>> {
  identities: Buffer[];
  header: MessageHeader;
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

/** A fresh random key for a connection file (64 hex characters, 256 bits). */
export function newKey(): string {
  return randomBytes(32).toString("hex");
}

/** hex(HMAC-SHA256_key(part₁ ‖ part₂ ‖ …)); "" when the key is empty (signing disabled). */
export function sign(key: string, parts: Array<string | Buffer>): string {
  if (key === "") return "";
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

/** A new message header for `msgType` in `session`. */
export function makeHeader(msgType: string, session: string, username = "latentlab"): MessageHeader {
  return {
    msg_id: randomUUID(),
    session,
    username,
    date: new Date().toISOString(),
    msg_type: msgType,
    version: PROTOCOL_VERSION,
  };
}

/** Frame and sign a message for a socket. */
export function serialize(
  key: string,
  msg: Pick<JupyterMessage, "header" | "parent_header" | "metadata" | "content"> & Partial<JupyterMessage>,
): Buffer[] {
  const parts = [msg.header, msg.parent_header ?? {}, msg.metadata ?? {}, msg.content ?? {}].map((p) =>
    Buffer.from(JSON.stringify(p), "utf8"),
  );
  return [
    ...(msg.identities ?? []),
    Buffer.from(DELIMITER),
    Buffer.from(sign(key, parts)),
    ...parts,
    ...(msg.buffers ?? []),
  ];
}

/** Parse and verify frames received from a socket; throws on a missing delimiter or a bad signature. */
export function deserialize<C = Record<string, unknown>>(key: string, frames: Buffer[]): JupyterMessage<C> {
  const delim = frames.findIndex((f) => f.length === DELIMITER.length && f.toString() === DELIMITER);
  if (delim < 0) throw new Error(`Jupyter message without the "${DELIMITER}" delimiter (${frames.length} frames).`);
  if (frames.length < delim + 6) {
    throw new Error(`Jupyter message too short: ${frames.length - delim - 1} frames after the delimiter, need 5.`);
  }
  const signature = frames[delim + 1].toString();
  const parts = frames.slice(delim + 2, delim + 6);
  if (key !== "") {
    const want = Buffer.from(sign(key, parts));
    const got = Buffer.from(signature);
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      throw new Error("Jupyter message with an invalid HMAC signature (wrong key, or a corrupted message).");
    }
  }
  const [header, parent, metadata, content] = parts.map((p) => JSON.parse(p.toString("utf8")));
  return {
    identities: frames.slice(0, delim),
    header: header as MessageHeader,
    parent_header: parent as Partial<MessageHeader>,
    metadata: metadata as Record<string, unknown>,
    content: content as C,
    buffers: frames.slice(delim + 6),
  };
}
