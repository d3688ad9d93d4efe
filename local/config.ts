/**
 * What the local stack and its clients (`nerve ingest`, `nerve search`, the benchmarks,
 * the tests) must agree on: the emulators' region and credentials, how an AWS SDK client
 * reaches them, and `.nerve/local.json`, where `npm start` writes where everything
 * listens once its server is up.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { NerveError } from '../lambdas/shared/errors.js';
import { ENV } from '../lambdas/shared/env.js';

/** The emulators take any region and credentials; every local client uses these. */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** An AWS SDK client's settings for the emulator at `endpoint`. */
export function localClientConfig(endpoint: string) {
  return { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint };
}

/** An S3 client's settings for the local S3 (the emulator, or the event proxy in front of it): path-style URLs, checksums only where an operation requires one. */
export function localS3Config(endpoint: string): S3ClientConfig {
  return { ...localClientConfig(endpoint), forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' };
}

/** The environment that points AWS SDK clients built without settings (the handlers', as in Lambda) at the emulators. */
export function localAwsEnvironment(endpoints: { readonly dynamodb?: string; readonly s3?: string; readonly sqs?: string; readonly words?: string }): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    ...(endpoints.dynamodb ? { AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb } : {}),
    ...(endpoints.s3 ? { AWS_ENDPOINT_URL_S3: endpoints.s3 } : {}),
    ...(endpoints.sqs ? { AWS_ENDPOINT_URL_SQS: endpoints.sqs } : {}),
    ...(endpoints.words ? { [ENV.wordsEndpoint]: endpoints.words, [ENV.wordsSigning]: 'none' } : {}),
  };
}

/** Where the batch path listens and what its resources are called. */
export interface LocalConfig {
  /** S3 endpoint with event notifications (the proxy): what clients upload to. */
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  readonly sqsEndpoint: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly table: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
}

/** What `.nerve/local.json` holds: the batch path's config and the HTTP API's URL. */
export interface LocalStackFile extends LocalConfig {
  readonly apiUrl: string;
}

/** The local stack's folder: NERVE_LOCAL_DIR, else `.nerve/` in the working directory (dynalite's tables are in its `data/`). */
export function localDir(): string {
  return process.env.NERVE_LOCAL_DIR ?? join(process.cwd(), '.nerve');
}

export function localConfigPath(dir = localDir()): string {
  return join(dir, 'local.json');
}

export function writeLocalConfig(file: LocalStackFile, dir = localDir()): void {
  writeFileSync(localConfigPath(dir), JSON.stringify(file, null, 1) + '\n');
}

/**
 * The running local stack's `local.json`. Without one, a `no_stack` error that says to
 * start it, or (`otherwise`) what else the caller can do.
 */
export function readLocalConfig({ path = localConfigPath(), otherwise }: { path?: string; otherwise?: string } = {}): LocalStackFile {
  if (!existsSync(path)) {
    throw new NerveError('no_stack', `no running local stack found (${path} is missing): start one with \`npm start\`${otherwise ? `, or ${otherwise}` : ''}`);
  }
  return JSON.parse(readFileSync(path, 'utf8')) as LocalStackFile;
}
