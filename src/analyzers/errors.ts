import * as path from 'path';

/**
 * The one error type the analyzers throw for bad input (truncated, corrupted, hostile, unsupported).
 * Its message is one line that names the file and what is wrong; the CLI prints it and exits 1,
 * VS Code shows it as an error message.
 */
export class ModelFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${path.basename(file)}: ${reason}`);
    this.name = 'ModelFileError';
  }
}

/** Hard limits applied to every count or size read from a file before acting on it. */
export const LIMITS = {
  /** Largest element count of a single tensor we accept (2^40 ≈ 1.1e12 is absurd; 2^36 ≈ 6.9e10 is a huge LLM tensor). */
  maxTensorElements: 2 ** 38,
  /**
   * Largest node count per file (all subgraphs). A 1,000,000-node graph is analysed within about 1 GB of
   * memory; the layer list of a big graph is summarised (layer-summary.ts).
   */
  maxNodes: 1_000_000,
  /** Largest number of node inputs and outputs per file (all nodes together). */
  maxNodeRefs: 4_000_000,
  /** Largest number of tensors per file. */
  maxTensors: 2_000_000,
  /** Deepest nesting of subgraphs. */
  maxSubgraphDepth: 64,
  /** Largest header / metadata block we parse into memory (JSON headers, pickles, configs). */
  maxHeaderBytes: 256 * 1024 * 1024,
  /** Largest decompressed size of one zip entry we inflate (pickles, configs). */
  maxInflatedBytes: 256 * 1024 * 1024,
  /** Largest string read from a file. */
  maxStringBytes: 16 * 1024 * 1024,
  /** Largest total of the names and strings one file makes a reader decode (names.ts). */
  maxNameBytes: 128 * 1024 * 1024,
  /** Names longer than this are shown and keyed in a shortened, unique form (names.ts). */
  maxNameChars: 4096,
  /** Largest total of layer / tensor names one Core ML or Keras graph may hold (a long name copied into every layer name). */
  maxLayerNameBytes: 32 * 1024 * 1024,
} as const;
