/**
 * A Nerve function as a container image, for models that do not fit Lambda's 250 MB
 * unzipped limit (lib/model-code.ts decides). The build context, assembled at synth under
 * layers/build/images/ (once per content: layers/build.ts's assembled), holds layers/Dockerfile.function, the folders a zip function would
 * get as layers (opt/, copied to /opt where Lambda extracts layers) and the handler bundled
 * as a zip function's is (function/). The models' files are hard links where the file
 * system allows, so a large model is not copied once more at every synth.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { assembled, filesIn, linkTree, stamps } from '../layers/build.js';
import { bundleInto } from './bundling.js';
import type { OptFolder } from './model-code.js';

export const FUNCTION_DOCKERFILE = 'Dockerfile.function';

export interface FunctionImageProps {
  readonly repoRoot: string;
  /** The handler's source, relative to the repository root. */
  readonly entry: string;
  readonly modelWorker?: boolean;
  /** Folders laid out as under /opt (what would be layers). */
  readonly opt: readonly OptFolder[];
}

/** The image's code for a function in `scope`: built for linux/amd64, Nerve's one Lambda architecture. */
export function functionImageCode(scope: Construct, props: FunctionImageProps): lambda.DockerImageCode {
  const dockerfile = join(props.repoRoot, 'layers', FUNCTION_DOCKERFILE);
  const bundle = Stack.of(scope).bundlingRequired;
  // The bundle follows the code and the locked dependencies; the /opt folders are named by their own content.
  const key = [props.entry, String(props.modelWorker ?? false), String(bundle), ...props.opt.map((f) => f.dir), ...stamps([dockerfile, join(props.repoRoot, 'package-lock.json'), ...filesIn(join(props.repoRoot, 'lambdas'))])];
  const context = assembled('images', key, (dir) => {
    copyFileSync(dockerfile, join(dir, FUNCTION_DOCKERFILE));
    for (const folder of props.opt) linkTree(folder.dir, join(dir, 'opt'));
    bundleInto(join(dir, 'function'), { repoRoot: props.repoRoot, entry: props.entry, modelWorker: props.modelWorker, bundle });
  });
  return lambda.DockerImageCode.fromImageAsset(context, { file: FUNCTION_DOCKERFILE, platform: Platform.LINUX_AMD64 });
}
