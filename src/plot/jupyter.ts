/**
 * The bridge to the Jupyter front end, through the tslab kernel we run inside.
 *
 * tslab's public `display.raw` sends one MIME type per message. Its internal
 * `tslab/dist/jupyter` module keeps the current cell's `lastWriteDisplayData(content, update)`,
 * which sends a whole display_data content `{ data, metadata, transient }`: one output that
 * carries several representations at once (the front end picks the richest it can render).
 *
 * Outside a tslab kernel (vitest, tsx, plain node) there is no such function and every
 * display call falls back to a line of text on stdout.
 */

/** The content of a Jupyter display_data / update_display_data message. */
export interface DisplayContent {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}

export type WriteDisplayData = (content: DisplayContent, update: boolean) => void;

const TSLAB_JUPYTER = /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/;

/**
 * The kernel's current `writeDisplayData`, or null outside a tslab kernel.
 *
 * Only a tslab module that is already loaded counts (we look it up in require.cache rather
 * than requiring it): loading tslab ourselves would pull in its compiler for nothing, and a
 * fresh copy would not be the one the kernel writes to.
 */
export function kernelWriter(): WriteDisplayData | null {
  for (const key of Object.keys(require.cache)) {
    if (!TSLAB_JUPYTER.test(key)) continue;
    const mod = require.cache[key]?.exports as { lastWriteDisplayData?: WriteDisplayData | null } | undefined;
    if (mod && typeof mod.lastWriteDisplayData === "function") return mod.lastWriteDisplayData;
  }
  return null;
}

/** True inside a tslab kernel that has started executing a cell. */
export function inKernel(): boolean {
  return kernelWriter() !== null;
}
