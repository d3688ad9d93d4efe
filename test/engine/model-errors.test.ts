import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelInvalidError, ModelNotFoundError } from '../../lambdas/shared/errors.js';
import { Tagger } from '../../lambdas/engine/tagger.js';
import { fixtures } from '../helpers/paths.js';

const tinyModel = join(fixtures, 'tiny-model');

/** A copy of the tiny model whose manifest or ONNX file a test can break. */
function brokenCopy(edit: (dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'nerve-model-'));
  for (const f of ['manifest.json', 'model.onnx']) copyFileSync(join(tinyModel, f), join(dir, f));
  edit(dir);
  return dir;
}

const editManifest = (change: (m: Record<string, any>) => void) =>
  brokenCopy((dir) => {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    change(m);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
  });

describe('loading a model', () => {
  it('names an unknown model and where it looked', async () => {
    await expect(Tagger.load('no-such-model')).rejects.toThrow(ModelNotFoundError);
    await expect(Tagger.load('no-such-model')).rejects.toThrow(/no model named "no-such-model" in .*models/);
    await expect(Tagger.load('./missing/folder')).rejects.toThrow(/model folder .*missing\/folder does not exist/);
  });

  it('names what is wrong with a malformed folder', async () => {
    const cases: Array<[string, RegExp]> = [
      [brokenCopy((d) => writeFileSync(join(d, 'manifest.json'), '{not json')), /manifest\.json is not valid JSON/],
      [brokenCopy((d) => writeFileSync(join(d, 'manifest.json'), '[]')), /manifest\.json is not a JSON object/],
      [editManifest((m) => delete m.version), /lacks a string "version"/],
      [editManifest((m) => (m.labels = ['O', 'X-PER'])), /label "X-PER" is not O, B-TYPE or I-TYPE/],
      [editManifest((m) => m.decoder.transitions.pop()), /decoder\.transitions must be a 9x9 matrix/],
      [editManifest((m) => (m.inputs.featureScheme = 'other/9')), /featureScheme is "other\/9"; this engine implements/],
      [editManifest((m) => (m.file = 'gone.onnx')), /gone\.onnx is missing/],
      [brokenCopy((d) => writeFileSync(join(d, 'model.onnx'), 'corrupt')), /model\.onnx has sha256 [0-9a-f]{64}, the manifest says/],
    ];
    for (const [dir, message] of cases) {
      const attempt = Tagger.load(dir);
      await expect(attempt).rejects.toThrow(ModelInvalidError);
      await expect(Tagger.load(dir)).rejects.toThrow(message);
    }
  });

  it('reports a corrupt ONNX file as an invalid model when the checksum is not checked', async () => {
    const dir = brokenCopy((d) => writeFileSync(join(d, 'model.onnx'), 'corrupt'));
    await expect(Tagger.load(dir, { verifyChecksum: false })).rejects.toThrow(/ONNX Runtime cannot load/);
  });

  it('checks options up front', async () => {
    await expect(Tagger.load(tinyModel, { intraOpThreads: 0 })).rejects.toThrow(/intraOpThreads must be a positive integer/);
    await expect(Tagger.load(tinyModel, { windowTokens: 8, windowContext: 4 })).rejects.toThrow(/window size 8 must exceed/);
  });
});
