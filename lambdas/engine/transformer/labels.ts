/**
 * A token-classification model's labels, from config.json's `id2label`, in one of the
 * schemes Nerve reads: IOB1, IOB2 (B-/I-/O; the two differ in use, not in their label
 * sets), BIOES (also S- and E-) and IO (I-/O only).
 *
 * Grouping follows transformers' TokenClassificationPipeline: a token joins the group
 * before it when it has the same type and does not begin an entity. The pipeline only
 * knows B- as a beginning, so on BIOES labels it would cut every entity before its E-
 * token; here S- begins like B- and E- continues like I-, which on IOB2 and IO labels is
 * exactly the pipeline's rule.
 */
import { ModelUnsupportedError } from '../../shared/errors.js';

export const LABEL_SCHEMES = ['IOB1/IOB2', 'BIOES', 'IO'] as const;
export type LabelScheme = (typeof LABEL_SCHEMES)[number];

/** What one label id means to grouping. */
export interface LabelMeaning {
  /** The label as the model names it (`B-PER`). */
  readonly label: string;
  /** The entity type (`PER`), or `O` outside any entity. */
  readonly type: string;
  /** True for B- and S-: the token starts an entity even after one of its own type. */
  readonly begins: boolean;
}

export interface LabelSet {
  readonly scheme: LabelScheme;
  /** Indexed by the model's output id. */
  readonly byId: readonly LabelMeaning[];
  /** The IOB2 labels of the engine's interface (`NerModel.labels`): O, then B-/I- per type. */
  readonly iob2: readonly string[];
}

const PREFIXED = /^([BIES])-(.+)$/;

/** The labels of `id2label`; `file` names config.json in errors. */
export function readLabels(id2label: unknown, file: string): LabelSet {
  const unsupported = (problem: string): never => {
    throw new ModelUnsupportedError(`${file}: ${problem}`, { file });
  };
  if (typeof id2label !== 'object' || id2label === null || Array.isArray(id2label)) unsupported('has no "id2label" object');
  const entries = Object.entries(id2label as Record<string, unknown>);
  if (entries.length === 0) unsupported('"id2label" is empty');
  const labels: string[] = [];
  for (const [key, label] of entries) {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 0 || id >= entries.length) unsupported(`"id2label" key ${JSON.stringify(key)} is not an id from 0 to ${entries.length - 1}`);
    if (typeof label !== 'string' || label === '') unsupported(`"id2label" of ${key} is not a label name`);
    labels[id] = label as string;
  }
  const prefixes = new Set<string>();
  const byId = labels.map((label): LabelMeaning => {
    if (label === 'O') return { label, type: 'O', begins: false };
    const m = PREFIXED.exec(label);
    if (!m) {
      return unsupported(`label "${label}" is neither O nor B-, I-, E- or S- with a type; Nerve reads the schemes ${LABEL_SCHEMES.join(', ')}`);
    }
    prefixes.add(m[1]!);
    return { label, type: m[2]!, begins: m[1] === 'B' || m[1] === 'S' };
  });
  const scheme: LabelScheme = prefixes.has('E') || prefixes.has('S') ? 'BIOES' : prefixes.has('B') ? 'IOB1/IOB2' : 'IO';
  const types = [...new Set(byId.filter((l) => l.type !== 'O').map((l) => l.type))];
  return { scheme, byId, iob2: ['O', ...types.flatMap((t) => [`B-${t}`, `I-${t}`])] };
}
