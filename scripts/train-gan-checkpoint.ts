/**
 * Train (again) the MNIST GAN checkpoint notebook 12 loads and save it under checkpoints/<name>/
 * with its provenance (command, seed, data, epochs, per-epoch history, training time, load average,
 * and the scores of 1,000 samples: Fréchet distance, classes, pixel variance; src/models/gan/diversity.ts).
 * Usage (on a shared machine, politely):
 *   nice -n 5 npx tsx scripts/train-gan-checkpoint.ts [name ...]      (default: gan-mnist-bn)
 */
import { initBackend, describeBackend } from "../src/runtime/backend";
import { GAN_RECIPES, loadOrTrainGan } from "../src/models/gan";

async function main(): Promise<void> {
  console.log(describeBackend(await initBackend()));
  if ((process.env.LATENTLAB_SMOKE ?? "") === "1") throw new Error("train-gan-checkpoint: LATENTLAB_SMOKE=1 is set; smoke mode trains 20 batches and saves nothing. Unset it to train the checkpoint.");
  const names = process.argv.slice(2);
  for (const name of names.length ? names : ["gan-mnist-bn"]) {
    const recipe = GAN_RECIPES[name];
    if (!recipe) throw new Error(`Unknown GAN recipe "${name}"; known: ${Object.keys(GAN_RECIPES).join(", ")}.`);
    const r = await loadOrTrainGan(recipe, {
      force: true,
      showProgress: false,
      onEpoch: (h) => console.log(`${name} epoch ${h.epoch}: ${h.seconds.toFixed(0)} s, mean D(x) ${h.terms.dReal.toFixed(3)}, mean D(G(z)) ${h.terms.dFake.toFixed(3)}`),
    });
    const p = r.provenance;
    console.log(`${name}: trained in ${Number(p.trainSeconds).toFixed(0)} s; scores ${JSON.stringify(p.scores)}; load ${JSON.stringify(p.loadAverage)}`);
    r.gan.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
