import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { REFERENCE_ARCHS, writeReferenceModel } from '../support/modelgen/reference-archs';
import { analyzeFile } from '../../src/analyzers';
import { tempDir } from '../support/shared';

/**
 * The reference networks the calibration builds must be the published networks: their MACs and parameter
 * counts, as our analyzer reads them from the generated ONNX files, must match the papers' figures.
 * Tolerance 12%: papers round (e.g. "4.2M"), count the classifier bias or not, and ResNet-50 has 3.8G
 * (paper) vs 4.1G (torchvision stride placement) multiply-adds.
 */
const TOL = 0.12;
const SKIP_BIG = new Set(['vit_b16_224', 'wide_resnet50_2_224', 'yolo11x_640', 'yolo11l_640']); // large files: checked by scripts/calibration/calibrate.ts

test('reference architectures match their published MACs and parameter counts', async () => {
  const dir = tempDir('refarch');
  const rows: string[] = [];
  try {
    for (const [key, arch] of Object.entries(REFERENCE_ARCHS)) {
      if (!arch.published || SKIP_BIG.has(key)) continue;
      const file = path.join(dir, `${key}.onnx`);
      writeReferenceModel(key, file);
      const { model } = await analyzeFile(file);
      fs.unlinkSync(file);
      rows.push(`${key}: macs ${model.macs} params ${model.params}`);
      assert.ok(model.macs !== null, `${key}: MACs unknown (${model.macsUnknownReason})`);
      if (arch.published.macs) {
        const r = model.macs! / arch.published.macs;
        assert.ok(Math.abs(r - 1) <= TOL, `${key}: MACs ${model.macs} vs published ${arch.published.macs} (${arch.published.source})`);
      }
      if (arch.published.params) {
        const r = model.params / arch.published.params;
        assert.ok(Math.abs(r - 1) <= TOL, `${key}: params ${model.params} vs published ${arch.published.params} (${arch.published.source})`);
      }
      assert.ok(model.layers.length > 5);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    if (process.env.EDGEPLAN_VERBOSE) console.log(rows.join('\n'));
  }
});
