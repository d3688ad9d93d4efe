/**
 * PDF to text with pdf.js (through unpdf), bounded three ways:
 *
 * - Decompression: before pdf.js sees the file, every Flate (zlib) stream in it is
 *   inflated natively with node:zlib, capped at what is left of `maxPdfInflatedBytes`;
 *   over it, the file fails as a decompression bomb (1 MB that inflates to 1 GiB). pdf.js
 *   inflates in JavaScript into one growing buffer, so it must not meet one. Streams in
 *   other filters (LZW, run-length) are left to the two other bounds.
 * - Pages: a PDF of more than `maxPdfPages` pages fails before any page is read (its
 *   page count is in its page tree); pages are read one at a time, not all at once.
 * - Time and size: reading races a timer for what is left of the deadline, checked again
 *   between pages, and the text is counted as it grows; past either, the pdf.js document
 *   is destroyed and the file fails. pdf.js runs on this thread (no worker in Lambda): a
 *   long synchronous step ends before the timer can fire, but its steps are short
 *   (it yields while parsing content) once the streams are bounded.
 */
import { inflateSync, constants as zlib } from 'node:zlib';
import { UnreadableError } from '../../shared/errors.js';
import type { Deadline, ReaderLimits } from './limits.js';
import { overTextLimit } from './text-sink.js';

type Limits = Pick<ReaderLimits, 'maxPdfPages' | 'maxPdfInflatedBytes' | 'maxTextChars'>;

const MIB = 1024 * 1024;

/** Bytes the zlib streams of the file inflate to, stopping once over `max`. */
export function inflatedBytes(bytes: Uint8Array, max: number, deadline: Deadline): number {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let total = 0;
  let pos = 0;
  while ((pos = buf.indexOf('stream', pos)) !== -1) {
    let start = pos + 6;
    const isEnd = pos >= 3 && buf[pos - 3] === 0x65 && buf[pos - 2] === 0x6e && buf[pos - 1] === 0x64; // "endstream"
    pos = start;
    if (isEnd) continue;
    if (buf[start] === 0x0d) start++;
    if (buf[start] === 0x0a) start++;
    const cmf = buf[start];
    const flg = buf[start + 1];
    if (cmf === undefined || flg === undefined || (cmf & 0x0f) !== 8 || ((cmf << 8) | flg) % 31 !== 0) continue; // not zlib
    let end = buf.indexOf('endstream', start);
    if (end === -1) end = buf.length;
    try {
      // Z_SYNC_FLUSH: a truncated stream yields what it holds instead of an error.
      total += inflateSync(buf.subarray(start, end), { maxOutputLength: max - total + 1, finishFlush: zlib.Z_SYNC_FLUSH }).length;
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return max + 1;
      // Not a valid zlib stream after all: pdf.js will see it as corrupt.
    }
    if (total > max) return total;
    deadline.check();
    pos = end;
  }
  return total;
}

/** Why pdf.js refused the file, in words that quote nothing of it (its messages can: "Unknown filter: /…"). */
function pdfjsReason(e: unknown): string {
  const name = (e as { name?: string } | undefined)?.name;
  if (name === 'InvalidPDFException') return 'it is not a valid PDF';
  if (name === 'PasswordException') return 'it is protected by a password';
  return `it is corrupt or uses what pdf.js does not support (${typeof name === 'string' && /^\w{1,40}$/.test(name) ? name : 'error'})`;
}

export async function pdfToText(bytes: Uint8Array, limits: Limits, deadline: Deadline): Promise<string> {
  const inflated = inflatedBytes(bytes, limits.maxPdfInflatedBytes, deadline);
  if (inflated > limits.maxPdfInflatedBytes) {
    throw new UnreadableError(`the PDF's compressed streams decompress to more than ${limits.maxPdfInflatedBytes / MIB} MiB, the limit (a decompression bomb?)`);
  }
  const { getResolvedPDFJS } = await import('unpdf');
  const { getDocument } = await getResolvedPDFJS();
  deadline.check();
  // A copy: pdf.js may transfer (detach) the buffer it is given.
  const task = getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, useSystemFonts: true, disableFontFace: true, verbosity: 0 });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(deadline.error()), Math.max(0, deadline.remaining));
    timer.unref();
  });
  const read = async (): Promise<string> => {
    const pdf = await task.promise;
    if (pdf.numPages > limits.maxPdfPages) throw new UnreadableError(`the PDF has ${pdf.numPages} pages, over the limit of ${limits.maxPdfPages} pages`);
    const pages: string[] = [];
    let chars = 0;
    for (let i = 1; i <= pdf.numPages; i++) {
      deadline.check();
      const page = await pdf.getPage(i);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) if ('str' in item) text += item.str + (item.hasEOL ? '\n' : '');
      page.cleanup();
      if ((chars += text.length + 1) > limits.maxTextChars) throw overTextLimit(limits.maxTextChars);
      pages.push(text);
    }
    // As unpdf's mergePages: spaces collapsed, none around line feeds, at most one blank line.
    return pages.join('\n').replace(/[^\S\n]+/g, ' ').replace(/ ?\n ?/g, '\n').replace(/\n{3,}/g, '\n\n');
  };
  try {
    return await Promise.race([read(), timeout]);
  } catch (e) {
    if (e instanceof UnreadableError) throw e;
    throw new UnreadableError(`the PDF cannot be read: ${pdfjsReason(e)}`);
  } finally {
    clearTimeout(timer);
    await task.destroy().catch(() => undefined);
  }
}
