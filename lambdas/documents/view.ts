/**
 * GET /v1/documents/{documentId}, free of Lambda: the document's status, model version,
 * and entities with their mentions (offsets in code points into the document's text).
 */
import { RequestError } from '../shared/errors.js';
import { documentIdOf } from '../index/schema.js';
import { getDocument, getEntities, type IndexStore } from '../index/store.js';

const ID = /^d[0-9a-f]{24}(?:-L\d{1,9})?$/;

export async function documentView(store: IndexStore, documentId: string | undefined) {
  if (!documentId || !ID.test(documentId)) throw new RequestError('invalid_document_id', `"${documentId ?? ''}" is not a document id (they look like d0123456789abcdef01234567)`);
  const record = await getDocument(store, documentId);
  if (!record) throw new RequestError('not_found', `no document ${documentId}`);
  const entities = record.status === 'indexed' ? await getEntities(store, record) : [];
  return {
    documentId,
    status: record.status,
    ...(record.reason ? { reason: record.reason } : {}),
    source: { bucket: record.bucket, key: record.key, ...(record.line !== undefined ? { line: record.line } : {}) },
    model: record.model,
    title: record.title,
    updatedAt: record.updatedAt,
    ...(record.childLines ? { documents: record.childLines.map((line) => documentIdOf(record.bucket, record.key, line)) } : {}),
    entities: entities.map((e) => ({ type: e.type, name: e.name, normalized: e.key, aliases: e.aliases, mentions: e.mentions })),
  };
}
