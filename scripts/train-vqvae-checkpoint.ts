/**
 * Train (again) the VQ-VAE checkpoints notebooks 09 and 11 load, and save them under
 * checkpoints/<name>/ with their provenance (command, seed, split, epochs, scores, load average).
 * Usage:
 *   npx tsx scripts/train-vqvae-checkpoint.ts [name ...]
 *     (default: vqvae-mnist; "sweep": the rate–distortion sweep and the usage ablations;
 *      "all": every recipe in VQVAE_RECIPES)
 */
import { initBackend, describeBackend } from "../src/runtime/backend";
import { VQVAE_RECIPES, loadOrTrainVqVae } from "../src/models/vqvae";

async function main(): Promise<void> {
  console.log(describeBackend(await initBackend()));
  const args = process.argv.slice(2);
  const all = Object.keys(VQVAE_RECIPES);
  const names = args.length === 0 ? ["vqvae-mnist"] : args.flatMap((a) => (a === "all" ? all : a === "sweep" ? all.filter((n) => n.startsWith("vqvae-sweep") || n.startsWith("vqvae-ablation")) : [a]));
  for (const name of names) {
    if (!VQVAE_RECIPES[name]) throw new Error(`Unknown recipe "${name}"; known: ${all.join(", ")} (or "sweep", "all").`);
    const t0 = Date.now();
    const r = await loadOrTrainVqVae({ recipe: name, force: true, showProgress: false });
    const s = r.provenance.scores as Record<string, number>;
    console.log(
      `${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s; test MSE ${s.testMse.toFixed(4)} (MSE/Var ${s.testMseOverVariance.toFixed(4)}), ` +
        `codes used ${s.testCodesUsed}/${r.model.numCodes}, perplexity ${s.testPerplexity.toFixed(1)}; load ${JSON.stringify(r.provenance.loadAverage)}`,
    );
    r.model.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
