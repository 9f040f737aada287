import { DLQ_HEADERS } from '@iris/contracts';
import { DeadLetterHeaders } from './dead-letter';

it('dead-letter headers are the ones the AsyncAPI document describes', () => {
  expect(DeadLetterHeaders).toEqual(DLQ_HEADERS);
});
