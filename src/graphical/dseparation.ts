/**
 * d-separation by the Bayes-ball / reachability algorithm (Koller & Friedman, Algorithm
 * 3.1): X ⊥ Y | Z holds in every distribution that factorizes over the DAG iff no node of
 * Y is reachable from X along an active trail given Z. A trail through v is blocked when
 * v is a chain or fork node in Z, or a collider with neither v nor any descendant in Z.
 */
import type { BayesNet } from "./bayesnet";

/** Nodes reachable from `source` by an active trail given `given`. */
export function reachable(net: BayesNet, source: readonly string[], given: readonly string[]): Set<string> {
  for (const v of [...source, ...given]) net.node(v);
  const z = new Set(given);
  // Phase 1: Z and its ancestors (colliders with a descendant in Z are active).
  const ancestorsOfZ = new Set<string>();
  const stack = [...given];
  while (stack.length) {
    const v = stack.pop() as string;
    if (ancestorsOfZ.has(v)) continue;
    ancestorsOfZ.add(v);
    stack.push(...net.node(v).parents);
  }
  // Phase 2: traverse (node, direction) pairs; "up" = arrived from a child, "down" = from a parent.
  const visited = new Set<string>();
  const out = new Set<string>();
  const todo: [string, "up" | "down"][] = source.map((s) => [s, "up"]);
  while (todo.length) {
    const [v, dir] = todo.pop() as [string, "up" | "down"];
    const key = `${v}|${dir}`;
    if (visited.has(key)) continue;
    visited.add(key);
    if (!z.has(v)) out.add(v);
    if (dir === "up" && !z.has(v)) {
      for (const p of net.node(v).parents) todo.push([p, "up"]);
      for (const c of net.children(v)) todo.push([c, "down"]);
    } else if (dir === "down") {
      if (!z.has(v)) for (const c of net.children(v)) todo.push([c, "down"]);
      if (ancestorsOfZ.has(v)) for (const p of net.node(v).parents) todo.push([p, "up"]);
    }
  }
  return out;
}

/** True when X and Y are d-separated given Z (X ⊥ Y | Z in every P that factorizes over the DAG). */
export function dSeparated(net: BayesNet, x: readonly string[] | string, y: readonly string[] | string, z: readonly string[] = []): boolean {
  const xs = typeof x === "string" ? [x] : x;
  const ys = typeof y === "string" ? [y] : y;
  for (const v of ys) net.node(v);
  const r = reachable(net, xs, z);
  return ys.every((v) => !r.has(v));
}
