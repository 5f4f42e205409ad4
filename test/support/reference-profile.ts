/** A reference network (test/support/modelgen/reference-archs.ts) written as a real ONNX file and analyzed, the file then removed. */
import * as fs from 'fs';
import * as path from 'path';
import { analyzeFile } from '../../src/analyzers';
import type { ModelProfile } from '../../src/analyzers/profile-types';
import { writeReferenceModel } from './modelgen/reference-archs';
import { tempDir } from './shared';

export async function referenceProfile(key: string): Promise<ModelProfile> {
  const dir = tempDir(`reference-${key.replace(/[^a-z0-9]+/gi, '-')}`);
  try {
    const file = path.join(dir, `${key}.onnx`);
    writeReferenceModel(key, file);
    return (await analyzeFile(file)).model;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
