/** The differential conformance suite (conformanceSuite.ts) with plans run by the mesh query engine (gateway/engine/). */
import { describeConformance } from './conformanceSuite.js';

describeConformance('mesh');
