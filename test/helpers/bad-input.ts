/**
 * The bad-input table of POST /v1/entities: each row is a request a caller might send
 * and the status and error code it must get. Run against the handler and over HTTP.
 */
export interface BadInputCase {
  readonly name: string;
  readonly body?: string;
  readonly contentType?: string;
  readonly status: number;
  readonly code?: string;
  readonly message?: RegExp;
}

export function entitiesBadInput(maxTextChars: number): BadInputCase[] {
  return [
    { name: 'invalid JSON', body: '{"text": "a', status: 400, code: 'invalid_json' },
    { name: 'a body that is an array', body: '["text"]', status: 400, code: 'invalid_body', message: /must be a JSON object, not an array/ },
    { name: 'a body that is a string', body: '"hello"', status: 400, code: 'invalid_body' },
    { name: 'a body that is null', body: 'null', status: 400, code: 'invalid_body' },
    { name: 'missing text', body: '{"txt": "hello"}', status: 400, code: 'missing_text', message: /"text" is required/ },
    { name: 'text a number', body: '{"text": 42}', status: 400, code: 'invalid_text', message: /must be a string, got number/ },
    { name: 'text null', body: '{"text": null}', status: 400, code: 'invalid_text', message: /got null/ },
    { name: 'text an object', body: '{"text": {"a": 1}}', status: 400, code: 'invalid_text' },
    { name: 'unknown offsets', body: '{"text": "x", "offsets": "bytes"}', status: 400, code: 'invalid_offsets', message: /"codepoint", "utf16"/ },
    { name: 'wrong content type', body: '{"text": "x"}', contentType: 'text/plain', status: 415, code: 'unsupported_media_type' },
    { name: 'no content type', body: '{"text": "x"}', contentType: '', status: 415, code: 'unsupported_media_type' },
    { name: 'empty body', body: '', status: 400, code: 'empty_body' },
    {
      name: 'text over the limit',
      body: JSON.stringify({ text: 'a'.repeat(maxTextChars + 1) }),
      status: 413,
      code: 'text_too_long',
      message: new RegExp(`longer than ${maxTextChars} characters.*batch path`),
    },
    { name: 'a huge body', body: JSON.stringify({ text: 'x', pad: 'y'.repeat(maxTextChars * 10) }), status: 413, code: 'payload_too_large' },
    // Nesting as deep as the size limit allows: unbalanced, then balanced (extra fields are ignored).
    { name: 'deeply nested, unbalanced JSON', body: `{"text": "x", "n": ${'['.repeat(maxTextChars * 5)}}`, status: 400, code: 'invalid_json' },
    { name: 'deeply nested but valid JSON', body: `{"text": "Anna", "n": ${'['.repeat(maxTextChars * 2)}${']'.repeat(maxTextChars * 2)}}`, status: 200 },
    { name: 'a lone surrogate', body: '{"text": "Anna \\ud800 Kowalczyk"}', status: 200 },
    { name: 'NUL bytes', body: '{"text": "Anna\\u0000Kowalczyk"}', status: 200 },
    { name: 'only white space', body: '{"text": " \\n\\t "}', status: 200 },
    { name: 'empty text', body: '{"text": ""}', status: 200 },
  ];
}
