/**
 * Train (again) the VAE checkpoints the notebooks load, one after another, and save them under
 * checkpoints/<name>/ with their provenance. Usage:
 *   npx tsx scripts/train-vae-checkpoints.ts [name ...]   (default: all but the benchmark model)
 * The benchmark model vae-mnist-784-400-20 is made by `npx tsx bench/workloads/vae.ts`.
 */
import { initBackend, describeBackend } from "../src/runtime/backend";
import { VAE_RECIPES, loadOrTrainVae, mnistSplitForVae, dspritesForVae } from "../src/models/recipes";

async function main(): Promise<void> {
  console.log(describeBackend(await initBackend()));
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(VAE_RECIPES).filter((n) => n !== "vae-mnist-784-400-20");
  const split = mnistSplitForVae(0);
  for (const name of names) {
    const recipe = VAE_RECIPES[name];
    if (!recipe) throw new Error(`Unknown recipe "${name}"; known: ${Object.keys(VAE_RECIPES).join(", ")}.`);
    const t0 = Date.now();
    if (recipe.data === "mnist") {
      await loadOrTrainVae(recipe, split.train.images, { force: true, evalImages: split.testBinary, dataDescription: split.description });
    } else {
      const ds = dspritesForVae(10000, 0);
      await loadOrTrainVae(recipe, ds.images, { force: true, evalImages: ds.images.subarray(0, 500 * ds.height * ds.width), dataDescription: "dspritesForVae(10000, seed 0): 10,000 random 32×32 sprites; eval on the first 500" });
    }
    console.log(`${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
