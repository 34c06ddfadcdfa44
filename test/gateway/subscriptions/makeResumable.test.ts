import { readFileSync } from 'node:fs';
import { parse, validate } from 'graphql';
import { createCursorEventLog } from '../../support/cursorEventLog.js';
import { makeResumable } from '../../../gateway/subscriptions/makeResumable.js';
import { parseSupergraph } from '../../../core/apollo/index.js';
import { planSubscription } from '../../../gateway/subscriptions/planSubscription.js';
import { buildLedgerSubgraph, composeLedgerMesh } from '../../support/ledgerMesh.js';
import { composeProductMesh } from '../../support/productMeshSubgraphs.js';

const resumable = (field: string) => field === 'stockMoved';

describe('makeResumable', () => {
  it('should pass `from` as a new variable and select the cursor under a hidden alias', () => {
    const result = makeResumable('subscription Moves__ledger__0{stockMoved{quantity}}', {}, resumable);
    expect(result).toMatchObject({
      operation: 'subscription Moves__ledger__0($__meshFrom:String){stockMoved(from:$__meshFrom){quantity __meshCursor:cursor}}',
      variables: {},
      variable: '__meshFrom',
      startCursor: undefined,
    });
  });

  it("should take over the client's variable for `from`, dropping its now unused definition", () => {
    const result = makeResumable(
      'subscription S($from:String$id:ID){moved:stockMoved(productId:$id from:$from){quantity}}',
      { from: '7', id: 'p1' },
      resumable,
    );
    expect(result).toMatchObject({
      operation: 'subscription S($id:ID$__meshFrom:String){moved:stockMoved(productId:$id from:$__meshFrom){quantity __meshCursor:cursor}}',
      variables: { id: 'p1', __meshFrom: '7' },
      startCursor: '7',
    });
  });

  it('should take over an inline `from`, and start live for `from: null` or a variable that was not given', () => {
    expect(makeResumable('subscription{stockMoved(from:"3"){quantity}}', {}, resumable)).toMatchObject({
      operation: 'subscription($__meshFrom:String){stockMoved(from:$__meshFrom){quantity __meshCursor:cursor}}',
      variables: { __meshFrom: '3' },
      startCursor: '3',
    });
    expect(makeResumable('subscription{stockMoved(from:null){quantity}}', {}, resumable)).toMatchObject({ variables: {}, startCursor: undefined });
    expect(makeResumable('subscription S($from:String){stockMoved(from:$from){quantity}}', {}, resumable)).toMatchObject({
      operation: 'subscription S($__meshFrom:String){stockMoved(from:$__meshFrom){quantity __meshCursor:cursor}}',
      variables: {},
      startCursor: undefined,
    });
  });

  it('should read the cursor of an event under the root field alias', () => {
    const result = makeResumable('subscription{moved:stockMoved{quantity}}', {}, resumable)!;
    expect(result.cursorOf({ data: { moved: { quantity: 1, __meshCursor: '42' } } })).toBe('42');
    expect(result.cursorOf({ data: { moved: null } })).toBeUndefined();
    expect(result.cursorOf({ errors: [{ message: 'refused' }] })).toBeUndefined();
  });

  it('should pick other names when the client already uses the hidden ones', () => {
    const result = makeResumable('subscription S($__meshFrom:ID){stockMoved(productId:$__meshFrom){__meshCursor:quantity}}', { __meshFrom: 'p1' }, resumable)!;
    expect(result.operation).toBe(
      'subscription S($__meshFrom:ID$__meshFrom1:String){stockMoved(productId:$__meshFrom from:$__meshFrom1){__meshCursor:quantity __meshCursor1:cursor}}',
    );
    expect(result.variable).toBe('__meshFrom1');
    expect(result.cursorOf({ data: { stockMoved: { __meshCursor: 5, __meshCursor1: '9' } } })).toBe('9');
  });

  it('should leave alone a root field without the convention, or an operation of another shape', () => {
    expect(makeResumable('subscription{stockMovedLive{quantity}}', {}, resumable)).toBeUndefined();
    expect(makeResumable('query{stockMoved{quantity}}', {}, resumable)).toBeUndefined();
    expect(makeResumable('subscription{...F} fragment F on Subscription{stockMoved{quantity}}', {}, resumable)).toBeUndefined();
    expect(makeResumable('not graphql', {}, resumable)).toBeUndefined();
  });

  it("should rewrite the query planner's primary fetch into an operation the subgraph schema accepts", () => {
    const supergraph = parseSupergraph(composeLedgerMesh({ url: 'http://products' }, { url: 'http://ledger' }));
    const { plan } = planSubscription(supergraph, {
      document: parse('subscription Moves($from: String) { stockMoved(from: $from) { quantity product { name } } }'),
      variables: { from: '4' },
    });
    const result = makeResumable(plan!.node.primary.operation, { from: '4' }, resumable);
    expect(result).toMatchObject({
      operation: 'subscription($__meshFrom:String){stockMoved(from:$__meshFrom){quantity product{__typename id}__meshCursor:cursor}}',
      variables: { __meshFrom: '4' },
    });
    expect(
      validate(
        buildLedgerSubgraph(createCursorEventLog(), () => {}),
        parse(result!.operation),
      ),
    ).toEqual([]);
  });
});

describe('resumable subscription fields of a supergraph', () => {
  it('should find the fields taking `from: String` whose payload has a `cursor`, per owning subgraph', () => {
    const ledger = parseSupergraph(composeLedgerMesh({ url: 'http://products' }, { url: 'http://ledger' }));
    expect(ledger.resumableFields).toEqual(new Map([['ledger', new Set(['stockMoved'])]]));

    const products = parseSupergraph(composeProductMesh({ products: { url: 'http://a' }, inventory: { url: 'http://b' }, prices: { url: 'http://c' } }));
    expect(products.resumableFields).toEqual(new Map());
  });

  it("should find our domains' change-event subscriptions in the composed mesh supergraph", () => {
    const mesh = parseSupergraph(readFileSync('schema/supergraph.graphql', 'utf8'));
    expect(mesh.resumableFields).toEqual(
      new Map([
        ['inventory', new Set(['stockChanged', 'stockLow'])],
        ['orders', new Set(['orderBucketUpdated'])],
        ['shipping', new Set(['shipmentUpdated'])],
      ]),
    );
  });
});
