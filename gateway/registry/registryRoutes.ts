import express, { type Request, type Response, type Router } from 'express';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { MeshError } from '../../core/errors/MeshError.js';
import { httpStatusOf } from '../../core/errors/statusOf.js';
import type { Principal } from '../auth/Principal.js';
import type { PublicationOutcome, SchemaRegistry } from './createSchemaRegistry.js';

/** Options of the registry's HTTP routes. */
export interface RegistryRoutesOptions {
  registry: SchemaRegistry;
  /** The caller of a request from its `Authorization` header; throws a coded `MeshError` for a bad token. */
  principal: (authorization: string | undefined) => Promise<Principal>;
  /** Where unexpected failures go (the answer is a bare 500). */
  log: (level: 'error', message: string) => void;
  /** Largest accepted body. @default '2mb' */
  maxBodyBytes?: string | number;
  /**
   * Whether the gateway sends caller identities to a subgraph (`MESH_TRUSTED_SUBGRAPHS`): a publication of
   * one it does not is answered with a warning, as the subgraph will refuse every request it forwards.
   * @default every subgraph
   */
  isTrusted?: (subgraph: string) => boolean;
}

/** What a publication of an untrusted subgraph is told. */
export function untrustedWarning(subgraph: string): string {
  return (
    `the gateway sends no caller identity to "${subgraph}": it is not in MESH_TRUSTED_SUBGRAPHS, and a subgraph built with the kit ` +
    `refuses every request without one (HTTP 401, websocket close 4403); add it there and restart the gateway`
  );
}

const outcomeBody = ({ published, breaking, inService, reloadError }: PublicationOutcome, warnings: readonly string[]) => ({
  subgraph: {
    name: published.name,
    version: published.version,
    publishedAt: published.publishedAt,
    ...(published.restores && { restores: published.restores }),
    ...(published.retired && { retired: true }),
  },
  inService,
  ...(breaking.length && { breaking }),
  ...(reloadError && { reloadError }),
  ...(warnings.length && { warnings }),
});

/**
 * The schema registry over HTTP (mounted at `/registry`): `GET /subgraphs`, `GET /subgraphs/:name/versions`,
 * `POST /subgraphs` (publish: `{ name, urls, sdl, descriptor }`), `POST /subgraphs/:name/rollback`
 * (`{ version? }`), `DELETE /subgraphs/:name` (retire: out of the supergraph, its fields reported in `breaking`). Errors are `{ error: { code, message, problems? } }` with the code's status.
 */
export function registryRoutes(options: RegistryRoutesOptions): Router {
  const { registry, principal, log, maxBodyBytes = '2mb', isTrusted = () => true } = options;
  const warningsFor = (outcome: PublicationOutcome) =>
    outcome.published.retired || isTrusted(outcome.published.name) ? [] : [untrustedWarning(outcome.published.name)];
  const router = express.Router();
  router.use(express.json({ limit: maxBodyBytes }));
  const handle = (work: (caller: Principal, req: Request) => Promise<{ status: number; body: unknown }>) => async (req: Request, res: Response) => {
    try {
      const { status, body } = await work(await principal(req.headers.authorization), req);
      res.status(status).json(body);
    } catch (error) {
      if (error instanceof MeshError) return void res.status(error.status).json({ error: { code: error.code, message: error.message, ...error.details } });
      log('error', `${req.method} /registry${req.path} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      res.status(httpStatusOf(ErrorCode.INTERNAL_SERVER_ERROR)).json({ error: { code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'Internal server error' } });
    }
  };
  router.get(
    '/subgraphs',
    handle(async (caller) => ({ status: 200, body: { subgraphs: registry.list(caller) } })),
  );
  router.get(
    '/subgraphs/:name/versions',
    handle(async (caller, req) => ({ status: 200, body: { versions: registry.history(caller, String(req.params.name)) } })),
  );
  router.post(
    '/subgraphs',
    handle(async (caller, req) => {
      const outcome = await registry.publish(caller, req.body);
      return { status: outcome.inService ? 201 : 202, body: outcomeBody(outcome, warningsFor(outcome)) };
    }),
  );
  router.post(
    '/subgraphs/:name/rollback',
    handle(async (caller, req) => {
      const requested = (req.body as { version?: unknown } | undefined)?.version;
      if (requested !== undefined && !(Number.isInteger(requested) && (requested as number) > 0))
        throw new MeshError(ErrorCode.BAD_REQUEST, 'version must be a positive whole number');
      const outcome = await registry.rollback(caller, String(req.params.name), requested as number | undefined);
      return { status: outcome.inService ? 200 : 202, body: outcomeBody(outcome, warningsFor(outcome)) };
    }),
  );
  router.delete(
    '/subgraphs/:name',
    handle(async (caller, req) => {
      const outcome = await registry.retire(caller, String(req.params.name));
      return { status: outcome.inService ? 200 : 202, body: outcomeBody(outcome, []) };
    }),
  );
  return router;
}
