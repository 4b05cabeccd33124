/**
 * Retrain ONE shipped checkpoint from scratch, the way the notebook that first loads it trains it
 * when LATENTLAB_RETRAIN=1 (same recipe, data, seed, epochs; full mode), and save it — but only
 * inside a throwaway copy of the project made by bench/workloads/retrain.ts: this file refuses to
 * run unless the folder two levels up carries that copy's marker file, so the repository's
 * checkpoints/ are never written. Prints one JSON line: { name, seconds, cpuSeconds (the process's
 * user + system time, all threads), trainSeconds, scores }.
 *
 *   (inside the copy) npx tsx bench/workloads/retrain-one.ts <checkpoint name>
 */
import * as fs from "fs";
import * as path from "path";

/** The file retrain.ts writes at the root of its copy; its content is that root's absolute path. */
export const RETRAIN_COPY_MARKER = ".latentlab-retrain-copy";

/** Checkpoint → the notebook that trains it first (the others load it), in arc order. */
export const CHECKPOINT_NOTEBOOKS: Record<string, string> = {
  "ae-mnist-2d": "05-vae",
  "vae-mnist-784-400-20": "05-vae",
  "vae-mnist-2d": "05-vae",
  "vae-mnist-5d": "05-vae",
  "vae-mnist-10d": "05-vae",
  "vae-dsprites-beta1": "07-evaluating-representations",
  "vae-dsprites-beta4": "07-evaluating-representations",
  "vqvae-mnist": "09-vq-vae",
  "vqvae-sweep-k16": "09-vq-vae",
  "vqvae-sweep-k64": "09-vq-vae",
  "vqvae-sweep-k128": "09-vq-vae",
  "vqvae-sweep-k512": "09-vq-vae",
  "vqvae-ablation-uniform": "09-vq-vae",
  "vqvae-ablation-kmeans": "09-vq-vae",
  "vqvae-ablation-loss": "09-vq-vae",
  "pixelcnn-mnist": "10-pixelcnn",
  "pixelcnn-prior": "11-pixelcnn-prior",
  "pixelcnn-prior-class": "11-pixelcnn-prior",
  "mnist-classifier": "11-pixelcnn-prior",
  "gan-mnist-mlp": "12-gans",
  "gan-mnist-bn": "12-gans",
};

function refuseOutsideCopy(root: string): void {
  const marker = path.join(root, RETRAIN_COPY_MARKER);
  if (!fs.existsSync(marker) || fs.readFileSync(marker, "utf8").trim() !== root) {
    throw new Error(
      `retrain-one.ts saves the checkpoint it trains, so it runs only inside the throwaway copy made by bench/workloads/retrain.ts ` +
        `(${root} has no ${RETRAIN_COPY_MARKER} naming it). Use \`npm run bench -- retrain-checkpoints\` instead.`,
    );
  }
}

async function retrain(name: string): Promise<{ trainSeconds?: number; scores?: unknown }> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { initBackend } = require("../../src/runtime/backend") as typeof import("../../src/runtime/backend");
  const recipes = require("../../src/models/recipes") as typeof import("../../src/models/recipes");
  await initBackend();
  const root = path.resolve(__dirname, "..", "..");
  const dir = recipes.checkpointDir(name);
  if (!dir.startsWith(root + path.sep)) throw new Error(`retrain-one: ${name} would be saved to ${dir}, outside the copy ${root}; refusing.`);
  const split = recipes.mnistSplitForVae(0);
  const prov = (p: Record<string, unknown>) => ({ trainSeconds: p.trainSeconds as number | undefined, scores: p.scores });
  if (name in recipes.VAE_RECIPES) {
    const recipe = recipes.VAE_RECIPES[name];
    if (recipe.data === "mnist") {
      // notebook 05: the full training split, test ELBO on the fixed binarized test digits (none for the autoencoder)
      const r = await recipes.loadOrTrainVae(recipe, split.train.images, { force: true, evalImages: recipe.config.deterministic ? undefined : split.testBinary, dataDescription: split.description });
      r.model.dispose();
      return prov(r.provenance);
    }
    // notebook 07: 10,000 sprites of seed 0, evaluated on the first 500
    const sprites = recipes.dspritesForVae(10000, 0);
    const r = await recipes.loadOrTrainVae(recipe, sprites.images, { force: true, evalImages: sprites.images.subarray(0, 500 * sprites.height * sprites.width), dataDescription: `dspritesForVae(${sprites.count}, seed 0)` });
    r.model.dispose();
    return prov(r.provenance);
  }
  const vqvae = require("../../src/models/vqvae") as typeof import("../../src/models/vqvae");
  if (name in vqvae.VQVAE_RECIPES) {
    const r = await vqvae.loadOrTrainVqVae({ recipe: name, force: true, showProgress: false });
    r.model.dispose();
    return prov(r.provenance);
  }
  const pixelcnn = require("../../src/models/pixelcnn") as typeof import("../../src/models/pixelcnn");
  if (name === "pixelcnn-mnist") {
    // notebook 10
    const r = await pixelcnn.loadOrTrainPixelCnn(pixelcnn.PIXELCNN_RECIPES[name], split.train.images, {
      force: true,
      evalData: split.testBinary,
      dataDescription: `${split.description}; train images binarized dynamically (fresh Bernoulli draws per batch), test binarized once`,
    });
    r.model.dispose();
    return prov(r.provenance);
  }
  if (name === "pixelcnn-prior" || name === "pixelcnn-prior-class") {
    // notebook 11: codes of the shipped vqvae-mnist (as copied into this copy's checkpoints/); the
    // prior's loader has no `force`, so LATENTLAB_RETRAIN=1 (set by retrain.ts) makes it train.
    if (process.env.LATENTLAB_RETRAIN !== "1") throw new Error("retrain-one: the PixelCNN priors retrain only with LATENTLAB_RETRAIN=1 (retrain.ts sets it)");
    const { model: vq } = await vqvae.loadVqVae(recipes.checkpointDir("vqvae-mnist"));
    const D = 784;
    const trainCodes = vqvae.vqEncode(vq, split.train.images);
    const testCodes = vqvae.vqEncode(vq, split.test.images);
    const probeImages = split.test.images.slice(0, 16 * D);
    const r =
      name === "pixelcnn-prior"
        ? await pixelcnn.loadOrTrainPixelCnnPrior(vq, trainCodes, { testCodes, probeImages, vqSource: "vqvae-mnist", dataDescription: `codes of ${split.description}, encoded by vqvae-mnist` })
        : await pixelcnn.loadOrTrainPixelCnnPrior(vq, trainCodes, {
            recipe: pixelcnn.PIXELCNN_RECIPES["pixelcnn-prior-class"], labels: split.train.labels, testCodes, testLabels: split.test.labels, probeImages,
            vqSource: "vqvae-mnist", dataDescription: `codes and digit labels of ${split.description}`,
          });
    r.model.dispose();
    vq.dispose();
    return prov(r.provenance);
  }
  if (name === "mnist-classifier") {
    const { loadOrTrainMnistClassifier } = require("../../src/models/quality") as typeof import("../../src/models/quality");
    const r = await loadOrTrainMnistClassifier({ force: true, showProgress: false });
    return prov(r.provenance);
  }
  const gan = require("../../src/models/gan") as typeof import("../../src/models/gan");
  if (name in gan.GAN_RECIPES) {
    // notebook 12: the recipe as the notebook calls it
    const r = await gan.loadOrTrainGan(gan.GAN_RECIPES[name], { force: true, showProgress: false });
    return prov(r.provenance);
  }
  throw new Error(`retrain-one: no recipe for checkpoint "${name}" (known: ${Object.keys(CHECKPOINT_NOTEBOOKS).join(", ")})`);
}

if (require.main === module) {
  const name = process.argv[2];
  const t0 = performance.now();
  (async () => {
    refuseOutsideCopy(path.resolve(__dirname, "..", ".."));
    if (!name || !(name in CHECKPOINT_NOTEBOOKS)) throw new Error(`usage: retrain-one.ts <checkpoint> (one of ${Object.keys(CHECKPOINT_NOTEBOOKS).join(", ")})`);
    const r = await retrain(name);
    const cpu = process.cpuUsage();
    console.log(JSON.stringify({ name, seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, ...r }));
  })().catch((e) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  });
}
