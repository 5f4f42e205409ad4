/**
 * The Core ML FormatReader: a .mlmodel specification (protobuf Model, walked lazily — spec.ts) or an
 * .mlpackage folder (package.ts: Manifest.json → the root specification → weights/weight.bin) becomes a
 * ModelGraph with neuralNetwork layers or mlProgram operations as nodes; shapes.ts fills blob shapes and
 * ../cost/coreml.ts costs them. Weight values are never read, only their headers and lengths.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ModelGraph } from '../graph';
import type { FormatReader, ReaderOptions } from '../reader';
import { ModelFileError } from '../errors';
import type { ByteSource } from '../io/byte-source';
import { FileSource } from '../io/file-source';
import { ProtoReader } from '../io/protobuf';
import { withOneLineErrors } from '../io/zip';
import { coremlCost } from '../cost/coreml';
import { newContext, type WeightFileResolver } from './context';
import { readModel } from './spec';
import { inferCoremlShapes } from './shapes';
import { openPackage, weightFileResolver } from './package';

const NO_WEIGHT_FILES: WeightFileResolver = () => ({ problem: 'the specification was read from memory, without its folder' });

/** Reads a Core ML specification. `weightFiles` resolves an mlProgram's "@model_path/..." weights (none: declared types only). */
export function readCoreml(src: ByteSource, weightFiles: WeightFileResolver = NO_WEIGHT_FILES): ModelGraph {
  return withOneLineErrors(() => readCoremlUnsafe(src, weightFiles));
}

function readCoremlUnsafe(src: ByteSource, weightFiles: WeightFileResolver): ModelGraph {
  const pr = new ProtoReader(src);
  const g: ModelGraph = {
    format: 'coreml',
    file: src.file,
    bytes: src.size,
    main: { id: 'main', name: 'main', nodes: [], tensors: new Map(), inputs: [], outputs: [] },
    subgraphs: [],
    metadata: { extra: {}, layout: 'NCHW' },
    compiledSegments: [],
    hasComputeGraph: false,
    warnings: [],
  };
  const ctx = newContext(pr, g, weightFiles);
  const { sawVersion, sawModel } = readModel(ctx, pr.root(), g.main, '', 0);
  if (!sawVersion && !sawModel) throw new ModelFileError(src.file, 'not a Core ML model: no specification version and no model');
  if (!sawModel) ctx.warnings.push('the Core ML specification holds no model');
  if (ctx.layers.length) {
    g.declaredLayers = ctx.layers;
    ctx.extra.layerCount = ctx.layers.length;
  }
  ctx.extra.weightParams = ctx.weightMessages;
  g.hasComputeGraph = g.main.nodes.length > 0;
  return g;
}

/** Reads an .mlpackage folder: the root specification with its weights, the graph named after the package. */
export function readCoremlPackage(dir: string): ModelGraph {
  const layout = openPackage(dir);
  const opened: FileSource[] = [];
  const spec = new FileSource(layout.spec);
  opened.push(spec);
  try {
    let g: ModelGraph;
    try {
      g = readCoreml(spec, weightFileResolver(layout.spec, layout.root, opened));
    } catch (e) {
      if (e instanceof ModelFileError) throw new ModelFileError(layout.dir, `${path.relative(layout.root, e.file) || path.basename(e.file)}: ${e.reason}`);
      throw e;
    }
    g.file = layout.dir;
    g.bytes = opened.reduce((a, s) => a + s.size, 0);
    g.metadata.extra = { ...(g.metadata.extra ?? {}), container: '.mlpackage', packageItems: layout.items.map((i) => i.path).join(', ') };
    return g;
  } finally {
    for (const s of opened) s.close();
  }
}

/** True for a folder whose name ends in .mlpackage. */
export function isMlpackage(p: string, st?: fs.Stats): boolean {
  return p.toLowerCase().replace(/[\\/]+$/, '').endsWith('.mlpackage') && (st ?? fs.statSync(p, { throwIfNoEntry: false }))?.isDirectory() === true;
}

export const coremlReader: FormatReader = {
  format: 'coreml',
  read: (src: FileSource, opts: ReaderOptions) => {
    const opened: FileSource[] = [];
    try {
      const root = fs.realpathSync(opts.externalDataRoot ?? path.dirname(src.file));
      return readCoreml(src, weightFileResolver(fs.realpathSync(src.file), root, opened));
    } finally {
      for (const s of opened) s.close();
    }
  },
  inferShapes: (graph, bindings) => inferCoremlShapes(graph, bindings),
  cost: coremlCost,
};
