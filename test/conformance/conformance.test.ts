/**
 * The differential conformance suite (conformanceSuite.ts) for every query engine and planner: the mesh
 * query engine on Hive Router's plans (`MESH_QUERY_PLANNER=hive`) and on @apollo/gateway's plans
 * (`MESH_QUERY_PLANNER=apollo`), and @apollo/gateway's own executor (`MESH_QUERY_ENGINE=apollo`), on one
 * shared set of subgraphs and reference gateways.
 */
import { describeConformance } from './conformanceSuite.js';

describeConformance([{ engine: 'mesh', planner: 'hive' }, { engine: 'mesh', planner: 'apollo' }, { engine: 'apollo' }]);
