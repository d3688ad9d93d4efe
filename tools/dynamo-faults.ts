/**
 * Faults of DynamoDB, caused on purpose for the fault tests and `npm run bench:chaos`:
 * a wrapper around a real DynamoDB document client (talking to dynalite) that, at the
 * Nth call of a command, either dies (the process is gone: before the request, or after
 * DynamoDB applied it but before the answer came back), throttles (the exact error the
 * service throws), leaves a BatchWrite's items unprocessed (as DynamoDB does under load),
 * or cancels a transaction for a conflict with another one on the same item (as DynamoDB
 * does on a hot counter; the local stack's transactions take turns, so it cannot happen
 * there for real). Everything else goes to the real client. The word index's writes
 * (lambdas/words) can be routed through the same counter (`words`), so that a crash can
 * fall before or after any write of a change, DynamoDB's or the word index's.
 */
import { ProvisionedThroughputExceededException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WordIndex } from '../lambdas/words/words.js';

/** The process died here: nothing after this point of the attempt runs. */
export class InjectedCrash extends Error {
  constructor(readonly at: string) {
    super(`injected crash at ${at}`);
  }
}

export type FaultKind = 'crash-before' | 'crash-after' | 'throttle' | 'unprocessed' | 'conflict';

export interface Fault {
  readonly kind: FaultKind;
  /** The command's name (PutCommand, UpdateCommand, BatchWriteCommand, ...), or '*' for any write. */
  readonly command: string;
  /** 1-based: the Nth call of that command. */
  readonly nth: number;
}

const WRITES = new Set(['PutCommand', 'UpdateCommand', 'DeleteCommand', 'BatchWriteCommand', 'TransactWriteCommand', 'WordsWriteCommand', 'WordsRemoveCommand']);

export interface FaultyClient {
  readonly client: DynamoDBDocumentClient;
  /** Calls seen so far, by command name ('*' counts every write). */
  readonly calls: Map<string, number>;
  /** Faults that fired, in order. */
  readonly fired: Array<Fault & { call: number }>;
  /** Arms a fault (replacing any armed one); undefined disarms. */
  arm(fault: Fault | undefined): void;
  /** True after a crash, when the client was made with `staysDead`: every call fails until `revive()`. */
  readonly dead: boolean;
  /** A new process takes over: calls reach DynamoDB again. */
  revive(): void;
  /** `index` with its writes counted and faulted as this client's (commands WordsWriteCommand, WordsRemoveCommand). */
  words(index: WordIndex): WordIndex;
}

/** A call to send: a DynamoDB command, or a word index write standing in as one (`run`). */
type Call = { constructor: { name: string }; input: Record<string, any>; run?: () => Promise<unknown> };

/**
 * @param staysDead after a crash, the "process" is gone: later calls (its lease's
 *   release, its renewal timer) fail too, as they would, until `revive()`.
 */
export function faultyClient(real: DynamoDBDocumentClient, { staysDead = false } = {}): FaultyClient {
  const calls = new Map<string, number>();
  const fired: FaultyClient['fired'] = [];
  let armed: Fault | undefined;
  let dead = false;
  const client = Object.create(real) as DynamoDBDocumentClient;
  const forward = (command: Call) => (command.run ? command.run() : (real.send as (c: unknown) => Promise<unknown>)(command));
  const send = async (command: Call): Promise<unknown> => {
    const name = command.constructor.name;
    if (dead) throw new InjectedCrash(`${name} after the process died`);
    // Leases are renewed on a timer: counting them would make the Nth write a moving target
    // (their faults are the leases' own tests).
    const pk = (command.input.Key ?? command.input.Item)?.pk as string | undefined;
    if (pk?.startsWith('LEASE#')) return forward(command);
    calls.set(name, (calls.get(name) ?? 0) + 1);
    if (WRITES.has(name)) calls.set('*', (calls.get('*') ?? 0) + 1);
    const fault = armed;
    const hit = fault && (fault.command === name || (fault.command === '*' && WRITES.has(name))) && calls.get(fault.command) === fault.nth;
    if (!hit) return forward(command);
    armed = undefined;
    fired.push({ ...fault, call: calls.get(fault.command)! });
    switch (fault.kind) {
      case 'crash-before':
        dead = staysDead;
        throw new InjectedCrash(`${name} #${fault.nth}, before it was sent`);
      case 'crash-after':
        await forward(command);
        dead = staysDead;
        throw new InjectedCrash(`${name} #${fault.nth}, after DynamoDB applied it`);
      case 'throttle':
        throw new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded.', $metadata: { httpStatusCode: 400 } });
      case 'conflict': {
        if (name !== 'TransactWriteCommand') return (real.send as (c: unknown) => Promise<unknown>)(command);
        const reasons = (command.input.TransactItems as unknown[]).map((_, i) => ({ Code: i === 0 ? 'TransactionConflict' : 'None', ...(i === 0 ? { Message: 'Transaction is ongoing for the item' } : {}) }));
        throw new TransactionCanceledException({ message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`, CancellationReasons: reasons, $metadata: { httpStatusCode: 400 } });
      }
      case 'unprocessed': {
        if (name !== 'BatchWriteCommand') return (real.send as (c: unknown) => Promise<unknown>)(command);
        // DynamoDB processed the first half and hands back the rest.
        const [table, requests] = Object.entries(command.input.RequestItems as Record<string, unknown[]>)[0]!;
        const half = Math.ceil(requests.length / 2);
        const Ctor = command.constructor as new (input: unknown) => unknown;
        await (real.send as (c: unknown) => Promise<unknown>)(new Ctor({ RequestItems: { [table]: requests.slice(0, half) } }));
        return { UnprocessedItems: requests.length > half ? { [table]: requests.slice(half) } : {}, $metadata: {} };
      }
    }
  };
  Object.defineProperty(client, 'send', { value: send });
  return {
    client,
    calls,
    fired,
    arm: (f) => (armed = f),
    get dead() {
      return dead;
    },
    revive: () => (dead = false),
    words: (index) => ({
      write: async (version) => void (await send({ constructor: { name: 'WordsWriteCommand' }, input: {}, run: () => index.write(version) })),
      remove: async (documentId, seqs) => void (await send({ constructor: { name: 'WordsRemoveCommand' }, input: {}, run: () => index.remove(documentId, seqs) })),
      search: (query, size, count) => index.search(query, size, count),
    }),
  };
}
