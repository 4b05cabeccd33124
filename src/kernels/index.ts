/** Kernels latentlab registers for TensorFlow.js's wasm backend (see register.ts). */
export { registerWasmKernels, unregisterWasmKernels, wasmKernelsRegistered, type WasmKernelOptions } from "./register";
export { adamIsFused, adamSimdActive } from "./adam";
