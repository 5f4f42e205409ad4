/**
 * Cross-validation of a device's fit (scripts/calibration/cross-validation.ts): a by-source fold, and a by-point fold,
 * refit through `fitWithout` with the left-out publication (the point's) named, so what the fold fits with (the
 * op-class multipliers searched without that publication, docs/calibration-candidates/2026-12-05-class-scales-per-
 * source-fold.md and -per-point-fold.md) never saw what it judges; the single-source simulation refits through `fit`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossValidate } from '../../scripts/calibration/cross-validation';
import type { GroupFit } from '../../scripts/calibration/group-fit';
import type { CalPoint } from '../../scripts/calibration/fit';

const point = (key: string, publication: string, measuredMs: number): CalPoint =>
  ({ key, row: 0, device: 'dev', arch: 'net_1', llm: null, precision: 'int8', runtime: 'rt', measuredMs, label: key, source: publication, publication });

/** A fit whose estimate is the mean of the points it saw, times `scale`, so each refit's prediction shows what it saw. */
const fitOf = (scale: number) => (tr: CalPoint[]): GroupFit => ({
  cal: { computeScale: 1, overheadScale: 1, memoryScale: 1, runtimeFactors: {}, range: { low: 0.5, high: 2 }, trainingPoints: tr.length, heldOutPoints: 0, heldOutMedianAbsLogError: null, note: String(scale * tr.reduce((a, p) => a + p.measuredMs, 0) / tr.length) },
  loss: 0, grid: [], bounds: [],
});
const estimate = (_p: CalPoint, cal: { note: string } | null) => ({ typical: Number(cal!.note) });

test('by-point and by-source folds refit through fitWithout with the left-out publication; the single-source simulation through fit', () => {
  const tr = [point('a1', 'A', 10), point('a2', 'A', 20), point('b1', 'B', 40), point('c1', 'C', 80)];
  const asked: string[] = [];
  const fitted: string[] = [];
  const cv = crossValidate(tr, (rest) => (fitted.push(rest.map((p) => p.key).join(',')), fitOf(1)(rest)), estimate, () => false, (pub, rest) => {
    asked.push(`${pub}:${rest.map((p) => p.key).join(',')}`);
    return fitOf(2)(rest);
  });
  // By point first (each point with its own publication named, the rest refitted), then by source.
  assert.deepEqual(asked, ['A:a2,b1,c1', 'A:a1,b1,c1', 'B:a1,a2,c1', 'C:a1,a2,b1', 'A:b1,c1', 'B:a1,a2,c1', 'C:a1,a2,b1']);
  // By source: each point predicted by the fold without its publication, through fitWithout (scale 2).
  assert.deepEqual(cv.bySourcePoints.map((p) => p.key), ['a1', 'a2', 'b1', 'c1']);
  assert.ok(Math.abs(cv.bySource[0].r - Math.log(10 / (2 * 60))) < 1e-12);
  assert.ok(Math.abs(cv.bySource[2].r - Math.log(40 / (2 * (110 / 3)))) < 1e-12);
  // By point: each point predicted by fitWithout (scale 2) on the others.
  assert.ok(Math.abs(cv.byPoint[0].r - Math.log(10 / (2 * (20 + 40 + 80) / 3))) < 1e-12);
  assert.ok(Math.abs(cv.byPoint[2].r - Math.log(40 / (2 * (10 + 20 + 80) / 3))) < 1e-12);
  // The single-source simulation (publication A alone, its points left out in turn) goes through fit.
  assert.deepEqual(fitted, ['a1,a2', 'a2', 'a1']);
  assert.deepEqual(cv.pubs, ['A', 'B', 'C']);
});

test('without fitWithout both kinds of fold refit through fit', () => {
  const tr = [point('a1', 'A', 10), point('b1', 'B', 40)];
  const cv = crossValidate(tr, fitOf(1), estimate, () => false);
  assert.ok(Math.abs(cv.bySource[0].r - Math.log(10 / 40)) < 1e-12);
  assert.ok(Math.abs(cv.bySource[1].r - Math.log(40 / 10)) < 1e-12);
  assert.ok(Math.abs(cv.byPoint[0].r - Math.log(10 / 40)) < 1e-12);
});
