/** Spans over a sentence's tokens as IOB2 tags, the form CoNLL files and conlleval read. */
export function spansToTags(length: number, spans: readonly { start: number; end: number; type: string }[]): string[] {
  const tags = Array.from({ length }, () => 'O');
  for (const span of spans) {
    tags[span.start] = `B-${span.type}`;
    for (let i = span.start + 1; i < span.end; i++) tags[i] = `I-${span.type}`;
  }
  return tags;
}
