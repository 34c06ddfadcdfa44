/** The differential conformance suite (conformanceSuite.ts) with plans run by @apollo/gateway's executor. */
import { describeConformance } from './conformanceSuite.js';

describeConformance('apollo');
