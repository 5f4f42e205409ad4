/**
 * Published reference networks in their standard layer configurations, built as real ONNX files with the
 * project's ONNX builder (weights are zeros: only shapes and counts matter). Used by scripts/calibration/calibrate.ts
 * to compare estimates with published latencies, and by tests that check MACs/params against the papers.
 * BatchNorm is folded into the convolutions (as every exported inference graph has it); activations are
 * the networks' own (ReLU / ReLU6 as Clip / hard-swish / SiLU as Sigmoid*Mul).
 */
import { OnnxGraphBuilder, attr, writeModel, type DimSpec } from './onnx-builder';

export interface ReferenceArch {
  /** Stable key used by the calibration table. */
  key: string;
  description: string;
  /** Published MACs / params (for the test), with where they are published. */
  published?: { macs?: number; params?: number; source: string };
  build(): OnnxGraphBuilder;
}

type B = OnnxGraphBuilder;
const num = (d: DimSpec): number => d as number;

function setShape(b: B, y: string, s: DimSpec[]): string {
  b.shapes.set(y, s);
  return y;
}

function unary(b: B, op: string, x: string, attrs = [] as ReturnType<typeof attr.int>[]): string {
  const [y] = b.node(op, [x], 1, attrs);
  return setShape(b, y, b.shapeOf(x));
}

function relu6(b: B, x: string): string {
  const lo = b.weight(`${x}_min`, [], [0]);
  const hi = b.weight(`${x}_max`, [], [6]);
  const [y] = b.node('Clip', [x, lo, hi], 1);
  return setShape(b, y, b.shapeOf(x));
}

function mul(b: B, x: string, y: string): string {
  const [z] = b.node('Mul', [x, y], 1);
  return setShape(b, z, b.shapeOf(x));
}

function silu(b: B, x: string): string {
  return mul(b, x, unary(b, 'Sigmoid', x));
}

type Act = 'relu' | 'relu6' | 'hswish' | 'silu' | 'none';
function act(b: B, x: string, a: Act): string {
  switch (a) {
    case 'relu':
      return b.relu(x);
    case 'relu6':
      return relu6(b, x);
    case 'hswish':
      return unary(b, 'HardSwish', x);
    case 'silu':
      return silu(b, x);
    default:
      return x;
  }
}

function convAct(b: B, x: string, out: number, k: number, s: number, a: Act, group = 1): string {
  return act(b, b.conv(x, out, { kernel: k, stride: s, pad: 'same', group }), a);
}

/** torchvision/TF _make_divisible: round to a multiple of 8, never more than 10% below the input. */
function divisible(v: number, d = 8): number {
  let n = Math.max(d, Math.floor((v + d / 2) / d) * d);
  if (n < 0.9 * v) n += d;
  return n;
}

function classifier(b: B, x: string, classes: number): string {
  const p = b.flatten(b.globalAvgPool(x));
  const y = b.gemm(p, classes);
  b.output(y);
  return y;
}

function start(name: string, shape: number[], big = true): B {
  const b = new OnnxGraphBuilder(name, { zeroWeights: big });
  b.input('input', shape);
  return b;
}

// ---------------------------------------------------------------------------------------------
// MobileNets

export function mobilenetV1(alpha = 1, res = 224, classes = 1000): B {
  const b = start(`mobilenet_v1_${alpha}_${res}`, [1, 3, res, res]);
  const c = (n: number) => Math.max(8, Math.floor(n * alpha));
  let x = convAct(b, 'input', c(32), 3, 2, 'relu6');
  const cfg: [number, number][] = [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2], [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1]];
  for (const [out, s] of cfg) {
    x = act(b, b.depthwiseConv(x, { kernel: 3, stride: s, pad: 'same' }), 'relu6');
    x = convAct(b, x, c(out), 1, 1, 'relu6');
  }
  classifier(b, x, classes);
  return b;
}

function invertedResidual(b: B, x: string, expand: number, out: number, k: number, s: number, a: Act, se: number | null, dilation = 1): string {
  const cin = num(b.shapeOf(x)[1]);
  const hidden = Math.round(cin * expand);
  let y = x;
  if (expand !== 1) y = convAct(b, y, hidden, 1, 1, a);
  y = act(b, b.depthwiseConv(y, { kernel: k, stride: s, pad: 'same', dilation }), a);
  if (se) {
    const p = b.globalAvgPool(y);
    let z = b.relu(b.conv(p, se, { kernel: 1 }));
    z = b.conv(z, hidden, { kernel: 1 });
    z = a === 'silu' ? unary(b, 'Sigmoid', z) : unary(b, 'HardSigmoid', z);
    const [m] = b.node('Mul', [y, z], 1);
    y = setShape(b, m, b.shapeOf(y));
  }
  y = b.conv(y, out, { kernel: 1 });
  if (s === 1 && cin === out) y = b.add(y, x);
  return y;
}

export function mobilenetV2(alpha = 1, res = 224, classes = 1000): B {
  const b = start(`mobilenet_v2_${alpha}_${res}`, [1, 3, res, res]);
  let x = convAct(b, 'input', divisible(32 * alpha), 3, 2, 'relu6');
  const cfg: [number, number, number, number][] = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];
  for (const [t, c, n, s] of cfg) for (let i = 0; i < n; i++) x = invertedResidual(b, x, t, divisible(c * alpha), 3, i === 0 ? s : 1, 'relu6', null);
  x = convAct(b, x, alpha > 1 ? divisible(1280 * alpha) : 1280, 1, 1, 'relu6');
  classifier(b, x, classes);
  return b;
}

/** The MobileNetV2 backbone, returning the 19x19 expansion of block 13 (SSD tap) and the final 1280 map. */
function mobilenetV2Taps(b: B, x: string): [string, string] {
  x = convAct(b, x, 32, 3, 2, 'relu6');
  const cfg: [number, number, number, number][] = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];
  let tap = '';
  for (const [t, c, n, s] of cfg) {
    for (let i = 0; i < n; i++) {
      if (c === 160 && i === 0) tap = convAct(b, x, num(b.shapeOf(x)[1]) * 6, 1, 1, 'relu6'); // expansion output of the first 160 block
      x = invertedResidual(b, x, t, c, 3, i === 0 ? s : 1, 'relu6', null);
    }
  }
  return [tap, convAct(b, x, 1280, 1, 1, 'relu6')];
}

type Mnv3Block = [number, number, number, boolean, Act, number];
/** kernel, expansion, out, SE, activation, stride (Howard et al. 2019, Table 1 (Large) and Table 2 (Small)). */
const MNV3: Record<'large' | 'small', { blocks: Mnv3Block[]; last: number; hidden: number }> = {
  large: {
    blocks: [
      [3, 16, 16, false, 'relu', 1], [3, 64, 24, false, 'relu', 2], [3, 72, 24, false, 'relu', 1], [5, 72, 40, true, 'relu', 2], [5, 120, 40, true, 'relu', 1], [5, 120, 40, true, 'relu', 1],
      [3, 240, 80, false, 'hswish', 2], [3, 200, 80, false, 'hswish', 1], [3, 184, 80, false, 'hswish', 1], [3, 184, 80, false, 'hswish', 1], [3, 480, 112, true, 'hswish', 1], [3, 672, 112, true, 'hswish', 1],
      [5, 672, 160, true, 'hswish', 2], [5, 960, 160, true, 'hswish', 1], [5, 960, 160, true, 'hswish', 1]],
    last: 960,
    hidden: 1280,
  },
  small: {
    blocks: [
      [3, 16, 16, true, 'relu', 2], [3, 72, 24, false, 'relu', 2], [3, 88, 24, false, 'relu', 1],
      [5, 96, 40, true, 'hswish', 2], [5, 240, 40, true, 'hswish', 1], [5, 240, 40, true, 'hswish', 1], [5, 120, 48, true, 'hswish', 1], [5, 144, 48, true, 'hswish', 1],
      [5, 288, 96, true, 'hswish', 2], [5, 576, 96, true, 'hswish', 1], [5, 576, 96, true, 'hswish', 1]],
    last: 576,
    hidden: 1024,
  },
};

/**
 * MobileNetV3 Large / Small (torchvision layout). `head`: 'paper' = pool, FC to 1280 / 1024, hard-swish, FC to the
 * classes; 'linear' = pool and one FC to the classes (NetsPresso Trainer's MobileNetV3-Small "fc" head, num_layers 1).
 */
export function mobilenetV3(size: 'large' | 'small', res = 224, classes = 1000, head: 'paper' | 'linear' = 'paper'): B {
  const b = start(`mobilenet_v3_${size}_${res}_${classes}`, [1, 3, res, res]);
  const { blocks, last, hidden } = MNV3[size];
  let x = convAct(b, 'input', 16, 3, 2, 'hswish');
  for (const [k, e, out, se, a, s] of blocks) {
    const cin = num(b.shapeOf(x)[1]);
    x = invertedResidual(b, x, e / cin, out, k, s, a, se ? divisible(e / 4) : null);
  }
  x = convAct(b, x, last, 1, 1, 'hswish');
  if (head === 'linear') {
    classifier(b, x, classes);
    return b;
  }
  const p = b.flatten(b.globalAvgPool(x));
  const h = unary(b, 'HardSwish', b.gemm(p, hidden));
  b.output(b.gemm(h, classes));
  return b;
}

export function mobilenetV3Large(res = 224, classes = 1000): B {
  return mobilenetV3('large', res, classes);
}

// ---------------------------------------------------------------------------------------------
// ResNets

function basicBlock(b: B, x: string, out: number, s: number): string {
  const cin = num(b.shapeOf(x)[1]);
  let y = convAct(b, x, out, 3, s, 'relu');
  y = b.conv(y, out, { kernel: 3, pad: 'same' });
  const sc = s !== 1 || cin !== out ? b.conv(x, out, { kernel: 1, stride: s }) : x;
  return b.relu(b.add(y, sc));
}

function bottleneck(b: B, x: string, width: number, out: number, s: number): string {
  const cin = num(b.shapeOf(x)[1]);
  let y = convAct(b, x, width, 1, 1, 'relu');
  y = convAct(b, y, width, 3, s, 'relu');
  y = b.conv(y, out, { kernel: 1 });
  const sc = s !== 1 || cin !== out ? b.conv(x, out, { kernel: 1, stride: s }) : x;
  return b.relu(b.add(y, sc));
}

export function resnet(depth: 18 | 34 | 50, res = 224, classes = 1000, widthFactor = 1): B {
  const b = start(`resnet${depth}${widthFactor !== 1 ? `_w${widthFactor}` : ''}_${res}`, [1, 3, res, res]);
  let x = convAct(b, 'input', 64, 7, 2, 'relu');
  x = b.maxPool(x, 3, 2, 1);
  const blocks = depth === 18 ? [2, 2, 2, 2] : [3, 4, 6, 3]; // ResNet-34 and -50 share the stage depths
  [64, 128, 256, 512].forEach((c, stage) => {
    for (let i = 0; i < blocks[stage]; i++) {
      const s = i === 0 && stage > 0 ? 2 : 1;
      x = depth === 50 ? bottleneck(b, x, c * widthFactor, c * 4, s) : basicBlock(b, x, c, s);
    }
  });
  classifier(b, x, classes);
  return b;
}

/** MLPerf Tiny image classification reference (ResNet-8 on CIFAR-10). */
export function resnet8(): B {
  const b = start('resnet8_cifar10', [1, 3, 32, 32], false);
  let x = convAct(b, 'input', 16, 3, 1, 'relu');
  x = basicBlock(b, x, 16, 1);
  x = basicBlock(b, x, 32, 2);
  x = basicBlock(b, x, 64, 2);
  classifier(b, x, 10);
  return b;
}

// ---------------------------------------------------------------------------------------------
// SqueezeNet, GoogLeNet, EfficientNet

function fire(b: B, x: string, sq: number, e1: number, e3: number): string {
  const s = convAct(b, x, sq, 1, 1, 'relu');
  return b.concat([convAct(b, s, e1, 1, 1, 'relu'), convAct(b, s, e3, 3, 1, 'relu')]);
}

export function squeezenet(version: '1.0' | '1.1', res = 224, classes = 1000): B {
  const b = start(`squeezenet${version}_${res}`, [1, 3, res, res]);
  let x: string;
  if (version === '1.0') {
    x = b.maxPool(b.relu(b.conv('input', 96, { kernel: 7, stride: 2 })), 3, 2);
    x = fire(b, x, 16, 64, 64); x = fire(b, x, 16, 64, 64); x = fire(b, x, 32, 128, 128);
    x = b.maxPool(x, 3, 2);
    x = fire(b, x, 32, 128, 128); x = fire(b, x, 48, 192, 192); x = fire(b, x, 48, 192, 192); x = fire(b, x, 64, 256, 256);
    x = b.maxPool(x, 3, 2);
    x = fire(b, x, 64, 256, 256);
  } else {
    x = b.maxPool(b.relu(b.conv('input', 64, { kernel: 3, stride: 2 })), 3, 2);
    x = fire(b, x, 16, 64, 64); x = fire(b, x, 16, 64, 64);
    x = b.maxPool(x, 3, 2);
    x = fire(b, x, 32, 128, 128); x = fire(b, x, 32, 128, 128);
    x = b.maxPool(x, 3, 2);
    x = fire(b, x, 48, 192, 192); x = fire(b, x, 48, 192, 192); x = fire(b, x, 64, 256, 256); x = fire(b, x, 64, 256, 256);
  }
  x = b.relu(b.conv(x, classes, { kernel: 1 }));
  b.output(b.flatten(b.globalAvgPool(x)));
  return b;
}

function inception(b: B, x: string, c1: number, c3r: number, c3: number, c5r: number, c5: number, pp: number): string {
  const b1 = convAct(b, x, c1, 1, 1, 'relu');
  const b2 = convAct(b, convAct(b, x, c3r, 1, 1, 'relu'), c3, 3, 1, 'relu');
  const b3 = convAct(b, convAct(b, x, c5r, 1, 1, 'relu'), c5, 3, 1, 'relu'); // torchvision uses 3x3 here
  const b4 = convAct(b, b.maxPool(x, 3, 1, 1), pp, 1, 1, 'relu');
  return b.concat([b1, b2, b3, b4]);
}

/** GoogLeNet / Inception v1 (torchvision layout). */
export function googlenet(res = 224, classes = 1000): B {
  const b = start(`googlenet_${res}`, [1, 3, res, res]);
  let x = convAct(b, 'input', 64, 7, 2, 'relu');
  x = b.maxPool(x, 3, 2, 1);
  x = convAct(b, x, 64, 1, 1, 'relu');
  x = convAct(b, x, 192, 3, 1, 'relu');
  x = b.maxPool(x, 3, 2, 1);
  x = inception(b, x, 64, 96, 128, 16, 32, 32);
  x = inception(b, x, 128, 128, 192, 32, 96, 64);
  x = b.maxPool(x, 3, 2, 1);
  x = inception(b, x, 192, 96, 208, 16, 48, 64);
  x = inception(b, x, 160, 112, 224, 24, 64, 64);
  x = inception(b, x, 128, 128, 256, 24, 64, 64);
  x = inception(b, x, 112, 144, 288, 32, 64, 64);
  x = inception(b, x, 256, 160, 320, 32, 128, 128);
  x = b.maxPool(x, 2, 2);
  x = inception(b, x, 256, 160, 320, 32, 128, 128);
  x = inception(b, x, 384, 192, 384, 48, 128, 128);
  classifier(b, x, classes);
  return b;
}

/** EfficientNet-B0's seven MBConv stages: expansion, kernel, stride, out channels, repeats (Tan & Le 2019, Table 1). */
const EFFICIENTNET_STAGES: [number, number, number, number, number][] = [[1, 3, 1, 16, 1], [6, 3, 2, 24, 2], [6, 5, 2, 40, 2], [6, 3, 2, 80, 3], [6, 5, 1, 112, 3], [6, 5, 2, 192, 4], [6, 3, 1, 320, 1]];

/**
 * The EfficientNet stages scaled by width and depth, returning each stage's output. SE (ratio 0.25 of the block
 * input) for B0; none for the Lite models, which also keep the first and last stage's repeats unscaled
 * (tensorflow/tpu efficientnet/lite: "fix the stem and head while scaling models up").
 */
function efficientnetStages(b: B, x: string, a: Act, se: boolean, width = 1, depth = 1): string[] {
  const outs: string[] = [];
  EFFICIENTNET_STAGES.forEach(([e, k, s, c, n], stage) => {
    const fixed = !se && (stage === 0 || stage === EFFICIENTNET_STAGES.length - 1);
    const reps = fixed ? n : Math.ceil(n * depth);
    for (let i = 0; i < reps; i++) {
      const cin = num(b.shapeOf(x)[1]);
      x = invertedResidual(b, x, e, divisible(c * width), k, i === 0 ? s : 1, a, se ? Math.max(1, Math.floor(cin * 0.25)) : null);
    }
    outs.push(x);
  });
  return outs;
}

/** EfficientNet-B0 (SE + SiLU) or EfficientNet-Lite0 (no SE, ReLU6), 224x224. */
export function efficientnet(variant: 'b0' | 'lite0', res = 224, classes = 1000): B {
  const b = start(`efficientnet_${variant}_${res}`, [1, 3, res, res]);
  const a: Act = variant === 'b0' ? 'silu' : 'relu6';
  const x = convAct(b, 'input', 32, 3, 2, a);
  const stages = efficientnetStages(b, x, a, variant === 'b0');
  classifier(b, convAct(b, stages[stages.length - 1], 1280, 1, 1, a), classes);
  return b;
}

// ---------------------------------------------------------------------------------------------
// MLPerf Tiny keyword spotting (DS-CNN) and anomaly detection (FC autoencoder)

export function dsCnnKws(): B {
  const b = start('ds_cnn_kws', [1, 1, 49, 10], false);
  let x = b.relu(b.conv('input', 64, { kernel: [10, 4], stride: 2, pad: 'same' }));
  for (let i = 0; i < 4; i++) {
    x = b.relu(b.depthwiseConv(x, { kernel: 3, pad: 'same' }));
    x = b.relu(b.conv(x, 64, { kernel: 1 }));
  }
  classifier(b, x, 12);
  return b;
}

export function fcAutoencoder(): B {
  const b = start('fc_autoencoder', [1, 640], false);
  let x = 'input';
  for (const n of [128, 128, 128, 128, 8, 128, 128, 128, 128]) x = b.relu(b.gemm(x, n));
  b.output(b.gemm(x, 640));
  return b;
}

// ---------------------------------------------------------------------------------------------
// Detectors: SSD (MobileNet v1/v2 backbones, TF Object Detection API layout) and YOLOv8 / YOLO11

/** Kept boxes of the TFLite SSD exports' post-processing (export_tflite_ssd_graph.py: max_detections default 10). */
const SSD_TFLITE_MAX_DETECTIONS = 10;

/**
 * Box and class predictors on every feature map: 1x1 convolutions (kernel_size: 1) or 3x3 (kernel_size: 3). With
 * `postprocess` the network ends as the TFLite SSD exports do, in the box decoding and non-maximum suppression that
 * runs on the CPU: boxes [1, N, 4], scores [1, classes, N] and a NonMaxSuppression keeping 10 boxes, with no score
 * threshold (the configs' 1e-8), the same work as TFLite_Detection_PostProcess (cost/onnx.ts, cost/tflite.ts).
 */
function ssdHeads(b: B, maps: string[], anchors: number[], classes: number, kernel: 1 | 3, postprocess: boolean): void {
  const boxes: string[] = [];
  const scores: string[] = [];
  maps.forEach((m, i) => {
    boxes.push(b.flatten(b.conv(m, anchors[i] * 4, { kernel, pad: 'same' })));
    scores.push(b.flatten(b.conv(m, anchors[i] * classes, { kernel, pad: 'same' })));
  });
  if (!postprocess) {
    b.output(b.concat(boxes.flatMap((x, i) => [x, scores[i]]), 1));
    return;
  }
  const n = maps.reduce((s, m, i) => s + anchors[i] * (b.shapeOf(m)[2] as number) * (b.shapeOf(m)[3] as number), 0);
  const box = b.reshape(b.concat(boxes, 1), [1, n, 4]);
  const score = b.reshape(b.concat(scores, 1), [1, classes, n]);
  const [selected] = b.node('NonMaxSuppression', [box, score, b.constInt64('ssd_max_output_boxes_per_class', [SSD_TFLITE_MAX_DETECTIONS])], 1);
  b.output(selected, 'INT64', [null, 3]);
}

/** The extra feature maps: 1x1 to half depth, then a 3x3 stride-2 convolution (depthwise-separable with use_depthwise). */
function ssdExtras(b: B, x: string, chans: [number, number][], depthwise: boolean): string[] {
  const maps: string[] = [];
  for (const [mid, out] of chans) {
    const y = convAct(b, x, mid, 1, 1, 'relu6');
    x = depthwise ? convAct(b, act(b, b.depthwiseConv(y, { kernel: 3, stride: 2, pad: 'same' }), 'relu6'), out, 1, 1, 'relu6') : convAct(b, y, out, 3, 2, 'relu6');
    maps.push(x);
  }
  return maps;
}

/**
 * SSD with a MobileNet v1 (width alpha) or v2 backbone in the TF Object Detection API layout, COCO (90 classes +
 * background). 'tflite': 1x1 box / class predictors and plain 3x3 extra layers (kernel_size: 1 in
 * ssd_mobilenet_v1_coco.config, ssd_mobilenet_v1_quantized_300x300_coco14_sync.config and
 * ssd_mobilenet_v2_quantized_300x300_coco.config, tensorflow/models research/object_detection/samples/configs): the
 * quantized models behind the Coral, MLPerf and TFLite benchmarks. 'v2-float': ssd_mobilenet_v2_coco.config, 3x3
 * predictors (kernel_size: 3) and depthwise-separable extra layers (use_depthwise: true), the float TF model.
 */
export function ssdMobilenet(version: 1 | 2, res = 300, alpha = 1, layout: 'tflite' | 'v2-float' = 'tflite'): B {
  const b = start(`ssd_mobilenet_v${version}_${alpha}_${res}${layout === 'tflite' ? '' : '_float'}`, [1, 3, res, res]);
  let tapA: string;
  let tapB: string;
  if (version === 1) {
    const c = (n: number) => Math.max(8, Math.floor(n * alpha));
    let x = convAct(b, 'input', c(32), 3, 2, 'relu6');
    const cfg: [number, number][] = [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2], [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1]];
    tapA = '';
    cfg.forEach(([out, s], i) => {
      x = act(b, b.depthwiseConv(x, { kernel: 3, stride: s, pad: 'same' }), 'relu6');
      x = convAct(b, x, c(out), 1, 1, 'relu6');
      if (i === 10) tapA = x;
    });
    tapB = x;
  } else {
    [tapA, tapB] = mobilenetV2Taps(b, 'input');
  }
  // The extra layers' depths scale with the width multiplier too (feature_map_generators: max(int(d * multiplier), min_depth 16)).
  const d = (n: number) => Math.max(16, Math.floor(n * alpha));
  const extras = ssdExtras(b, tapB, ([[256, 512], [128, 256], [128, 256], [64, 128]] as [number, number][]).map(([m, o]) => [d(m), d(o)] as [number, number]), layout === 'v2-float');
  ssdHeads(b, [tapA, tapB, ...extras], [3, 6, 6, 6, 6, 6], 91, layout === 'v2-float' ? 3 : 1, layout === 'tflite');
  return b;
}

function split2(b: B, x: string): [string, string] {
  const s = b.shapeOf(x);
  const half = num(s[1]) / 2;
  const sizes = b.constInt64(`${x}_split`, [half, half]);
  const outs = b.node('Split', [x, sizes], 2, [attr.int('axis', 1)]);
  for (const o of outs) setShape(b, o, [s[0], half, s[2], s[3]]);
  return [outs[0], outs[1]];
}

function yoloBottleneck(b: B, x: string, out: number, shortcut: boolean, k: [number, number] = [3, 3], e = 0.5): string {
  const hidden = Math.floor(out * e);
  let y = convAct(b, x, hidden, k[0], 1, 'silu');
  y = convAct(b, y, out, k[1], 1, 'silu');
  return shortcut && num(b.shapeOf(x)[1]) === out ? b.add(x, y) : y;
}

/** YOLOv8 C2f (c3k=false) or YOLO11 C3k2 (c3k: inner blocks are C3k). */
function c2f(b: B, x: string, out: number, n: number, shortcut: boolean, e = 0.5, c3k = false): string {
  const c = Math.floor(out * e);
  const [y0, y1] = split2(b, convAct(b, x, 2 * c, 1, 1, 'silu'));
  const ys = [y0, y1];
  let last = y1;
  for (let i = 0; i < n; i++) {
    if (c3k) {
      // C3k: cv1/cv2 1x1 to c/2, n=2 bottlenecks, concat, cv3 1x1
      const h = Math.floor(c * 0.5);
      let a = convAct(b, last, h, 1, 1, 'silu');
      const bb = convAct(b, last, h, 1, 1, 'silu');
      for (let j = 0; j < 2; j++) a = yoloBottleneck(b, a, h, shortcut, [3, 3], 1.0);
      last = convAct(b, b.concat([a, bb]), c, 1, 1, 'silu');
    } else last = yoloBottleneck(b, last, c, shortcut, [3, 3], 1.0);
    ys.push(last);
  }
  return convAct(b, b.concat(ys), out, 1, 1, 'silu');
}

function sppf(b: B, x: string, out: number): string {
  const cin = num(b.shapeOf(x)[1]);
  let y = convAct(b, x, cin / 2, 1, 1, 'silu');
  const ys = [y];
  for (let i = 0; i < 3; i++) {
    y = b.maxPool(y, 5, 1, 2);
    ys.push(y);
  }
  return convAct(b, b.concat(ys), out, 1, 1, 'silu');
}

function upsample(b: B, x: string): string {
  const s = b.shapeOf(x);
  const roi = b.weight(`${x}_roi`, [0], []);
  const scales = b.weight(`${x}_scales`, [4], [1, 1, 2, 2]);
  const [y] = b.node('Resize', [x, roi, scales], 1, [attr.string('mode', 'nearest')]);
  return setShape(b, y, [s[0], s[1], num(s[2]) * 2, num(s[3]) * 2]);
}

/** PSA block of YOLO11's C2PSA: multi-head attention over the spatial positions + a 2-layer FFN. */
function psaBlock(b: B, x: string): string {
  const [n, c, h, w] = b.shapeOf(x).map(num);
  const heads = Math.max(1, Math.floor(c / 64));
  const keyDim = Math.floor(c / heads / 2);
  const hd = c / heads;
  const qkv = b.conv(x, c + keyDim * heads * 2, { kernel: 1 });
  const sizes = b.constInt64(`${qkv}_split`, [keyDim * heads, keyDim * heads, c]);
  const [q, k, v] = b.node('Split', [qkv, sizes], 3, [attr.int('axis', 1)]);
  const hw = h * w;
  const q2 = b.reshape(setShape(b, q, [n, keyDim * heads, h, w]), [n, heads, keyDim, hw]);
  const k2 = b.reshape(setShape(b, k, [n, keyDim * heads, h, w]), [n, heads, keyDim, hw]);
  const v2 = b.reshape(setShape(b, v, [n, c, h, w]), [n, heads, hd, hw]);
  const [qt] = b.node('Transpose', [q2], 1, [attr.ints('perm', [0, 1, 3, 2])]);
  setShape(b, qt, [n, heads, hw, keyDim]);
  const scores = b.softmax(b.matmul(qt, k2));
  const [vt] = b.node('Transpose', [v2], 1, [attr.ints('perm', [0, 1, 3, 2])]);
  setShape(b, vt, [n, heads, hw, hd]);
  const att = b.matmul(scores, vt); // [n, heads, hw, hd]
  const [at] = b.node('Transpose', [att], 1, [attr.ints('perm', [0, 1, 3, 2])]);
  setShape(b, at, [n, heads, hd, hw]);
  const merged = b.reshape(at, [n, c, h, w]);
  const pe = b.depthwiseConv(b.reshape(v2, [n, c, h, w]), { kernel: 3, pad: 'same' });
  const proj = b.conv(b.add(merged, pe), c, { kernel: 1 });
  const x1 = b.add(x, proj);
  const ffn = b.conv(convAct(b, x1, 2 * c, 1, 1, 'silu'), c, { kernel: 1 });
  return b.add(x1, ffn);
}

function c2psa(b: B, x: string, out: number, n: number): string {
  const c = Math.floor(out * 0.5);
  const [a, bb] = split2(b, convAct(b, x, 2 * c, 1, 1, 'silu'));
  let y = bb;
  for (let i = 0; i < n; i++) y = psaBlock(b, y);
  return convAct(b, b.concat([a, y]), out, 1, 1, 'silu');
}

export type YoloScale = 'n' | 's' | 'm' | 'l' | 'x';
const YOLO_SCALES: Record<'v8' | '11', Record<YoloScale, [number, number, number]>> = {
  v8: { n: [0.33, 0.25, 1024], s: [0.33, 0.5, 1024], m: [0.67, 0.75, 768], l: [1.0, 1.0, 512], x: [1.0, 1.25, 512] },
  '11': { n: [0.5, 0.25, 1024], s: [0.5, 0.5, 1024], m: [0.5, 1.0, 512], l: [1.0, 1.0, 512], x: [1.0, 1.5, 512] },
};

/** Ultralytics YOLOv8 / YOLO11 detection models (COCO, 80 classes), layer config from their model yaml files. */
export function yolo(version: 'v8' | '11', scale: YoloScale, res = 640, classes = 80): B {
  const b = start(`yolo${version}${scale}_${res}`, [1, 3, res, res]);
  const [dm, wm, maxC] = YOLO_SCALES[version][scale];
  const ch = (c: number) => Math.ceil((Math.min(c, maxC) * wm) / 8) * 8; // ultralytics make_divisible
  const rep = (n: number) => (n > 1 ? Math.max(Math.round(n * dm), 1) : n);
  const v11 = version === '11';
  const c3k = v11 && (scale === 'm' || scale === 'l' || scale === 'x');
  const block = (x: string, out: number, n: number, shortcut: boolean, e: number, forceC3k: boolean) => c2f(b, x, out, rep(n), shortcut, e, v11 && (forceC3k || c3k));
  let x = convAct(b, 'input', ch(64), 3, 2, 'silu');
  x = convAct(b, x, ch(128), 3, 2, 'silu');
  x = v11 ? block(x, ch(256), 2, false, 0.25, false) : block(x, ch(128), 3, true, 0.5, false);
  x = convAct(b, x, ch(256), 3, 2, 'silu');
  const p3 = (x = v11 ? block(x, ch(512), 2, false, 0.25, false) : block(x, ch(256), 6, true, 0.5, false));
  x = convAct(b, x, ch(512), 3, 2, 'silu');
  const p4 = (x = v11 ? block(x, ch(512), 2, true, 0.5, true) : block(x, ch(512), 6, true, 0.5, false));
  x = convAct(b, x, ch(1024), 3, 2, 'silu');
  x = v11 ? block(x, ch(1024), 2, true, 0.5, true) : block(x, ch(1024), 3, true, 0.5, false);
  x = sppf(b, x, ch(1024));
  const p5 = v11 ? c2psa(b, x, ch(1024), rep(2)) : x;
  // Head (PAN)
  let h = b.concat([upsample(b, p5), p4]);
  const h4 = block(h, ch(512), v11 ? 2 : 3, false, 0.5, false);
  h = b.concat([upsample(b, h4), p3]);
  const o3 = block(h, ch(256), v11 ? 2 : 3, false, 0.5, false);
  h = b.concat([convAct(b, o3, ch(256), 3, 2, 'silu'), h4]);
  const o4 = block(h, ch(512), v11 ? 2 : 3, false, 0.5, false);
  h = b.concat([convAct(b, o4, ch(512), 3, 2, 'silu'), p5]);
  const o5 = block(h, ch(1024), v11 ? 2 : 3, false, 0.5, true);
  // Detect
  const chs = [o3, o4, o5].map((t) => num(b.shapeOf(t)[1]));
  const c2 = Math.max(16, Math.floor(chs[0] / 4), 64);
  const c3 = Math.max(chs[0], Math.min(classes, 100));
  const outs: string[] = [];
  for (const t of [o3, o4, o5]) {
    const box = b.conv(convAct(b, convAct(b, t, c2, 3, 1, 'silu'), c2, 3, 1, 'silu'), 64, { kernel: 1 });
    let cls: string;
    if (v11) {
      const cin = num(b.shapeOf(t)[1]);
      cls = convAct(b, convAct(b, t, cin, 3, 1, 'silu', cin), c3, 1, 1, 'silu');
      cls = convAct(b, convAct(b, cls, c3, 3, 1, 'silu', c3), c3, 1, 1, 'silu');
      cls = b.conv(cls, classes, { kernel: 1 });
    } else cls = b.conv(convAct(b, convAct(b, t, c3, 3, 1, 'silu'), c3, 3, 1, 'silu'), classes, { kernel: 1 });
    const cat = b.concat([box, cls]);
    const s = b.shapeOf(cat);
    outs.push(b.reshape(cat, [1, num(s[1]), -1]));
  }
  b.output(yoloDecode(b, b.concat(outs, 2), classes));
  return b;
}

/**
 * The box decode an Ultralytics detection export runs after the head (ultralytics/nn/modules/head.py,
 * Detect._inference with export=True; the same in ONNX, OpenVINO, NCNN, TensorRT, TF Lite and Edge TPU exports):
 * split the (1, 64 + classes, A) head output into box and class channels, the DFL (reshape to (1, 4, 16, A),
 * transpose, softmax over the 16 bins, a 1x1 convolution 16 -> 1 without bias, reshape to (1, 4, A)), dist2bbox
 * against constant anchor points (chunk, anchors - lt, anchors + rb, centre = (x1y1 + x2y2) * 0.5, size = x2y2 -
 * x1y1, concat), times the per-anchor strides, and the Sigmoid of the class logits; output (1, 4 + classes, A).
 * The export's `/ 2` is written as a multiplication by 0.5 (one elementwise op either way; the TF Lite converter path
 * multiplies). docs/calibration-candidates/2026-12-05-yolo-decode-head.md.
 */
function yoloDecode(b: B, head: string, classes: number): string {
  const anchors = num(b.shapeOf(head)[2]);
  const sizes = b.constInt64(`${head}_split`, [64, classes]);
  const [box, cls] = b.node('Split', [head, sizes], 2, [attr.int('axis', 1)]);
  setShape(b, box, [1, 64, anchors]);
  setShape(b, cls, [1, classes, anchors]);
  // DFL: expected distance over 16 bins per side.
  const bins = transpose(b, b.reshape(box, [1, 4, 16, anchors]), [0, 2, 1, 3]);
  const dist = b.reshape(b.conv(b.softmax(bins, 1), 1, { kernel: 1, bias: false }), [1, 4, anchors]);
  // dist2bbox (xywh) against the anchor points, then to pixels.
  const half = b.constInt64(`${dist}_halves`, [2, 2]);
  const [lt, rb] = b.node('Split', [dist, half], 2, [attr.int('axis', 1)]);
  setShape(b, lt, [1, 2, anchors]);
  setShape(b, rb, [1, 2, anchors]);
  const points = b.weight(`${head}_anchors`, [1, 2, anchors]);
  const elementwise = (op: string, x: string, y: string) => setShape(b, b.node(op, [x, y], 1)[0], b.shapeOf(x));
  const x1y1 = elementwise('Sub', points, lt);
  const x2y2 = elementwise('Add', points, rb);
  const centre = elementwise('Mul', elementwise('Add', x1y1, x2y2), b.weight(`${head}_half`, [], [0.5]));
  const size = elementwise('Sub', x2y2, x1y1);
  const dbox = elementwise('Mul', b.concat([centre, size], 1), b.weight(`${head}_strides`, [1, 1, anchors]));
  return b.concat([dbox, unary(b, 'Sigmoid', cls)], 1);
}

// ---------------------------------------------------------------------------------------------
// Transformers: ViT-style encoder and a Whisper-style audio encoder

function layerNorm(b: B, x: string): string {
  const d = num(b.shapeOf(x).at(-1)!);
  const [y] = b.node('LayerNormalization', [x, b.weight(`${x}_ln_g`, [d]), b.weight(`${x}_ln_b`, [d])], 1, [attr.int('axis', -1)]);
  return setShape(b, y, b.shapeOf(x));
}

function encoderLayer(b: B, x: string, heads: number, mlp: number): string {
  const d = num(b.shapeOf(x).at(-1)!);
  const h = layerNorm(b, x);
  const x1 = b.add(x, attention(b, h, h, heads));
  const f = b.matmul(silu(b, b.matmul(layerNorm(b, x1), mlp)), d);
  return b.add(x1, f);
}

/** ViT (patch 16): ViT-B/16 is width 768, 12 layers, 12 heads, MLP 3072 at 224x224 (197 tokens). */
export function vit(opts: { res?: number; patch?: number; width?: number; layers?: number; heads?: number; mlp?: number; classes?: number } = {}): B {
  const { res = 224, patch = 16, width = 768, layers = 12, heads = 12, mlp = 3072, classes = 1000 } = opts;
  const b = start(`vit_${width}_${layers}_${res}`, [1, 3, res, res]);
  const p = b.conv('input', width, { kernel: patch, stride: patch });
  const tokens = (res / patch) ** 2;
  const seq = b.reshape(p, [1, width, tokens]);
  const [t] = b.node('Transpose', [seq], 1, [attr.ints('perm', [0, 2, 1])]);
  setShape(b, t, [1, tokens, width]);
  const cls = b.weight('cls_token', [1, 1, width]);
  let x = b.concat([cls, t], 1);
  x = b.add(x, b.weight('pos_embed', [1, tokens + 1, width]));
  for (let i = 0; i < layers; i++) x = encoderLayer(b, x, heads, mlp);
  x = layerNorm(b, x);
  const first = b.node('Gather', [x, b.constInt64('cls_index', [0])], 1, [attr.int('axis', 1)])[0];
  setShape(b, first, [1, 1, width]);
  b.output(b.matmul(b.reshape(first, [1, width]), classes));
  return b;
}

/** Whisper-style audio encoder (whisper-tiny: 80 mel x 3000 frames, width 384, 4 layers, 6 heads). */
export function whisperEncoder(opts: { mels?: number; frames?: number; width?: number; layers?: number; heads?: number } = {}): B {
  const { mels = 80, frames = 3000, width = 384, layers = 4, heads = 6 } = opts;
  const b = start(`whisper_encoder_${width}_${layers}`, [1, mels, 1, frames]);
  let x = silu(b, b.conv('input', width, { kernel: [1, 3], pad: 'same' }));
  x = silu(b, b.conv(x, width, { kernel: [1, 3], stride: 2, pad: 'same' }));
  const s = num(b.shapeOf(x)[3]);
  const seq = b.reshape(x, [1, width, s]);
  const [t] = b.node('Transpose', [seq], 1, [attr.ints('perm', [0, 2, 1])]);
  setShape(b, t, [1, s, width]);
  let y = b.add(t, b.weight('pos_embed', [1, s, width]));
  for (let i = 0; i < layers; i++) y = encoderLayer(b, y, heads, width * 4);
  y = layerNorm(b, y);
  b.output(y);
  return b;
}

/** A small transformer encoder (keyword/sequence model scale): 4 layers, width 256, 128 tokens. */
export function smallTransformer(): B {
  const b = start('small_transformer', [1, 128, 256], false);
  let x = 'input';
  for (let i = 0; i < 4; i++) x = encoderLayer(b, x, 4, 1024);
  b.output(layerNorm(b, x));
  return b;
}

// ---------------------------------------------------------------------------------------------
// Networks of the published rows added 2026-12-03 (ShuffleNetV2, EfficientNet-EdgeTPU, Inception v3 / v4,
// YOLOX-S, MiDaS v2.1 small, DeepLabV3+ MobileNet, MobileViTv2, DETR) and of the issue's check list (ViT-Tiny,
// DenseNet-121, BN-Inception).

/** Conv + ReLU with an explicit padding (0 = "valid", as Inception's stride-2 reductions use). */
function convRelu(b: B, x: string, out: number, k: number | [number, number], s = 1, pad: number | 'same' = 'same'): string {
  return b.relu(b.conv(x, out, { kernel: k, stride: s, pad }));
}

function transpose(b: B, x: string, perm: number[]): string {
  const s = b.shapeOf(x);
  const [y] = b.node('Transpose', [x], 1, [attr.ints('perm', perm)]);
  return setShape(b, y, perm.map((p) => s[p]));
}

/** Bilinear Resize to a fixed spatial size (DeepLab / MiDaS upsampling). */
function resizeTo(b: B, x: string, h: number, w: number): string {
  const s = b.shapeOf(x);
  const roi = b.weight(`${x}_roi`, [0], []);
  const scales = b.weight(`${x}_scales`, [0], []);
  const sizes = b.constInt64(`${x}_sizes`, [num(s[0]), num(s[1]), h, w]);
  const [y] = b.node('Resize', [x, roi, scales, sizes], 1, [attr.string('mode', 'linear')]);
  return setShape(b, y, [s[0], s[1], h, w]);
}

/** ShuffleNetV2 channel shuffle with 2 groups (Reshape, Transpose, Reshape, as torchvision exports it). */
function channelShuffle(b: B, x: string): string {
  const [n, c, h, w] = b.shapeOf(x).map(num);
  return b.reshape(transpose(b, b.reshape(x, [n, 2, c / 2, h, w]), [0, 2, 1, 3, 4]), [n, c, h, w]);
}

/** ShuffleNetV2 x0.5 / x1.0 (Ma et al. 2018, Table 5; torchvision layout). */
export function shufflenetV2(width: 0.5 | 1.0, res = 224, classes = 1000): B {
  const b = start(`shufflenet_v2_x${width}_${res}`, [1, 3, res, res]);
  const stages = width === 0.5 ? [48, 96, 192] : [116, 232, 464];
  let x = b.maxPool(convAct(b, 'input', 24, 3, 2, 'relu'), 3, 2, 1);
  [4, 8, 4].forEach((reps, i) => {
    const half = stages[i] / 2;
    const branch = (t: string, s: number) => convAct(b, b.depthwiseConv(convAct(b, t, half, 1, 1, 'relu'), { kernel: 3, stride: s, pad: 'same' }), half, 1, 1, 'relu');
    const left = convAct(b, b.depthwiseConv(x, { kernel: 3, stride: 2, pad: 'same' }), half, 1, 1, 'relu');
    x = channelShuffle(b, b.concat([left, branch(x, 2)]));
    for (let j = 1; j < reps; j++) {
      const [keep, work] = split2(b, x);
      x = channelShuffle(b, b.concat([keep, branch(work, 1)]));
    }
  });
  classifier(b, convAct(b, x, 1024, 1, 1, 'relu'), classes);
  return b;
}

/**
 * EfficientNet-EdgeTPU S (224) / M (240): ReLU, no SE; the first three stages use fused "edge residual" blocks (a
 * regular kxk expansion conv, then a 1x1 projection), the rest MBConv (timm _gen_efficientnet_edge arch_def; M scales
 * the repeats by 1.1, rounded up).
 */
export function efficientnetEdgeTpu(size: 'S' | 'M', classes = 1000): B {
  const res = size === 'S' ? 224 : 240;
  const depth = size === 'S' ? 1 : 1.1;
  const b = start(`efficientnet_edgetpu_${size}_${res}`, [1, 3, res, res]);
  let x = convAct(b, 'input', 32, 3, 2, 'relu');
  // fused?, repeats, kernel, stride, expansion, out channels, expansion base (timm "fc24"), no skip
  const cfg: [boolean, number, number, number, number, number, number | null, boolean][] = [
    [true, 1, 3, 1, 4, 24, 24, true], [true, 2, 3, 2, 8, 32, null, false], [true, 4, 3, 2, 8, 48, null, false],
    [false, 5, 5, 2, 8, 96, null, false], [false, 4, 5, 1, 8, 144, null, false], [false, 2, 5, 2, 8, 192, null, false]];
  for (const [fused, r, k, s, e, out, base, noskip] of cfg) {
    for (let i = 0; i < Math.ceil(r * depth); i++) {
      const stride = i === 0 ? s : 1;
      const cin = num(b.shapeOf(x)[1]);
      if (!fused) {
        x = invertedResidual(b, x, e, out, k, stride, 'relu', null);
        continue;
      }
      const y = b.conv(convAct(b, x, divisible((base ?? cin) * e), k, stride, 'relu'), out, { kernel: 1 });
      x = !noskip && stride === 1 && cin === out ? b.add(y, x) : y;
    }
  }
  classifier(b, convAct(b, x, 1280, 1, 1, 'relu'), classes);
  return b;
}

/** Inception v3 / v4's shared start: conv + ReLU and "average pool + 1x1" helpers, and the 3x3 stem (32 s2, 32, 64). */
function inceptionStart(name: string, res: number) {
  const b = start(name, [1, 3, res, res]);
  const cr = (x: string, out: number, k: number | [number, number], s = 1, pad: number | 'same' = 'same') => convRelu(b, x, out, k, s, pad);
  const avg = (x: string, out: number) => cr(b.avgPool(x, 3, 1, 1), out, 1);
  return { b, cr, avg, stem: cr(cr(cr('input', 32, 3, 2, 0), 32, 3, 1, 0), 64, 3) };
}

/** Inception v3 (Szegedy et al. 2016; torchvision layout without the training-only auxiliary head). */
export function inceptionV3(res = 299, classes = 1000): B {
  const { b, cr, avg, stem } = inceptionStart(`inception_v3_${res}`, res);
  let x = stem;
  x = b.maxPool(x, 3, 2);
  x = b.maxPool(cr(cr(x, 80, 1), 192, 3, 1, 0), 3, 2);
  for (const pf of [32, 64, 64]) {
    x = b.concat([cr(x, 64, 1), cr(cr(x, 48, 1), 64, 5), cr(cr(cr(x, 64, 1), 96, 3), 96, 3), avg(x, pf)]);
  }
  x = b.concat([cr(x, 384, 3, 2, 0), cr(cr(cr(x, 64, 1), 96, 3), 96, 3, 2, 0), b.maxPool(x, 3, 2)]);
  for (const c7 of [128, 160, 160, 192]) {
    const b7 = cr(cr(cr(x, c7, 1), c7, [1, 7]), 192, [7, 1]);
    const b7d = cr(cr(cr(cr(cr(x, c7, 1), c7, [7, 1]), c7, [1, 7]), c7, [7, 1]), 192, [1, 7]);
    x = b.concat([cr(x, 192, 1), b7, b7d, avg(x, 192)]);
  }
  x = b.concat([cr(cr(x, 192, 1), 320, 3, 2, 0), cr(cr(cr(cr(x, 192, 1), 192, [1, 7]), 192, [7, 1]), 192, 3, 2, 0), b.maxPool(x, 3, 2)]);
  for (let i = 0; i < 2; i++) {
    const b3 = cr(x, 384, 1);
    const b3d = cr(cr(x, 448, 1), 384, 3);
    x = b.concat([cr(x, 320, 1), cr(b3, 384, [1, 3]), cr(b3, 384, [3, 1]), cr(b3d, 384, [1, 3]), cr(b3d, 384, [3, 1]), avg(x, 192)]);
  }
  classifier(b, x, classes);
  return b;
}

/** Inception v4 (Szegedy et al. 2017, Figures 3-9; timm inception_v4 layout), 299x299. */
export function inceptionV4(res = 299, classes = 1000): B {
  const { b, cr, avg, stem } = inceptionStart(`inception_v4_${res}`, res);
  let x = stem;
  x = b.concat([b.maxPool(x, 3, 2), cr(x, 96, 3, 2, 0)]);
  x = b.concat([cr(cr(x, 64, 1), 96, 3, 1, 0), cr(cr(cr(cr(x, 64, 1), 64, [1, 7]), 64, [7, 1]), 96, 3, 1, 0)]);
  x = b.concat([cr(x, 192, 3, 2, 0), b.maxPool(x, 3, 2)]);
  for (let i = 0; i < 4; i++) x = b.concat([cr(x, 96, 1), cr(cr(x, 64, 1), 96, 3), cr(cr(cr(x, 64, 1), 96, 3), 96, 3), avg(x, 96)]);
  x = b.concat([cr(x, 384, 3, 2, 0), cr(cr(cr(x, 192, 1), 224, 3), 256, 3, 2, 0), b.maxPool(x, 3, 2)]);
  for (let i = 0; i < 7; i++) {
    const b1 = cr(cr(cr(x, 192, 1), 224, [1, 7]), 256, [7, 1]);
    const b2 = cr(cr(cr(cr(cr(x, 192, 1), 192, [7, 1]), 224, [1, 7]), 224, [7, 1]), 256, [1, 7]);
    x = b.concat([cr(x, 384, 1), b1, b2, avg(x, 128)]);
  }
  x = b.concat([cr(cr(x, 192, 1), 192, 3, 2, 0), cr(cr(cr(cr(x, 256, 1), 256, [1, 7]), 320, [7, 1]), 320, 3, 2, 0), b.maxPool(x, 3, 2)]);
  for (let i = 0; i < 3; i++) {
    const b1 = cr(x, 384, 1);
    const b2 = cr(cr(cr(x, 384, 1), 448, [3, 1]), 512, [1, 3]);
    x = b.concat([cr(x, 256, 1), cr(b1, 256, [1, 3]), cr(b1, 256, [3, 1]), cr(b2, 256, [1, 3]), cr(b2, 256, [3, 1]), avg(x, 256)]);
  }
  classifier(b, x, classes);
  return b;
}

/** BN-Inception / Inception v2 (Ioffe & Szegedy 2015, Figure 5), 224x224. */
export function bnInception(res = 224, classes = 1000): B {
  const b = start(`bn_inception_${res}`, [1, 3, res, res]);
  const cr = (x: string, out: number, k: number, s = 1) => convRelu(b, x, out, k, s);
  let x = b.maxPool(cr('input', 64, 7, 2), 3, 2, 1);
  x = b.maxPool(cr(cr(x, 64, 1), 192, 3), 3, 2, 1);
  // #1x1, #3x3 reduce, #3x3, double #3x3 reduce, double #3x3, pool proj (0: none) or 'max' pass-through reduction
  const module = (t: string, c1: number, r3: number, c3: number, rd: number, d3: number, pool: 'avg' | 'max', pp: number, s = 1): string => {
    const parts: string[] = [];
    if (c1) parts.push(cr(t, c1, 1));
    parts.push(cr(cr(t, r3, 1), c3, 3, s));
    parts.push(cr(cr(cr(t, rd, 1), d3, 3), d3, 3, s));
    const pooled = pool === 'max' ? b.maxPool(t, 3, s, 1) : b.avgPool(t, 3, 1, 1);
    parts.push(pp ? cr(pooled, pp, 1) : pooled);
    return b.concat(parts);
  };
  x = module(x, 64, 64, 64, 64, 96, 'avg', 32);
  x = module(x, 64, 64, 96, 64, 96, 'avg', 64);
  x = module(x, 0, 128, 160, 64, 96, 'max', 0, 2);
  x = module(x, 224, 64, 96, 96, 128, 'avg', 128);
  x = module(x, 192, 96, 128, 96, 128, 'avg', 128);
  x = module(x, 160, 128, 160, 128, 160, 'avg', 128);
  x = module(x, 96, 128, 192, 160, 192, 'avg', 128);
  x = module(x, 0, 128, 192, 192, 256, 'max', 0, 2);
  x = module(x, 352, 192, 320, 160, 224, 'avg', 128);
  x = module(x, 352, 192, 320, 192, 224, 'max', 128);
  classifier(b, x, classes);
  return b;
}

/**
 * DenseNet-121 (Huang et al. 2017, Table 1; torchvision layout): growth 32, bottleneck 4x, blocks 6-12-24-16,
 * transitions halve the channels. Its BatchNorm + ReLU come before each convolution (pre-activation) and cannot be
 * folded into it, so they stay as BatchNormalization nodes.
 */
export function densenet121(res = 224, classes = 1000): B {
  const b = start(`densenet121_${res}`, [1, 3, res, res]);
  const bnRelu = (t: string) => {
    const c = num(b.shapeOf(t)[1]);
    const p = (k: string) => b.weight(`${t}_bn_${k}`, [c]);
    const [y] = b.node('BatchNormalization', [t, p('scale'), p('bias'), p('mean'), p('var')], 1);
    return b.relu(setShape(b, y, b.shapeOf(t)));
  };
  let x = b.maxPool(convAct(b, 'input', 64, 7, 2, 'relu'), 3, 2, 1);
  [6, 12, 24, 16].forEach((layers, i) => {
    for (let l = 0; l < layers; l++) {
      const y = b.conv(bnRelu(b.conv(bnRelu(x), 128, { kernel: 1, bias: false })), 32, { kernel: 3, pad: 'same', bias: false });
      x = b.concat([x, y]);
    }
    if (i < 3) x = b.avgPool(b.conv(bnRelu(x), num(b.shapeOf(x)[1]) / 2, { kernel: 1, bias: false }), 2, 2);
  });
  classifier(b, bnRelu(x), classes);
  return b;
}

/** YOLOX-S (Ge et al. 2021; Megvii YOLOX): CSPDarknet (depth 0.33, width 0.5) with Focus and SPP, PAFPN, decoupled head. */
export function yoloxS(res = 640, classes = 80): B {
  const b = start(`yolox_s_${res}`, [1, 3, res, res]);
  const conv = (x: string, out: number, k: number, s = 1) => convAct(b, x, out, k, s, 'silu');
  const csp = (x: string, out: number, n: number, shortcut: boolean) => {
    const h = out / 2;
    let m = conv(x, h, 1);
    for (let i = 0; i < n; i++) m = yoloBottleneck(b, m, h, shortcut, [1, 3], 1.0);
    return conv(b.concat([m, conv(x, h, 1)]), out, 1);
  };
  const [focus] = b.node('SpaceToDepth', ['input'], 1, [attr.int('blocksize', 2)]);
  setShape(b, focus, [1, 12, res / 2, res / 2]);
  let x = conv(focus, 32, 3);
  x = csp(conv(x, 64, 3, 2), 64, 1, true);
  const c3 = (x = csp(conv(x, 128, 3, 2), 128, 3, true));
  const c4 = (x = csp(conv(x, 256, 3, 2), 256, 3, true));
  x = conv(x, 512, 3, 2);
  const sppIn = conv(x, 256, 1);
  x = conv(b.concat([sppIn, ...[5, 9, 13].map((k) => b.maxPool(sppIn, k, 1, (k - 1) / 2))]), 512, 1);
  const c5 = csp(x, 512, 1, false);
  const lat0 = conv(c5, 256, 1);
  const p4 = csp(b.concat([upsample(b, lat0), c4]), 256, 1, false);
  const lat1 = conv(p4, 128, 1);
  const o3 = csp(b.concat([upsample(b, lat1), c3]), 128, 1, false);
  const o4 = csp(b.concat([conv(o3, 128, 3, 2), lat1]), 256, 1, false);
  const o5 = csp(b.concat([conv(o4, 256, 3, 2), lat0]), 512, 1, false);
  const outs = [o3, o4, o5].map((t) => {
    const stem = conv(t, 128, 1);
    const cls = b.conv(conv(conv(stem, 128, 3), 128, 3), classes, { kernel: 1 });
    const reg = conv(conv(stem, 128, 3), 128, 3);
    const cat = b.concat([b.conv(reg, 4, { kernel: 1 }), unary(b, 'Sigmoid', b.conv(reg, 1, { kernel: 1 })), unary(b, 'Sigmoid', cls)]);
    return b.reshape(cat, [1, classes + 5, -1]);
  });
  b.output(transpose(b, b.concat(outs, 2), [0, 2, 1]));
  return b;
}

/**
 * MiDaS v2.1 small (isl-org/MiDaS midas_net_custom.py, the AI Hub "midas" model, 256x256): EfficientNet-Lite3
 * encoder (width 1.2, depth 1.4, taps after stages 2, 3, 5 and 7: 32 / 48 / 136 / 384 channels), 3x3 "scratch" convs
 * to 64 / 128 / 256 / 512, four RefineNet fusion blocks (two residual conv units each; refinenet4 uses one), output head.
 */
export function midasSmall(res = 256): B {
  const b = start(`midas_v21_small_${res}`, [1, 3, res, res]);
  const stages = efficientnetStages(b, convAct(b, 'input', 32, 3, 2, 'relu6'), 'relu6', false, 1.2, 1.4);
  const taps = [stages[1], stages[2], stages[4], stages[6]].map((t, i) => b.conv(t, 64 << i, { kernel: 3, pad: 'same', bias: false }));
  const rcu = (t: string) => {
    const c = num(b.shapeOf(t)[1]);
    return b.add(b.conv(b.relu(b.conv(b.relu(t), c, { kernel: 3, pad: 'same' })), c, { kernel: 3, pad: 'same' }), t);
  };
  let path = '';
  for (let i = 3; i >= 0; i--) {
    let y = path ? b.add(path, rcu(taps[i])) : taps[i];
    y = rcu(y);
    const [, c, h, w] = b.shapeOf(y).map(num);
    path = b.conv(resizeTo(b, y, h * 2, w * 2), i === 0 ? c : c / 2, { kernel: 1 });
  }
  let y = b.conv(path, 32, { kernel: 3, pad: 'same' });
  y = b.relu(b.conv(resizeTo(b, y, res, res), 32, { kernel: 3, pad: 'same' }));
  b.output(b.relu(b.conv(y, 1, { kernel: 1 })));
  return b;
}

/**
 * DeepLabV3+ with a MobileNetV2 backbone at output stride 16 (jfzhang95/pytorch-deeplab-xception, the AI Hub
 * "deeplabv3_plus_mobilenet" model, 513x513, 21 VOC classes): ASPP (1x1, 3x3 at rates 6 / 12 / 18, image pooling) to
 * 256, decoder with the 1/4-resolution 24-channel features projected to 48, two 3x3 convs, bilinear upsampling.
 */
export function deeplabV3PlusMobilenet(res = 513, classes = 21): B {
  const b = start(`deeplabv3plus_mobilenet_${res}`, [1, 3, res, res]);
  let x = convAct(b, 'input', 32, 3, 2, 'relu6');
  const cfg: [number, number, number, number][] = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];
  let low = '';
  let dilation = 1;
  for (const [t, c, n, s] of cfg) {
    const atStride16 = c >= 96; // from the 96 stage on, strides turn into dilation (output stride 16)
    for (let i = 0; i < n; i++) {
      x = invertedResidual(b, x, t, c, 3, atStride16 || i > 0 ? 1 : s, 'relu6', null, dilation);
      if (c === 24 && i === n - 1) low = x;
    }
    if (atStride16 && s === 2) dilation *= 2;
  }
  const [, , h, w] = b.shapeOf(x).map(num);
  const cr = (t: string, out: number, k: number, d = 1) => b.relu(b.conv(t, out, { kernel: k, pad: 'same', dilation: d }));
  const pooled = resizeTo(b, cr(b.globalAvgPool(x), 256, 1), h, w);
  const aspp = cr(b.concat([cr(x, 256, 1), cr(x, 256, 3, 6), cr(x, 256, 3, 12), cr(x, 256, 3, 18), pooled]), 256, 1);
  const [, , lh, lw] = b.shapeOf(low).map(num);
  let y = b.concat([resizeTo(b, aspp, lh, lw), cr(low, 48, 1)]);
  y = b.conv(cr(cr(y, 256, 3), 256, 3), classes, { kernel: 1 });
  b.output(resizeTo(b, y, res, res));
  return b;
}

/** MobileViTv2 linear self-attention over [n, d, P, N] patches (Mehta & Rastegari 2022, Figure 1c). */
function linearSelfAttention(b: B, x: string): string {
  const [n, d, p, np] = b.shapeOf(x).map(num);
  const qkv = b.conv(x, 1 + 2 * d, { kernel: 1 });
  const [q, k, v] = b.node('Split', [qkv, b.constInt64(`${qkv}_split`, [1, d, d])], 3, [attr.int('axis', 1)]);
  setShape(b, q, [n, 1, p, np]);
  setShape(b, k, [n, d, p, np]);
  setShape(b, v, [n, d, p, np]);
  const scores = b.softmax(q, -1);
  const [ctx] = b.node('ReduceSum', [mul(b, k, scores), b.constInt64(`${qkv}_axes`, [-1])], 1, [attr.int('keepdims', 1)]);
  setShape(b, ctx, [n, d, p, 1]);
  return b.conv(mul(b, b.relu(v), ctx), d, { kernel: 1 });
}

/** MobileViTv2's LayerNorm over channels and patches (a GroupNorm with one group) with a per-channel affine. */
function groupNorm1(b: B, x: string): string {
  const s = b.shapeOf(x);
  const c = num(s[1]);
  const [y] = b.node('MeanVarianceNormalization', [x], 1, [attr.ints('axes', [1, 2, 3])]);
  setShape(b, y, s);
  const [z] = b.node('Mul', [y, b.weight(`${x}_gn_g`, [1, c, 1, 1])], 1);
  setShape(b, z, s);
  return b.add(z, b.weight(`${x}_gn_b`, [1, c, 1, 1]));
}

/** MobileViTv2 block: depthwise 3x3 + 1x1 to the attention width, 2x2 patches, n linear-attention layers, 1x1 back. */
function mobilevitV2Block(b: B, x: string, attn: number, layers: number): string {
  const [n, c, h, w] = b.shapeOf(x).map(num);
  let y = b.conv(act(b, b.depthwiseConv(x, { kernel: 3, pad: 'same' }), 'silu'), attn, { kernel: 1, bias: false });
  y = b.reshape(transpose(b, b.reshape(y, [n, attn, h / 2, 2, w / 2, 2]), [0, 1, 3, 5, 2, 4]), [n, attn, 4, (h / 2) * (w / 2)]);
  for (let i = 0; i < layers; i++) {
    y = b.add(y, linearSelfAttention(b, groupNorm1(b, y)));
    y = b.add(y, b.conv(act(b, b.conv(groupNorm1(b, y), 2 * attn, { kernel: 1 }), 'silu'), attn, { kernel: 1 }));
  }
  y = groupNorm1(b, y);
  y = b.reshape(transpose(b, b.reshape(y, [n, attn, 2, 2, h / 2, w / 2]), [0, 1, 4, 2, 5, 3]), [n, attn, h, w]);
  return b.conv(y, c, { kernel: 1 });
}

/** MobileViTv2-1.0 (Mehta & Rastegari 2022; apple/ml-cvnets mobilevit_v2 config, width 1.0), 256x256. */
export function mobilevitV2(res = 256, classes = 1000): B {
  const b = start(`mobilevit_v2_1.0_${res}`, [1, 3, res, res]);
  let x = convAct(b, 'input', 32, 3, 2, 'silu');
  x = invertedResidual(b, x, 2, 64, 3, 1, 'silu', null);
  x = invertedResidual(b, x, 2, 128, 3, 2, 'silu', null);
  x = invertedResidual(b, x, 2, 128, 3, 1, 'silu', null);
  for (const [out, attn, layers] of [[256, 128, 2], [384, 192, 4], [512, 256, 3]]) {
    x = mobilevitV2Block(b, invertedResidual(b, x, 2, out, 3, 2, 'silu', null), attn, layers);
  }
  classifier(b, x, classes);
  return b;
}

/** Multi-head attention of queries `q` over `kv` ([1, tokens, d] each) with its four projections. */
function attention(b: B, q: string, kv: string, heads: number): string {
  const [, sq, d] = b.shapeOf(q).map(num);
  const skv = num(b.shapeOf(kv)[1]);
  const hd = d / heads;
  const split = (t: string, s: number, perm: number[]) => transpose(b, b.reshape(t, [1, s, heads, hd]), perm);
  const qh = split(b.matmul(q, d), sq, [0, 2, 1, 3]);
  const kT = split(b.matmul(kv, d), skv, [0, 2, 3, 1]);
  const vh = split(b.matmul(kv, d), skv, [0, 2, 1, 3]);
  const att = transpose(b, b.matmul(b.softmax(b.matmul(qh, kT)), vh), [0, 2, 1, 3]);
  return b.matmul(b.reshape(att, [1, sq, d]), d);
}

/** Post-norm transformer sublayers as DETR has them: x = LN(x + f(x)). */
function postNorm(b: B, x: string, f: string): string {
  return layerNorm(b, b.add(x, f));
}

function ffn(b: B, x: string, hidden: number): string {
  const d = num(b.shapeOf(x).at(-1)!);
  return b.matmul(b.relu(b.matmul(x, hidden)), d);
}

/**
 * DETR with a ResNet-50 backbone (Carion et al. 2020; facebook/detr-resnet-50): C5 features projected to 256, 6 encoder
 * and 6 decoder layers (8 heads, FFN 2048, 100 object queries), class (91 + no-object) and 3-layer box heads.
 */
export function detrResnet50(res = 800, classes = 92): B {
  const b = start(`detr_resnet50_${res}`, [1, 3, res, res]);
  let x = b.maxPool(convAct(b, 'input', 64, 7, 2, 'relu'), 3, 2, 1);
  [64, 128, 256, 512].forEach((c, stage) => {
    for (let i = 0; i < [3, 4, 6, 3][stage]; i++) x = bottleneck(b, x, c, c * 4, i === 0 && stage > 0 ? 2 : 1);
  });
  const [, , h, w] = b.shapeOf(x).map(num);
  const d = 256;
  let mem = transpose(b, b.reshape(b.conv(x, d, { kernel: 1 }), [1, d, h * w]), [0, 2, 1]);
  const pos = b.weight('pos_embed', [1, h * w, d]);
  for (let i = 0; i < 6; i++) {
    mem = postNorm(b, mem, attention(b, b.add(mem, pos), mem, 8));
    mem = postNorm(b, mem, ffn(b, mem, 2048));
  }
  const memPos = b.add(mem, pos);
  let t = b.weight('query_embed', [1, 100, d]);
  for (let i = 0; i < 6; i++) {
    t = postNorm(b, t, attention(b, t, t, 8));
    t = postNorm(b, t, attention(b, t, memPos, 8));
    t = postNorm(b, t, ffn(b, t, 2048));
  }
  t = layerNorm(b, t);
  const box = unary(b, 'Sigmoid', b.matmul(b.relu(b.matmul(b.relu(b.matmul(t, d)), d)), 4));
  b.output(b.matmul(t, classes));
  b.output(box);
  return b;
}

// ---------------------------------------------------------------------------------------------
// The registry the calibration and the tests use.

export const REFERENCE_ARCHS: Record<string, ReferenceArch> = Object.fromEntries(
  (
    [
      { key: 'mobilenet_v1_1.0_224', description: 'MobileNet v1 1.0, 224x224', published: { macs: 569e6, params: 4.2e6, source: 'Howard et al. 2017, Table 8 (569M mult-adds, 4.2M parameters)' }, build: () => mobilenetV1(1, 224) },
      { key: 'mobilenet_v1_0.25_96_vww', description: 'MLPerf Tiny VWW: MobileNet v1 0.25, 96x96, 2 classes', published: { macs: 7.5e6, source: 'MLPerf Tiny VWW reference (about 7.5M MACs; research notes 1.1)' }, build: () => mobilenetV1(0.25, 96, 2) },
      { key: 'mobilenet_v2_1.0_224', description: 'MobileNet v2 1.0, 224x224', published: { macs: 300e6, params: 3.4e6, source: 'Sandler et al. 2018, Table 4 (300M MAdds, 3.4M parameters)' }, build: () => mobilenetV2(1, 224) },
      { key: 'mobilenet_v3_large_224', description: 'MobileNet v3 Large, 224x224', published: { macs: 219e6, params: 5.4e6, source: 'Howard et al. 2019, Table 3 (219M MAdds, 5.4M parameters)' }, build: () => mobilenetV3Large(224) },
      { key: 'resnet18_224', description: 'ResNet-18, 224x224', published: { macs: 1.8e9, params: 11.7e6, source: 'He et al. 2016, Table 1 (1.8x10^9 FLOPs as multiply-adds); torchvision 11.7M parameters' }, build: () => resnet(18, 224) },
      { key: 'resnet50_224', description: 'ResNet-50, 224x224', published: { macs: 4.1e9, params: 25.6e6, source: 'He et al. 2016, Table 1 (3.8x10^9 multiply-adds; 4.1G with torchvision stride placement); 25.6M parameters' }, build: () => resnet(50, 224) },
      { key: 'resnet50_299', description: 'ResNet-50, 299x299 (Coral benchmark input)', build: () => resnet(50, 299) },
      { key: 'wide_resnet50_2_224', description: 'Wide ResNet-50-2, 224x224', published: { params: 68.9e6, source: 'torchvision wide_resnet50_2 (68.9M parameters, 11.4 GFLOPS)' }, build: () => resnet(50, 224, 1000, 2) },
      { key: 'resnet8_cifar', description: 'MLPerf Tiny IC: ResNet-8, 32x32 CIFAR-10', published: { macs: 12.5e6, source: 'MLPerf Tiny IC reference (about 12.5M MACs; research notes 1.1)' }, build: () => resnet8() },
      { key: 'squeezenet1.0_224', description: 'SqueezeNet 1.0, 224x224', published: { params: 1.25e6, source: 'Iandola et al. 2016, Table 1 (1.25M parameters uncompressed)' }, build: () => squeezenet('1.0') },
      { key: 'squeezenet1.1_224', description: 'SqueezeNet 1.1, 224x224', published: { params: 1.24e6, source: 'torchvision squeezenet1_1 (1.24M parameters, 0.35 GFLOPS)' }, build: () => squeezenet('1.1') },
      { key: 'googlenet_224', description: 'GoogLeNet / Inception v1, 224x224', published: { macs: 1.5e9, params: 6.6e6, source: 'Szegedy et al. 2014 (about 1.5G multiply-adds); torchvision googlenet 6.6M parameters' }, build: () => googlenet(224) },
      { key: 'efficientnet_b0_224', description: 'EfficientNet-B0, 224x224', published: { macs: 0.39e9, params: 5.3e6, source: 'Tan & Le 2019, Table 2 (0.39B FLOPs as multiply-adds, 5.3M parameters)' }, build: () => efficientnet('b0') },
      { key: 'efficientnet_lite0_224', description: 'EfficientNet-Lite0, 224x224', published: { params: 4.7e6, source: 'TensorFlow EfficientNet-Lite README (Lite0: 4.7M parameters)' }, build: () => efficientnet('lite0') },
      { key: 'ds_cnn_kws', description: 'MLPerf Tiny KWS: DS-CNN, 49x10 MFCC, 12 classes', published: { macs: 2.7e6, source: 'MLPerf Tiny KWS reference (about 2.7M MACs; research notes 1.1)' }, build: () => dsCnnKws() },
      { key: 'fc_autoencoder_ad', description: 'MLPerf Tiny AD: FC autoencoder, 640 inputs', published: { macs: 0.26e6, params: 0.27e6, source: 'MLPerf Tiny AD reference (about 0.26M MACs, ~270 KB int8; research notes 1.1, 1.6)' }, build: () => fcAutoencoder() },
      { key: 'ssd_mobilenet_v1_1.0_300', description: 'SSD MobileNet v1 1.0, 300x300, COCO', published: { macs: 2.494e9 / 2, params: 6.807e6, source: 'OpenVINO Open Model Zoo ssd_mobilenet_v1_coco (TF ssd_mobilenet_v1_coco.config, kernel_size: 1): 2.494 GFLOPs, 6.807 MParams' }, build: () => ssdMobilenet(1, 300, 1) },
      { key: 'ssd_mobilenet_v1_1.0_224', description: 'SSD MobileNet v1 1.0, 224x224, COCO', build: () => ssdMobilenet(1, 224, 1) },
      { key: 'ssd_mobilenet_v1_0.75_300', description: 'SSD MobileNet v1 0.75 depth, 300x300, COCO', build: () => ssdMobilenet(1, 300, 0.75) },
      { key: 'ssd_mobilenet_v2_300', description: 'SSD MobileNet v2, 300x300, COCO', build: () => ssdMobilenet(2, 300) },
      { key: 'ssd_mobilenet_v2_224', description: 'SSD MobileNet v2, 224x224, COCO', build: () => ssdMobilenet(2, 224) },
      // The float TF model (3x3 predictors, depthwise extras): no published row runs it; it checks the builder's v2 backbone taps and extras against published figures.
      { key: 'ssd_mobilenet_v2_float_300', description: 'SSD MobileNet v2 (float TF model, ssd_mobilenet_v2_coco.config), 300x300, COCO', published: { macs: 3.775e9 / 2, params: 16.818e6, source: 'OpenVINO Open Model Zoo ssd_mobilenet_v2_coco: 3.775 GFLOPs, 16.818 MParams' }, build: () => ssdMobilenet(2, 300, 1, 'v2-float') },
      ...(['n', 's', 'm', 'l', 'x'] as YoloScale[]).map((s) => ({
        key: `yolo11${s}_640`, description: `YOLO11${s} detection, 640x640`,
        published: { macs: { n: 6.5e9, s: 21.5e9, m: 68.0e9, l: 86.9e9, x: 194.9e9 }[s] / 2, params: { n: 2.6e6, s: 9.4e6, m: 20.1e6, l: 25.3e6, x: 56.9e6 }[s], source: 'Ultralytics YOLO11 docs (GFLOPs = 2 x MACs; params)' },
        build: () => yolo('11', s, 640),
      })),
      { key: 'yolov8n_640', description: 'YOLOv8n detection, 640x640', published: { macs: 8.7e9 / 2, params: 3.2e6, source: 'Ultralytics YOLOv8 docs (8.7 GFLOPs = 2 x MACs, 3.2M params)' }, build: () => yolo('v8', 'n', 640) },
      { key: 'yolov8n_512', description: 'YOLOv8n detection, 512x512', build: () => yolo('v8', 'n', 512) },
      { key: 'yolov8n_320', description: 'YOLOv8n detection, 320x320', build: () => yolo('v8', 'n', 320) },
      { key: 'yolov8s_640', description: 'YOLOv8s detection, 640x640', published: { macs: 28.6e9 / 2, params: 11.2e6, source: 'Ultralytics YOLOv8 docs (28.6 GFLOPs, 11.2M params)' }, build: () => yolo('v8', 's', 640) },
      { key: 'vit_b16_224', description: 'ViT-B/16, 224x224', published: { macs: 17.6e9, params: 86.6e6, source: 'Dosovitskiy et al. 2021 / torchvision vit_b_16 (17.56 GFLOPS as multiply-adds, 86.6M parameters)' }, build: () => vit() },
      { key: 'whisper_tiny_encoder', description: 'Whisper tiny encoder, 80x3000 log-mel', published: { params: 8.2e6, source: 'openai/whisper tiny: 39M parameters in total, of which the 4-layer 384-wide encoder is about 8.2M' }, build: () => whisperEncoder() },
      { key: 'small_transformer', description: 'Small transformer encoder: 4 layers, width 256, 128 tokens', build: () => smallTransformer() },
      // Added for the rows of 2026-12-03 (each checked against its published MACs / params in calibration-archs.test.ts)
      { key: 'mobilenet_v3_small_224', description: 'MobileNet v3 Small, 224x224', published: { macs: 56e6, params: 2.5e6, source: 'Howard et al. 2019, Table 3 (V3-Small 1.0: 56M MAdds, 2.5M parameters)' }, build: () => mobilenetV3('small', 224) },
      { key: 'mobilenet_v3_small_224_3cls', description: 'MobileNet v3 Small, 224x224, NetsPresso Trainer 3-class head (pool + one FC 576->3)', published: { macs: 56e6 - 576 * 1024 - 1024 * 1000 + 576 * 3, params: 2.5e6 - 577 * 1024 - 1025 * 1000 + 577 * 3, source: 'derived: Howard et al. 2019 V3-Small (56M MAdds, 2.5M parameters) with the 1024-wide head FC and the 1000-class FC replaced by one 576->3 FC (netspresso-trainer config/model/mobilenetv3/mobilenetv3-small-classification.yaml: head fc, num_layers 1)' }, build: () => mobilenetV3('small', 224, 3, 'linear') },
      { key: 'mobilenet_v3_large_224_3cls', description: 'MobileNet v3 Large, 224x224, NetsPresso Trainer 3-class head (FC 960->1280, hard-swish, FC 1280->3)', published: { macs: 219e6 - 1280 * 997, params: 5.4e6 - 1281 * 997, source: 'derived: Howard et al. 2019, Table 3 V3-Large (219M MAdds, 5.4M parameters) with 3 instead of 1000 classes (netspresso-trainer mobilenetv3-large-classification.yaml: head fc, num_layers 2, intermediate 1280, hard_swish)' }, build: () => mobilenetV3('large', 224, 3) },
      { key: 'resnet18_224_3cls', description: 'ResNet-18, 224x224, NetsPresso Trainer 3-class head', published: { params: 11.7e6 - 513 * 997, source: 'derived: torchvision resnet18 (11.7M parameters) with a 512->3 instead of a 512->1000 FC' }, build: () => resnet(18, 224, 3) },
      { key: 'resnet34_224', description: 'ResNet-34, 224x224', published: { macs: 3.6e9, params: 21.8e6, source: 'He et al. 2016, Table 1 (3.6x10^9 FLOPs as multiply-adds); torchvision resnet34 21.8M parameters' }, build: () => resnet(34, 224) },
      { key: 'resnet34_224_3cls', description: 'ResNet-34, 224x224, NetsPresso Trainer 3-class head', published: { params: 21.8e6 - 513 * 997, source: 'derived: torchvision resnet34 (21.8M parameters) with a 512->3 instead of a 512->1000 FC (netspresso-trainer resnet34-classification.yaml: head fc, num_layers 1)' }, build: () => resnet(34, 224, 3) },
      { key: 'resnet50_224_3cls', description: 'ResNet-50, 224x224, NetsPresso Trainer 3-class head', published: { params: 25.6e6 - 2049 * 997, source: 'derived: torchvision resnet50 (25.6M parameters) with a 2048->3 instead of a 2048->1000 FC' }, build: () => resnet(50, 224, 3) },
      { key: 'mobilenet_v1_0.25_128', description: 'MobileNet v1 0.25, 128x128', published: { macs: 14e6, params: 0.47e6, source: 'tensorflow/models research/slim/nets/mobilenet_v1.md (MobileNet_v1_0.25_128: 14 million MACs, 0.47 million parameters)' }, build: () => mobilenetV1(0.25, 128) },
      { key: 'shufflenet_v2_x0.5_224', description: 'ShuffleNetV2 x0.5, 224x224 (AI Hub shufflenet_v2)', published: { macs: 41e6, params: 1.37e6, source: 'Ma et al. 2018, Table 8 (ShuffleNet v2 0.5x: 41M FLOPs, counted as multiply-adds); torchvision shufflenet_v2_x0_5: 1.37M parameters' }, build: () => shufflenetV2(0.5) },
      { key: 'shufflenet_v2_x1.0_224', description: 'ShuffleNetV2 x1.0, 224x224', published: { macs: 146e6, params: 2.28e6, source: 'Ma et al. 2018, Table 8 (ShuffleNet v2 1x: 146M FLOPs, counted as multiply-adds); torchvision shufflenet_v2_x1_0: 2.28M parameters' }, build: () => shufflenetV2(1.0) },
      { key: 'efficientnet_edgetpu_s_224', description: 'EfficientNet-EdgeTPU-S, 224x224', published: { macs: 1.8e9, params: 5.4e6, source: 'timm efficientnet_es model card (huggingface.co/timm/efficientnet_es.ra_in1k: Params (M) 5.4, GMACs 1.8, 224 x 224)' }, build: () => efficientnetEdgeTpu('S') },
      { key: 'efficientnet_edgetpu_m_240', description: 'EfficientNet-EdgeTPU-M, 240x240', published: { macs: 3.0e9, params: 6.9e6, source: 'timm efficientnet_em model card (huggingface.co/timm/efficientnet_em.ra2_in1k: Params (M) 6.9, GMACs 3.0, 240 x 240)' }, build: () => efficientnetEdgeTpu('M') },
      { key: 'inception_v3_299', description: 'Inception v3, 299x299', published: { macs: 5.71e9, params: 23.8e6, source: 'torchvision inception_v3 (5.71 GFLOPS as multiply-adds; 27.2M parameters of which the training-only AuxLogits head holds 3.4M: 23.8M in an inference graph)' }, build: () => inceptionV3(299) },
      { key: 'inception_v3_224', description: 'Inception v3 at 224x224 (AI Hub inception_v3)', published: { params: 23.8e6, source: 'torchvision inception_v3 without the auxiliary head (23.8M parameters; the input size does not change them)' }, build: () => inceptionV3(224) },
      { key: 'inception_v4_299', description: 'Inception v4, 299x299', published: { macs: 12.3e9, params: 42.7e6, source: 'timm inception_v4 model card (huggingface.co/timm/inception_v4.tf_in1k: Params (M) 42.7, GMACs 12.3, 299 x 299)' }, build: () => inceptionV4(299) },
      { key: 'bn_inception_224', description: 'BN-Inception (Inception v2), 224x224', build: () => bnInception(224) },
      { key: 'densenet121_224', description: 'DenseNet-121, 224x224', published: { macs: 2.83e9, params: 7.98e6, source: 'torchvision densenet121 (2.83 GFLOPS as multiply-adds, 7.98M parameters)' }, build: () => densenet121(224) },
      { key: 'vit_tiny_224', description: 'ViT-Tiny/16 (DeiT-Ti), 224x224', published: { macs: 1.3e9, params: 5.7e6, source: 'timm vit_tiny_patch16_224 model card (Params (M) 5.7, GMACs 1.3); DeiT-Ti: width 192, 12 layers, 3 heads' }, build: () => vit({ width: 192, layers: 12, heads: 3, mlp: 768 }) },
      { key: 'yolov8s_512', description: 'YOLOv8s detection, 512x512', build: () => yolo('v8', 's', 512) },
      { key: 'yolo11n_320', description: 'YOLO11n detection, 320x320', build: () => yolo('11', 'n', 320) },
      { key: 'yolox_s_640', description: 'YOLOX-S detection, 640x640', published: { macs: 26.8e9 / 2, params: 9.0e6, source: 'Megvii YOLOX README (YOLOX-s: 9.0M params, 26.8 GFLOPs at 640, where YOLOX counts 2 FLOPs per multiply-add)' }, build: () => yoloxS(640) },
      { key: 'midas_v21_small_256', description: 'MiDaS v2.1 small (EfficientNet-Lite3 encoder), 256x256', published: { params: 16.6e6, source: 'AI Hub midas info.yaml (Model checkpoint MiDaS_small, input 256x256, Number of parameters: 16.6M; refinenet4\'s unused first residual unit is not in it)' }, build: () => midasSmall(256) },
      { key: 'deeplabv3plus_mobilenet_513', description: 'DeepLabV3+ MobileNetV2 (output stride 16), 513x513, 21 classes', published: { params: 5.8e6, source: 'AI Hub deeplabv3_plus_mobilenet info.yaml (Number of parameters: 5.80M, input 513x513)' }, build: () => deeplabV3PlusMobilenet(513) },
      { key: 'mobilevit_v2_1.0_256', description: 'MobileViTv2-1.0, 256x256', published: { macs: 1.8e9, params: 4.9e6, source: 'Mehta & Rastegari 2022, Table (MobileViTv2-1.0: 4.9M parameters, 1.8G FLOPs counted as multiply-adds by ml-cvnets)' }, build: () => mobilevitV2(256) },
      { key: 'detr_resnet50_800', description: 'DETR ResNet-50, 800x800 (100 queries)', published: { params: 41.3e6, source: 'facebookresearch/detr README (DETR R50: 41M parameters); facebook/detr-resnet-50 model card 41.3M' }, build: () => detrResnet50(800) },
    ] as ReferenceArch[]
  ).map((a) => [a.key, a]),
);

/** Writes a reference architecture to an ONNX file; returns its byte size. */
export function writeReferenceModel(key: string, file: string): number {
  const arch = REFERENCE_ARCHS[key];
  if (!arch) throw new Error(`unknown reference architecture "${key}"`);
  return writeModel(arch.build().model({ opset: 17 }), file);
}
