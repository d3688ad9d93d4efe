/**
 * `nerve`: the command line. Each subcommand is a Command (command.ts) in its own file;
 * this file finds it, prints help and the version, and turns errors into exit codes:
 *   0 done; 1 a failure (a model, a file, the network, the API, a timeout);
 *   2 a usage error: the command line, or input it was given, is wrong (stderr says what);
 *   3 nerve ingest: every file was processed, but some documents failed.
 */
import { readFileSync } from 'node:fs';
import { NerveError } from '../lambdas/shared/errors.js';
import { parseCommand, usageError, type Command } from './command.js';
import { extractCommand } from './extract.js';
import { ingestCommand } from './ingest.js';
import { modelsCommand } from './models.js';
import { reindexCommand } from './reindex.js';
import { searchCli } from './search.js';
import { evalCommand, tagCommand } from './tag-eval.js';

const COMMANDS: readonly Command[] = [extractCommand, ingestCommand, searchCli, tagCommand, evalCommand, modelsCommand, reindexCommand];

const USAGE = `usage: nerve COMMAND [OPTIONS]   (nerve COMMAND --help for its options)

  extract [TEXT...]   the entities of TEXT or of standard input (JSON, JSON lines; --format comprehend|hf|displacy)
  ingest PATH...      uploads files into the local or a deployed stack, waits until they are indexed
  search QUERY...     ranked documents from the local stack or a deployed API (SigV4 or JWT)
  tag --conll FILE    writes "token gold predicted" lines (conlleval's input)
  eval --conll FILE   entity-level precision, recall and F1 by conlleval's rules
  models import DIR   a Hugging Face token-classification export (Optimum) as a Nerve model folder
  reindex             fills a new, empty index from a deployed stack's bucket (after a table replacement)

  -h, --help          this help;  --version  the version
exit codes: 0 done, 1 failed, 2 usage error, 3 ingest: some documents failed`;

const version = () => (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    console.log(`nerve ${version()}`);
    return 0;
  }
  if (name === '-h' || name === '--help' || name === 'help') {
    const about = rest[0] === undefined ? undefined : COMMANDS.find((c) => c.name === rest[0]);
    if (rest[0] !== undefined && !about) throw usageError({ usage: USAGE }, `unknown command "${rest[0]}"`);
    console.log(about?.usage ?? USAGE);
    return 0;
  }
  if (name === undefined) throw usageError({ usage: USAGE }, 'a command is needed');
  const c = COMMANDS.find((x) => x.name === name);
  if (!c) throw usageError({ usage: USAGE }, `unknown command "${name}"`);
  const parsed = parseCommand(c, rest);
  if (parsed.help) {
    console.log(c.usage);
    return 0;
  }
  return c.run(parsed.values, parsed.positionals);
}

// A reader that stops early (`| head`) is not a failure.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(0);
});

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(e instanceof NerveError ? `nerve: ${e.message}` : e);
    process.exitCode = e instanceof NerveError && e.code === 'usage' ? 2 : 1;
  },
);
