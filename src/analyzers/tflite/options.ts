/**
 * Builtin options of TFLite operators: the union type (1-based position in `union BuiltinOptions` /
 * `union BuiltinOptions2`) picks the table; each table's fields are read by id into plain attributes
 * named as in the schema (padding, stride_w, dilation_h_factor, ...). Options we do not need are skipped.
 * Attributes holding subgraph indices are listed in SUBGRAPH_ATTRS so the reader can link bodies.
 */
import type { AttrValue } from '../graph';
import type { Table } from './flatbuffers-reader';
import { ACTIVATION_NAMES, PADDING_NAMES, tensorType } from './schema';

type Kind = 'i32' | 'u32' | 'i8' | 'bool' | 'f32' | 'i64' | 'padding' | 'activation' | 'tensorType' | 'i32s' | 'i64s' | 'string';
type FieldSpec = [name: string, id: number, kind: Kind, def?: number];

interface OptionsTable {
  table: string;
  fields: FieldSpec[];
}

const PAD: Kind = 'padding';
const ACT: Kind = 'activation';

/** union BuiltinOptions: type value → table and the fields we read. */
export const BUILTIN_OPTIONS: Record<number, OptionsTable> = {
  1: { table: 'Conv2DOptions', fields: [['padding', 0, PAD], ['stride_w', 1, 'i32'], ['stride_h', 2, 'i32'], ['fused_activation_function', 3, ACT], ['dilation_w_factor', 4, 'i32', 1], ['dilation_h_factor', 5, 'i32', 1]] },
  2: { table: 'DepthwiseConv2DOptions', fields: [['padding', 0, PAD], ['stride_w', 1, 'i32'], ['stride_h', 2, 'i32'], ['depth_multiplier', 3, 'i32'], ['fused_activation_function', 4, ACT], ['dilation_w_factor', 5, 'i32', 1], ['dilation_h_factor', 6, 'i32', 1]] },
  5: { table: 'Pool2DOptions', fields: [['padding', 0, PAD], ['stride_w', 1, 'i32'], ['stride_h', 2, 'i32'], ['filter_width', 3, 'i32'], ['filter_height', 4, 'i32'], ['fused_activation_function', 5, ACT]] },
  6: { table: 'SVDFOptions', fields: [['rank', 0, 'i32'], ['fused_activation_function', 1, ACT]] },
  7: { table: 'RNNOptions', fields: [['fused_activation_function', 0, ACT]] },
  8: { table: 'FullyConnectedOptions', fields: [['fused_activation_function', 0, ACT], ['weights_format', 1, 'i8'], ['keep_num_dims', 2, 'bool'], ['asymmetric_quantize_inputs', 3, 'bool']] },
  9: { table: 'SoftmaxOptions', fields: [['beta', 0, 'f32']] },
  10: { table: 'ConcatenationOptions', fields: [['axis', 0, 'i32'], ['fused_activation_function', 1, ACT]] },
  11: { table: 'AddOptions', fields: [['fused_activation_function', 0, ACT]] },
  12: { table: 'L2NormOptions', fields: [['fused_activation_function', 0, ACT]] },
  13: { table: 'LocalResponseNormalizationOptions', fields: [['radius', 0, 'i32'], ['bias', 1, 'f32'], ['alpha', 2, 'f32'], ['beta', 3, 'f32']] },
  14: { table: 'LSTMOptions', fields: [['fused_activation_function', 0, ACT], ['cell_clip', 1, 'f32'], ['proj_clip', 2, 'f32']] },
  15: { table: 'ResizeBilinearOptions', fields: [['align_corners', 2, 'bool'], ['half_pixel_centers', 3, 'bool']] },
  16: { table: 'CallOptions', fields: [['subgraph', 0, 'u32']] },
  17: { table: 'ReshapeOptions', fields: [['new_shape', 0, 'i32s']] },
  19: { table: 'SpaceToDepthOptions', fields: [['block_size', 0, 'i32']] },
  21: { table: 'MulOptions', fields: [['fused_activation_function', 0, ACT]] },
  23: { table: 'GatherOptions', fields: [['axis', 0, 'i32'], ['batch_dims', 1, 'i32']] },
  27: { table: 'ReducerOptions', fields: [['keep_dims', 0, 'bool']] },
  28: { table: 'SubOptions', fields: [['fused_activation_function', 0, ACT]] },
  29: { table: 'DivOptions', fields: [['fused_activation_function', 0, ACT]] },
  30: { table: 'SqueezeOptions', fields: [['squeeze_dims', 0, 'i32s']] },
  31: { table: 'SequenceRNNOptions', fields: [['time_major', 0, 'bool'], ['fused_activation_function', 1, ACT]] },
  32: { table: 'StridedSliceOptions', fields: [['begin_mask', 0, 'i32'], ['end_mask', 1, 'i32'], ['ellipsis_mask', 2, 'i32'], ['new_axis_mask', 3, 'i32'], ['shrink_axis_mask', 4, 'i32'], ['offset', 5, 'bool']] },
  35: { table: 'SplitOptions', fields: [['num_splits', 0, 'i32']] },
  37: { table: 'CastOptions', fields: [['in_data_type', 0, 'tensorType'], ['out_data_type', 1, 'tensorType']] },
  49: { table: 'TransposeConvOptions', fields: [['padding', 0, PAD], ['stride_w', 1, 'i32'], ['stride_h', 2, 'i32'], ['fused_activation_function', 3, ACT]] },
  59: { table: 'PackOptions', fields: [['values_count', 0, 'i32'], ['axis', 1, 'i32']] },
  64: { table: 'UnpackOptions', fields: [['num', 0, 'i32'], ['axis', 1, 'i32']] },
  69: { table: 'BidirectionalSequenceLSTMOptions', fields: [['fused_activation_function', 0, ACT], ['merge_outputs', 3, 'bool'], ['time_major', 4, 'bool', 1]] },
  70: { table: 'BidirectionalSequenceRNNOptions', fields: [['time_major', 0, 'bool'], ['fused_activation_function', 1, ACT], ['merge_outputs', 2, 'bool']] },
  71: { table: 'UnidirectionalSequenceLSTMOptions', fields: [['fused_activation_function', 0, ACT], ['time_major', 3, 'bool']] },
  74: { table: 'ResizeNearestNeighborOptions', fields: [['align_corners', 0, 'bool'], ['half_pixel_centers', 1, 'bool']] },
  75: { table: 'LeakyReluOptions', fields: [['alpha', 0, 'f32']] },
  79: { table: 'SplitVOptions', fields: [['num_splits', 0, 'i32']] },
  92: { table: 'IfOptions', fields: [['then_subgraph_index', 0, 'i32'], ['else_subgraph_index', 1, 'i32']] },
  93: { table: 'WhileOptions', fields: [['cond_subgraph_index', 0, 'i32'], ['body_subgraph_index', 1, 'i32']] },
  94: { table: 'DepthToSpaceOptions', fields: [['block_size', 0, 'i32']] },
  101: { table: 'BatchMatMulOptions', fields: [['adj_x', 0, 'bool'], ['adj_y', 1, 'bool'], ['asymmetric_quantize_inputs', 2, 'bool']] },
  103: { table: 'CallOnceOptions', fields: [['init_subgraph_index', 0, 'i32']] },
  106: {
    table: 'Conv3DOptions',
    fields: [['padding', 0, PAD], ['stride_d', 1, 'i32'], ['stride_w', 2, 'i32'], ['stride_h', 3, 'i32'], ['fused_activation_function', 4, ACT], ['dilation_d_factor', 5, 'i32', 1], ['dilation_w_factor', 6, 'i32', 1], ['dilation_h_factor', 7, 'i32', 1]],
  },
};

/** union BuiltinOptions2 (StableHLO ops): only the tables that reference subgraphs. */
export const BUILTIN_OPTIONS_2: Record<number, OptionsTable> = {
  6: { table: 'StablehloReduceOptions', fields: [['body_subgraph_index', 1, 'i32']] },
  7: { table: 'StablehloScatterOptions', fields: [['update_computation_subgraph_index', 6, 'i32']] },
  13: { table: 'StablehloReduceWindowOptions', fields: [['body_subgraph_index', 5, 'i32']] },
  14: { table: 'StablehloSortOptions', fields: [['comparator_subgraph_index', 2, 'i32']] },
  15: { table: 'StablehloWhileOptions', fields: [['cond_subgraph_index', 0, 'i32'], ['body_subgraph_index', 1, 'i32']] },
  21: { table: 'StableHLOCompositeOptions', fields: [['name', 0, 'string'], ['decomposition_subgraph_index', 1, 'i32']] },
  23: { table: 'StablehloCaseOptions', fields: [['branch_subgraph_indices', 0, 'i32s']] },
};

/** Attributes whose value is a subgraph index (or list of them), with the short role used in `owner`. */
export const SUBGRAPH_ATTRS: Record<string, string> = {
  subgraph: 'call',
  then_subgraph_index: 'then',
  else_subgraph_index: 'else',
  cond_subgraph_index: 'cond',
  body_subgraph_index: 'body',
  init_subgraph_index: 'init',
  update_computation_subgraph_index: 'update',
  comparator_subgraph_index: 'comparator',
  decomposition_subgraph_index: 'decomposition',
  branch_subgraph_indices: 'branch',
};

const MAX_OPTION_VECTOR = 4096;

/** Reads the fields of one options table into `attrs`. */
export function readOptions(spec: OptionsTable, t: Table, attrs: Record<string, AttrValue>): void {
  attrs.options = spec.table;
  for (const [name, id, kind, def = 0] of spec.fields) {
    const what = `${spec.table}.${name}`;
    switch (kind) {
      case 'i32':
        attrs[name] = t.i32(id, def);
        break;
      case 'u32':
        attrs[name] = t.u32(id, def);
        break;
      case 'i8':
        attrs[name] = t.i8(id, def);
        break;
      case 'bool':
        attrs[name] = t.bool(id, def !== 0);
        break;
      case 'f32':
        attrs[name] = t.f32(id, def);
        break;
      case 'i64':
        attrs[name] = t.i64(id, def);
        break;
      case 'padding': {
        const v = t.i8(id, 0);
        attrs[name] = PADDING_NAMES[v] ?? `PADDING_${v}`;
        break;
      }
      case 'activation': {
        const v = t.i8(id, 0);
        attrs[name] = ACTIVATION_NAMES[v] ?? `ACTIVATION_${v}`;
        break;
      }
      case 'tensorType':
        attrs[name] = tensorType(t.i8(id, 0)).name;
        break;
      case 'i32s': {
        const v = t.i32s(id, what, MAX_OPTION_VECTOR);
        if (v) attrs[name] = v;
        break;
      }
      case 'i64s': {
        const v = t.i64s(id, what, MAX_OPTION_VECTOR);
        if (v) attrs[name] = v;
        break;
      }
      case 'string': {
        const v = t.string(id, what, 4096);
        if (v !== null) attrs[name] = v;
        break;
      }
    }
  }
}
