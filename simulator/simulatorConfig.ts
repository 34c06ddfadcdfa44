import { z } from 'zod';

/** Simulator settings for `npm start`. */
export interface SimulatorConfig {
  enabled: boolean;
  seed: number;
  seedDays: number;
  /** Live orders per second; 0 seeds history only. */
  ratePerSecond: number;
}

/**
 * Reads `MESH_SIMULATOR` (`on`/`off`), `MESH_SIM_SEED`, `MESH_SEED_DAYS`, `MESH_SIM_RATE` from the
 * environment, with errors that name the variable.
 */
export function simulatorConfigFromEnv(env: NodeJS.ProcessEnv): SimulatorConfig {
  const number = (variable: string, fallback: number, schema: z.ZodNumber) => {
    const parsed = schema.safeParse(env[variable] === undefined || env[variable] === '' ? fallback : Number(env[variable]));
    if (!parsed.success) throw new Error(`invalid ${variable}=${JSON.stringify(env[variable])}: ${parsed.error.issues[0].message}`);
    return parsed.data;
  };
  const enabled = env.MESH_SIMULATOR ?? 'on';
  if (!['on', 'off'].includes(enabled)) throw new Error(`invalid MESH_SIMULATOR=${JSON.stringify(enabled)}: on or off`);
  return {
    enabled: enabled === 'on',
    seed: number('MESH_SIM_SEED', 42, z.number().int()),
    seedDays: number('MESH_SEED_DAYS', 90, z.number().int().min(0).max(3650)),
    ratePerSecond: number('MESH_SIM_RATE', 1, z.number().min(0).max(1000)),
  };
}
