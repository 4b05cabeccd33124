/** Data: IDX readers, the dataset manifest and verified downloads, loaders, binarization, splits. */
export * from "./idx";
export * from "./manifest";
export * from "./download";
export * from "./loaders";
export * from "./binarize";
export * from "./split";
