/** The differential conformance suite (conformanceSuite.ts): the mesh query engine running Hive Router's plans (`MESH_QUERY_PLANNER=hive`). */
import { describeConformance } from './conformanceSuite.js';

describeConformance('mesh', 'hive');
