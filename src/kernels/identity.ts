/**
 * Identity for wasm without a copy: the output shares the input's memory (reference-counted),
 * as the cpu backend's Identity and every backend's Reshape already do.
 *
 * Why: tfjs saves the inputs and outputs a gradient needs with `clone()` (the Identity
 * kernel) for every op recorded on the tape, and tfjs-backend-wasm 4.22's Identity copies the
 * data; in the MLP VAE step that is about 60 copies per step, the 784×400 weight matrices
 * among them (~1 ms per step here). Tensors are immutable (Variable.assign swaps the data, it
 * does not write into it), so sharing is safe.
 */
import { KernelArgs, TensorInfo } from "./wasmBackend";

export function identityShared({ inputs, backend }: KernelArgs): TensorInfo {
  const { x } = inputs;
  (backend as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}
