import { createClient } from 'graphql-ws';
import { SignJWT } from 'jose';
import { executeQueryPlan, buildOperationContext } from '@apollo/gateway';
import { QueryPlanner } from '@apollo/query-planner';
import { Supergraph, operationFromDocument } from '@apollo/federation-internals';
import { DuckDBInstance } from '@duckdb/node-api';
it('should load modules', () => { expect([createClient, SignJWT, executeQueryPlan, buildOperationContext, QueryPlanner, Supergraph, operationFromDocument, DuckDBInstance].every(Boolean)).toBe(true); });
