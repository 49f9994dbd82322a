/** The DocumentClient's number translation is shared: using a client must not change what it means to others. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { expect, it } from 'vitest';
import { DOCUMENT_TRANSLATION, dynamoDocumentClient } from '../../src/aws/clients.js';

it('leaves DOCUMENT_TRANSLATION as it was after a DocumentClient has sent a command', async () => {
  const doc = dynamoDocumentClient({
    // Nothing listens there: the command fails, after lib-dynamodb has prepared its options.
    AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  await doc.send(new GetCommand({ TableName: 'tiles', Key: { pk: 'x', sk: 'y' } })).catch(() => undefined);
  const item = { n: 2 ** 53 + 2, s: 'x' };
  const marshalled = marshall(item, DOCUMENT_TRANSLATION.marshallOptions);
  expect(marshalled).toEqual({ n: { N: String(2 ** 53 + 2) }, s: { S: 'x' } });
  expect(unmarshall(marshalled, DOCUMENT_TRANSLATION.unmarshallOptions)).toEqual(item);
});
