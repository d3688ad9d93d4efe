/**
 * One cold start, in a fresh process (bench/online.ts runs it several times): load
 * ONNX Runtime, load the model, serve the first request through the handler path.
 * Prints one JSON line of timings in milliseconds.
 */
const t0 = performance.now();
const ort = await import('onnxruntime-node');
void ort;
const ortLoaded = performance.now();
const { Tagger } = await import('../lambdas/engine/tagger.js');
const model = await Tagger.load(process.env.NERVE_MODEL ?? 'small', { intraOpThreads: 1 });
const modelLoaded = performance.now();
await model.extract('Peter Blackburn of the European Commission spoke in Brussels on Friday.');
const firstInference = performance.now();
console.log(
  JSON.stringify({
    ortLoadMs: ortLoaded - t0,
    modelLoadMs: modelLoaded - ortLoaded,
    firstInferenceMs: firstInference - modelLoaded,
    totalMs: firstInference - t0,
    processUptimeBeforeStartMs: t0,
  }),
);
