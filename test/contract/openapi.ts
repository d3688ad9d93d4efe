/**
 * docs/openapi.json as a validator of real responses: the operation's documented
 * response for a status and content type, checked with Ajv (JSON Schema 2020-12, as
 * OpenAPI 3.1 uses it) and ajv-formats. A status, content type or body the document does
 * not allow is a failure that says which and why.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { repoRoot } from '../helpers/paths.js';

export const OPENAPI_PATH = join(repoRoot, 'docs', 'openapi.json');
const SCHEMAS_ID = 'nerve-openapi';

type Json = Record<string, any>;

export interface ContractResponse {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: unknown;
}

export class OpenApiContract {
  readonly doc: Json;
  private readonly ajv: Ajv2020;

  constructor(doc: Json = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8'))) {
    // Component schemas become one schema document's $defs, so that every $ref resolves in Ajv.
    this.doc = JSON.parse(JSON.stringify(doc).replaceAll('"#/components/schemas/', `"${SCHEMAS_ID}#/$defs/`));
    this.ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictTuples: false });
    (addFormats as unknown as (ajv: Ajv2020) => void)(this.ajv);
    this.ajv.addSchema({ $id: SCHEMAS_ID, $defs: this.doc.components.schemas });
  }

  /** The operation for a method and a concrete path (`/v1/documents/d…` matches `/v1/documents/{documentId}`). */
  operation(method: string, path: string): Json {
    for (const [template, item] of Object.entries(this.doc.paths as Json)) {
      const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`);
      if (pattern.test(path) && item[method.toLowerCase()]) return item[method.toLowerCase()];
    }
    throw new Error(`docs/openapi.json has no operation ${method} ${path}`);
  }

  private resolve(response: Json): Json {
    const ref = response.$ref as string | undefined;
    return ref ? this.doc.components.responses[ref.replace('#/components/responses/', '')] : response;
  }

  /** The problems of a response against the document; empty when it conforms. */
  problems(method: string, path: string, res: ContractResponse): string[] {
    const op = this.operation(method, path);
    const documented = op.responses[String(res.status)];
    if (!documented) return [`status ${res.status} is not documented for ${method} ${path} (documented: ${Object.keys(op.responses).join(', ')})`];
    const content = this.resolve(documented).content as Json | undefined;
    if (!content) return res.body === undefined || res.body === '' ? [] : [`${method} ${path} ${res.status} documents no body`];
    const mediaType = (res.contentType ?? '').split(';')[0]!.trim();
    const media = content[mediaType];
    if (!media) return [`content type "${res.contentType}" is not documented for ${method} ${path} ${res.status} (documented: ${Object.keys(content).join(', ')})`];
    const validate = this.ajv.compile(media.schema);
    if (validate(res.body)) return [];
    return (validate.errors ?? []).map((e: ErrorObject) => `${method} ${path} ${res.status}: ${e.instancePath || '/'} ${e.message} (${e.schemaPath})`);
  }

  /** Whether a value is a valid instance of a component schema (for request bodies). */
  isValid(schema: string, value: unknown): boolean {
    return this.ajv.validate({ $ref: `${SCHEMAS_ID}#/$defs/${schema}` }, value) as boolean;
  }
}

/** A fetch response read as the contract sees it: status, content type and body (JSON when it says JSON). */
export async function contractResponse(res: Response): Promise<ContractResponse> {
  const contentType = res.headers.get('content-type');
  const text = await res.text();
  return { status: res.status, contentType, body: /json/.test(contentType ?? '') ? JSON.parse(text) : text };
}
