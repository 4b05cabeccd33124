/** Model IO: TensorFlow.js model.json + weights.bin in Node without tfjs-node. */
export * from "./fileIO";
export * from "./model";
export * from "./weights";
