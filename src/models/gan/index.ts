/** GANs: the minimax game's theory, the losses, networks, training on the shared loop, recipes. */
export * from "./theory";
export * from "./mixture";
export * from "./losses";
export * from "./networks";
export * from "./trainable";
export * from "./recipes";
export * from "./figures";
export * from "./diversity";
