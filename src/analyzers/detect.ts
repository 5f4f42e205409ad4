/**
 * Detects a model's format from its bytes (magic numbers, FlatBuffers identifier, zip/pickle structure,
 * protobuf shape), never from the file name alone. A name that disagrees with the content gives a warning.
 */
import * as path from 'path';
import type { ModelFormat } from './graph';
import { ModelFileError } from './errors';
import type { FileSource } from './io/file-source';
import { ZipArchive } from './io/zip';
import { ProtoReader } from './io/protobuf';
import { recordOf } from './safe-record';

export interface Detection {
  format: ModelFormat;
  /** What the bytes looked like, for messages ("zip archive with data.pkl", "protobuf with a graph field"). */
  evidence: string;
  /** Set when the extension suggests another format than the content. */
  extensionMismatch?: string;
}

const EXTENSIONS: Record<string, ModelFormat> = recordOf({
  '.onnx': 'onnx',
  '.ort': 'onnx',
  '.tflite': 'tflite',
  '.lite': 'tflite',
  '.safetensors': 'safetensors',
  '.gguf': 'gguf',
  '.pt': 'pytorch',
  '.pth': 'pytorch',
  '.bin': 'pytorch',
  '.jit': 'pytorch',
  '.keras': 'keras',
  '.h5': 'keras',
  '.hdf5': 'keras',
  '.mlmodel': 'coreml',
});


const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

export function detectFormat(src: FileSource): Detection {
  const file = src.file;
  if (src.size === 0) throw new ModelFileError(file, 'the file is empty (0 bytes)');
  const head = src.read(0, Math.min(src.size, 64), 'file header');
  const found = detectFromBytes(src, head);
  const ext = path.extname(file).toLowerCase();
  const expected = EXTENSIONS[ext];
  if (expected && expected !== found.format) {
    found.extensionMismatch = `the file is named ${ext} but its content is ${found.format.toUpperCase()} (${found.evidence}); it was read as ${found.format.toUpperCase()}`;
  }
  return found;
}

function detectFromBytes(src: FileSource, head: Buffer): Detection {
  const file = src.file;
  if (head.length >= 8 && head.toString('latin1', 4, 8) === 'TFL3') return { format: 'tflite', evidence: 'FlatBuffers identifier TFL3' };
  if (head.length >= 4 && head.toString('latin1', 0, 4) === 'GGUF') return { format: 'gguf', evidence: 'GGUF magic' };
  if (head.length >= 8 && head.subarray(0, 8).equals(HDF5_SIGNATURE)) return { format: 'keras', evidence: 'HDF5 signature' };
  if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) return detectZip(src);
  if (head.length >= 4 && head.readUInt32LE(0) === 0x06054b50) throw new ModelFileError(file, 'an empty zip archive, not a model');
  // HDF5 files may carry a user block: the signature then sits at 512, 1024, 2048 ...
  for (let off = 512; off + 8 <= src.size && off <= 1 << 20; off *= 2) {
    if (src.read(off, 8, 'HDF5 signature').equals(HDF5_SIGNATURE)) return { format: 'keras', evidence: `HDF5 signature at offset ${off}` };
  }
  if (head.length >= 10 && head[8] === 0x7b /* { */ && head.readBigUInt64LE(0) > 1n) {
    // A JSON header after its 8-byte length; the reader reports a length that runs past the end.
    return { format: 'safetensors', evidence: 'JSON header after an 8-byte length' };
  }
  if (head[0] === 0x80 && head.length >= 2 && head[1] >= 2 && head[1] <= 5) {
    throw new ModelFileError(file, 'a raw Python pickle (legacy torch.save format or another pickled object); only zip-based PyTorch files (torch.save since 1.6, TorchScript) can be read safely — pickles are never unpickled');
  }
  const ext = path.extname(file).toLowerCase();
  // Protobuf has no magic number, and printable text can parse as protobuf fields (a licence file's letters are
  // valid tags): a file not named as a protobuf model whose header is all text is reported as text.
  if (ext !== '.onnx' && ext !== '.ort' && ext !== '.mlmodel' && isPrintableText(head)) {
    throw new ModelFileError(file, 'a text file (its first bytes are printable text), not a model: expected ONNX or Core ML (protobuf), TFLite (FlatBuffers "TFL3"), safetensors, GGUF, a PyTorch/Keras zip archive or Keras HDF5');
  }
  const pb = scanProtobufTopLevel(src, ext);
  if (pb === 'onnx') return { format: 'onnx', evidence: 'protobuf ModelProto with a graph' };
  if (pb === 'coreml') return { format: 'coreml', evidence: 'protobuf Core ML Model specification' };
  throw new ModelFileError(
    file,
    'not a recognised model format: expected ONNX or Core ML (protobuf), TFLite (FlatBuffers "TFL3"), safetensors, GGUF, a PyTorch/Keras zip archive or Keras HDF5',
  );
}

/** Zip: PyTorch archives hold `<root>/data.pkl`; Keras v3 archives hold `config.json` and `model.weights.h5`. */
function detectZip(src: FileSource): Detection {
  let names: string[];
  try {
    names = ZipArchive.open(src).entries.map((e) => e.name);
  } catch (e) {
    if (e instanceof ModelFileError) throw new ModelFileError(src.file, `a damaged zip archive (${e.reason})`);
    throw e;
  }
  if (names.some((n) => /(^|\/)data\.pkl$/.test(n) || /(^|\/)constants\.pkl$/.test(n))) return { format: 'pytorch', evidence: 'zip archive with data.pkl' };
  if (names.includes('config.json') || names.includes('model.weights.h5') || names.includes('metadata.json')) return { format: 'keras', evidence: 'zip archive with config.json' };
  throw new ModelFileError(src.file, `a zip archive that is neither a PyTorch file (no data.pkl) nor a Keras .keras file (no config.json)${names[0] ? `; first entry "${names[0]}"` : ''}`);
}

/**
 * Walks up to 64 top-level protobuf fields without reading their contents. ONNX ModelProto has graph (7)
 * and opset_import (8); a Core ML Model starts with specificationVersion (1), then description (2) and a
 * model type field >= 200. Both start with a small version number in field 1: a file that starts like that
 * and is then cut off is handed to the reader its extension names, which reports the truncation.
 */
/** Whether every byte is printable ASCII or a tab / line break (UTF-8 text beyond ASCII counts as binary here). */
function isPrintableText(head: Buffer): boolean {
  return head.length > 0 && head.every((b) => (b >= 0x20 && b <= 0x7e) || b === 0x09 || b === 0x0a || b === 0x0d);
}

function scanProtobufTopLevel(src: FileSource, ext: string): 'onnx' | 'coreml' | null {
  const fields: { field: number; wire: number; varint: number }[] = [];
  let truncated = false;
  try {
    const reader = new ProtoReader(src);
    for (const f of reader.fields(reader.root(), 'model')) {
      fields.push({ field: f.field, wire: f.wire, varint: f.varint });
      if (fields.length >= 64) break;
    }
  } catch (e) {
    if (!(e instanceof ModelFileError)) throw e;
    truncated = true;
  }
  if (fields.length === 0) return null;
  const nums = [...new Set(fields.map((f) => f.field))];
  const first = fields[0];
  const versionFirst = first.field === 1 && first.wire === 0 && first.varint >= 1 && first.varint <= 64;
  if ((nums.includes(7) || nums.includes(8)) && nums.every((f) => f <= 25)) return 'onnx';
  if (versionFirst && nums.some((f) => f >= 200) && nums.every((f) => f === 1 || f === 2 || f >= 200)) return 'coreml';
  if (truncated && versionFirst && nums.every((f) => f <= 25 || f >= 200)) {
    if (ext === '.onnx' || ext === '.ort') return 'onnx';
    if (ext === '.mlmodel') return 'coreml';
  }
  return null;
}
