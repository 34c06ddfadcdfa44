/** The differential conformance suite (conformanceSuite.ts) with plans made by @apollo/gateway's planner (`MESH_QUERY_PLANNER=apollo`) and run by the mesh query engine (gateway/engine/). */
import { describeConformance } from './conformanceSuite.js';

describeConformance('mesh', 'apollo');
