import { createClient } from 'graphql-ws';
import { SignJWT } from 'jose';
import { executeSubscriptionEvent, parseSupergraph, planSubscriptionOperation } from '../core/apollo/index.js';
import { DuckDBInstance } from '@duckdb/node-api';
it('should load modules', () => { expect([createClient, SignJWT, executeSubscriptionEvent, parseSupergraph, planSubscriptionOperation, DuckDBInstance].every(Boolean)).toBe(true); });
