/**
 * One thread of a ParallelModel (see parallel.ts): loads its own copy of the model and
 * answers the main thread's calls, each message with its id.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../shared/errors.js';
import { loadModel } from './load.js';
import type { NerModel } from './model.js';
import type { ToWorker, FromWorker, WorkerSetup } from './parallel.js';

const port = parentPort!;
const send = (message: FromWorker) => port.postMessage(message);

async function serve({ ref, options }: WorkerSetup): Promise<void> {
  let model: NerModel;
  try {
    model = await loadModel(ref, options);
  } catch (e) {
    send({ kind: 'failed', error: serializeError(e) });
    port.close();
    return;
  }
  port.on('message', async (message: ToWorker) => {
    if (message.kind === 'release') {
      await model.release();
      port.close();
      return;
    }
    try {
      const result = message.kind === 'spans' ? await model.spanSentences(message.batch) : await model.labelSentences(message.batch);
      send({ kind: 'result', id: message.id, result });
    } catch (e) {
      send({ kind: 'error', id: message.id, error: serializeError(e) });
    }
  });
  send({ kind: 'ready', model: model.model, family: model.family, labels: model.labels });
}

void serve((workerData as { setup: WorkerSetup }).setup);
