/**
 * For test/local/dynamo-transactions.test.ts: opens the local DynamoDB on a folder and
 * applies transactions of 99 postings and their count, one after another, until killed.
 */
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createIndexTable, startEmulators } from '../../local/emulators.js';

const [dir, run] = process.argv.slice(2) as [string, string];
const emulators = await startEmulators({ dataDir: dir });
await createIndexTable(emulators.dynamo, 'transactions');
const client = DynamoDBDocumentClient.from(emulators.dynamo);
console.log('started');
for (let n = 0; ; n++) {
  const postings = Array.from({ length: 99 }, (_, i) => ({ Put: { TableName: 'transactions', Item: { pk: 'POST#g', sk: `${run}-${n}-${i}`, text: 'x'.repeat(2000) } } }));
  await client.send(new TransactWriteCommand({ TransactItems: [...postings, { Update: { TableName: 'transactions', Key: { pk: 'DF#g', sk: 'DF' }, UpdateExpression: 'ADD #count :n', ExpressionAttributeNames: { '#count': 'count' }, ExpressionAttributeValues: { ':n': postings.length } } }] }));
}
