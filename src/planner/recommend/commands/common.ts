/**
 * The shared parts of every toolchain's commands: the command context (model, device class, step parameters), the model's
 * inputs with symbolic dimensions bound, file names, and the calibration-data reader the quantizers take.
 * No `vscode` import.
 */
import * as path from 'path';
import type { ModelProfile } from '../../../analyzers/profile-types';
import type { DeviceClass, OpRewriteRule, Student } from '../technique-table';

export type Toolchain = 'onnxruntime' | 'onnxruntime-qnn' | 'tensorrt' | 'tflite' | 'tflite-edgetpu' | 'tflite-micro' | 'coremltools' | 'pytorch' | 'llama.cpp';

export interface CommandContext {
  profile: ModelProfile;
  deviceClass: DeviceClass;
  deviceId: string;
  deviceName: string;
  perChannel?: boolean;
  fraction?: number;
  student?: Student;
  rewrites?: { op: string; rule: OpRewriteRule | null; layers: number }[];
  /** Runtime to switch to (change-runtime). */
  runtime?: string;
  /** For change-device: the new device's id and name. */
  newDevice?: { id: string; name: string };
}

export interface InputSpec {
  name: string;
  shape: number[];
  dtype: string;
}

/** Inputs with every symbolic dimension bound (the profile's bindings, else 1). */
export function inputSpecs(p: ModelProfile): InputSpec[] {
  const specs = p.inputs.map((i) => ({
    name: i.name || 'input',
    shape: (i.shape ?? [1]).map((d) => (typeof d === 'number' ? (d > 0 ? d : 1) : p.dynamicShapes.bindings[d] ?? 1)),
    dtype: i.dtype,
  }));
  return specs.length ? specs : [{ name: 'input', shape: [1], dtype: 'FLOAT' }];
}

export const pyShape = (s: number[]): string => `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;

const npDtype = (dtype: string): string => {
  const d = dtype.toUpperCase();
  if (d.includes('INT64')) return 'np.int64';
  if (d.includes('INT32')) return 'np.int32';
  if (d === 'UINT8') return 'np.uint8';
  if (d === 'INT8') return 'np.int8';
  if (d.includes('16') && d.includes('FLOAT')) return 'np.float16';
  return 'np.float32';
};

export function names(p: ModelProfile): { file: string; stem: string; dir: string } {
  const file = path.basename(p.file || 'model');
  const ext = path.extname(file);
  return { file, stem: ext ? file.slice(0, -ext.length) : file, dir: path.dirname(p.file || '.') };
}

/** Python that yields calibration samples for every input, shaped like the model's inputs. */
export function calibrationReaderPy(specs: InputSpec[], style: 'ort' | 'tflite' | 'dict'): string {
  const loads = specs
    .map((s, i) => `        x${i} = np.load(f"calibration/${safeName(s.name)}/{k:05d}.npy").astype(${npDtype(s.dtype)}).reshape(${pyShape(s.shape)})`)
    .join('\n');
  const dict = `{${specs.map((s, i) => `${JSON.stringify(s.name)}: x${i}`).join(', ')}}`;
  const header = `import numpy as np

# ~300-500 real, preprocessed samples that cover every user group and condition (see the operational plan).
# One .npy per sample and input, preprocessed exactly as in production.
N_SAMPLES = 300
`;
  if (style === 'ort') {
    return `${header}
from onnxruntime.quantization import CalibrationDataReader

class Calibration(CalibrationDataReader):
    def __init__(self):
        self.k = 0

    def get_next(self):
        if self.k >= N_SAMPLES:
            return None
        k = self.k
${loads.replace(/^ {8}/gm, '        ')}
        self.k += 1
        return ${dict}
`;
  }
  if (style === 'tflite') {
    return `${header}
def representative_dataset():
    for k in range(N_SAMPLES):
${loads}
        yield [${specs.map((_, i) => `x${i}`).join(', ')}]
`;
  }
  return `${header}
def calibration_samples():
    for k in range(N_SAMPLES):
${loads}
        yield ${dict}
`;
}

export const safeName = (n: string): string => n.replace(/[^A-Za-z0-9_.-]+/g, '_') || 'input';

// ---------------------------------------------------------------------------------------------
// ONNX Runtime
