/** Diffusion models (DDPM) on low-dimensional data: the forward chain, the ELBO, a noise predictor, sampling. */
export * from "./schedule";
export * from "./process";
export * from "./elbo";
export * from "./gaussian";
export * from "./sample";
export * from "./network";
export * from "./trainable";
export * from "./metrics";
