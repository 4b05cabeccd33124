/**
 * Small Trainables for the data-parallel tests (test/train/parallel.test.ts): an MLP and a conv
 * net, each buildable in a worker from `replica()` = { module: this file, factory, args }.
 * `behaviour` makes a replica misbehave on purpose (only the copy built with it does):
 * "throw" fails from its second step on, "hang" spins forever from its second step on.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../src/runtime/rng";
import type { StepContext, Trainable, TrainPhase } from "../../src/train/loop";

type Behaviour = "ok" | "throw" | "hang";

let made = 0;
function variable(r: Rng, shape: number[], scale: number): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Float32Array.from({ length: n }, () => (2 * r.uniform() - 1) * scale);
  return tf.variable(tf.tensor(v, shape), true, `pm${++made}`);
}

function trouble(behaviour: Behaviour, ctx: StepContext): void {
  if (ctx.step < 1) return;
  if (behaviour === "throw") throw new Error("this replica fails on purpose");
  if (behaviour === "hang") for (;;) { /* spin */ }
}

/** x [n, 12] → tanh(x W1 + b1) W2 → 3 logits; loss = mean softmax cross-entropy + 0.01·mean‖h‖², term "reg". */
export function makeMlp(seed: number, behaviour: Behaviour = "ok"): Trainable {
  const r = new Rng(seed);
  const W1 = variable(r, [12, 16], 0.5), b1 = variable(r, [16], 0.1), W2 = variable(r, [16, 3], 0.5);
  const phase: TrainPhase = {
    name: "model",
    variables: () => [W1, b1, W2],
    loss(inputs, ctx) {
      trouble(behaviour, ctx);
      const h = tf.tanh(tf.add(tf.matMul(inputs.x as tf.Tensor2D, W1), b1));
      const logits = tf.matMul(h as tf.Tensor2D, W2);
      const labels = tf.oneHot(inputs.y as tf.Tensor1D, 3);
      const ce = tf.mean(tf.losses.softmaxCrossEntropy(labels, logits, undefined, tf.Reduction.NONE));
      const reg = tf.mul(0.01, tf.mean(tf.sum(tf.square(h), 1)));
      return { loss: tf.add(ce, reg) as tf.Scalar, terms: { ce: ce as tf.Scalar, reg: reg as tf.Scalar } };
    },
  };
  return {
    name: "test MLP",
    prepareBatch: (rows) => ({ x: tf.tensor2d(rows.x as Float32Array, [rows.size, 12]), y: tf.tensor1d(rows.labels!, "int32") }),
    phases: () => [phase],
    replica: () => ({ module: __filename, factory: "makeMlp", args: [seed, behaviour] }),
  };
}

/** x [n, 10, 10, 1] → conv 3×3/1 1→8, relu → conv 3×3/2 8→8, relu → dense → 1 output; loss = mean squared error to y. */
export function makeConv(seed: number, behaviour: Behaviour = "ok"): Trainable {
  const r = new Rng(seed);
  const c1 = variable(r, [3, 3, 1, 8], 0.4), c2 = variable(r, [3, 3, 8, 8], 0.2), d = variable(r, [200, 1], 0.1);
  const phase: TrainPhase = {
    name: "model",
    variables: () => [c1, c2, d],
    loss(inputs, ctx) {
      trouble(behaviour, ctx);
      const x = inputs.x as tf.Tensor4D;
      const a = tf.relu(tf.conv2d(x, c1 as tf.Tensor4D, 1, "same")) as tf.Tensor4D;
      const b = tf.relu(tf.conv2d(a, c2 as tf.Tensor4D, 2, "same"));
      const out = tf.matMul(tf.reshape(b, [x.shape[0], 200]) as tf.Tensor2D, d as tf.Tensor2D);
      return { loss: tf.mean(tf.square(tf.sub(out, inputs.y))) as tf.Scalar };
    },
  };
  return {
    name: "test conv net",
    prepareBatch: (rows) => ({ x: tf.tensor4d(rows.x as Float32Array, [rows.size, 10, 10, 1]), y: tf.tensor2d(Float32Array.from(rows.labels!), [rows.size, 1]) }),
    phases: () => [phase],
    replica: () => ({ module: __filename, factory: "makeConv", args: [seed, behaviour] }),
  };
}

/**
 * A model with state the loss reads but does not train, updated after every step from row-wise
 * outputs (the shape of the VQ-VAE's EMA codebook): x [n, 6] → h = tanh(x W) [n, 4]; loss =
 * mean ‖h − c‖² + mean (h·v − y)²; afterStepRows = { h, k = argmax h } under the updated W;
 * afterStep: c ← ½ c + ½ mean_rows h, and counts how often each k was chosen. `withState: false`
 * leaves c out of state(), so that a worker would compute with its stale copy of c.
 */
export function makeStateful(seed: number, withState = true): Trainable & { c: tf.Variable; counts: number[] } {
  const r = new Rng(seed);
  const W = variable(r, [6, 4], 0.6), v = variable(r, [4, 1], 0.5);
  const c = tf.variable(tf.zeros([4]), false, `pm${++made}`);
  const counts = [0, 0, 0, 0];
  const h = (x: tf.Tensor) => tf.tanh(tf.matMul(x as tf.Tensor2D, W));
  return {
    name: "test stateful model",
    c,
    counts,
    prepareBatch: (rows) => ({ x: tf.tensor2d(rows.x as Float32Array, [rows.size, 6]), y: tf.tensor2d(Float32Array.from(rows.labels!), [rows.size, 1]) }),
    phases: () => [{
      name: "model",
      variables: () => [W, v],
      loss(inputs) {
        const a = h(inputs.x);
        const pull = tf.mean(tf.sum(tf.square(tf.sub(a, c)), 1)) as tf.Scalar;
        const fitTerm = tf.mean(tf.square(tf.sub(tf.matMul(a as tf.Tensor2D, v), inputs.y))) as tf.Scalar;
        return { loss: tf.add(pull, fitTerm) as tf.Scalar, terms: { pull, fit: fitTerm } };
      },
    }],
    afterStepRows: (inputs) => {
      const a = h(inputs.x);
      return { h: a, k: tf.argMax(a, 1) };
    },
    afterStep(_inputs, _ctx, rows) {
      c.assign(tf.add(tf.mul(0.5, c), tf.mul(0.5, tf.mean(rows!.h, 0))));
      for (const k of rows!.k.dataSync()) counts[k]++;
    },
    ...(withState ? { state: () => [c] } : {}),
    replica: () => ({ module: __filename, factory: "makeStateful", args: [seed, withState] }),
  };
}
