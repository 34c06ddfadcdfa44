import { ErrorCode } from '../../../core/errors/ErrorCode.js';
import { MeshError } from '../../../core/errors/MeshError.js';
import { normaliseFieldName } from '../auth/deniedValueFields.js';
import { ALLOWED_FUNCTIONS, ALLOWED_NODES, ALLOWED_SQL_VALUE_FUNCTIONS, ALLOWED_TYPES } from './sqlAllowList.js';

/** A column the caller may not read, and why (for FORBIDDEN_COLUMN). */
export interface ForbiddenColumn {
  /** The column as published (`revenue`). */
  column: string;
  /** What reading it needs, as the governing field's rule words it (`SalesBucket.revenue: it requires scope finance:read`). */
  requires: string;
}

/** Options of `checkSelect`. */
export interface CheckSelectOptions {
  /** The relations the statement may read, by published name, and what to read instead (the caller's profile views). */
  views: ReadonlyMap<string, string>;
  /** Columns refused, by `normaliseFieldName` of their name. @default none */
  forbidden?: ReadonlyMap<string, ForbiddenColumn>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Node = { [type: string]: { [field: string]: Json } };

/**
 * Checks one SQL statement with PostgreSQL's own parser (DuckDB's dialect derives from it; DuckDB-only
 * syntax does not parse and is refused) and answers it rewritten to read the caller's views. Refused,
 * as a `MeshError`, unless it is exactly one SELECT (WITH ... SELECT included) whose every relation is a
 * published one (unqualified) or a CTE in scope, whose every node, function and cast is on the allow-list
 * (`sqlAllowList.ts`), and that names no forbidden column anywhere: select list, subquery, CTE, join
 * condition or `USING`, `ORDER BY`, field access. Names are matched as governed field names are
 * (`normaliseFieldName`), so an alias or a CTE column named like a governed field is refused too: that
 * can refuse too much, never too little. `SELECT *` is not expanded here: the views of the caller's profile
 * lack what it may not read, so a star (or a whole-row reference) cannot reach it.
 */
export async function checkSelect(sql: string, options: CheckSelectOptions): Promise<string> {
  const { views, forbidden = new Map<string, ForbiddenColumn>() } = options;
  // The parser is loaded on the first statement: a subgraph without the SQL port never needs it.
  const { parse } = await import('libpg-query');
  let tree: { stmts?: Array<{ stmt: Node; stmt_location?: number; stmt_len?: number }> };
  try {
    tree = (await parse(sql)) as typeof tree;
  } catch (error) {
    const details = (error as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
    const position = details?.cursorPosition;
    throw new MeshError(
      ErrorCode.SQL_PARSE_FAILED,
      `the SQL does not parse: ${details?.message ?? (error as Error).message}${position === undefined ? '' : ` at position ${position + 1}`}`,
      {
        details: position === undefined ? {} : { position: position + 1 },
      },
    );
  }
  const statements = tree.stmts ?? [];
  if (statements.length !== 1) throw refused(statements.length === 0 ? 'the SQL holds no statement' : `one statement per request, not ${statements.length}`);
  const [{ stmt, stmt_location: start = 0, stmt_len: length }] = statements;
  const kind = Object.keys(stmt)[0];
  if (kind !== 'SelectStmt') throw refused(`only SELECT is allowed, not ${statementName(kind)}`);

  const replacements: Array<{ location: number; relation: string; target: string }> = [];
  const visit = (value: Json | Node, scope: ReadonlySet<string>): void => {
    if (Array.isArray(value)) return value.forEach((item) => visit(item, scope));
    if (value === null || typeof value !== 'object') return;
    const keys = Object.keys(value);
    // Nodes are `{ TypeName: { ...fields } }`; plain field groups (A_Const's `ival: { ival }`) have lowercase keys.
    if (keys.length !== 1 || !/^[A-Z]/.test(keys[0])) return keys.forEach((key) => visit(value[key], scope));
    const type = keys[0];
    const node = (value as Node)[type];
    if (!ALLOWED_NODES.has(type)) throw refused(`${nodeName(type)} is not allowed in the SQL port`);
    switch (type) {
      case 'SelectStmt':
        return visitSelect(node, scope);
      case 'RangeVar':
        return visitRelation(node, scope);
      case 'String':
        return checkColumnName(text(node.sval));
      case 'FuncCall':
        checkFunction(node);
        // The name is checked; its parts are not column names.
        return visitFields(node, scope, ['funcname']);
      case 'TypeName':
        return checkType(node);
      case 'TypeCast':
        // Its type name is a plain field group, not a `TypeName` node: checked here.
        checkType((node.typeName ?? {}) as { [field: string]: Json });
        return visitFields(node, scope, ['typeName']);
      case 'SQLValueFunction':
        if (!ALLOWED_SQL_VALUE_FUNCTIONS.has(text(node.op))) throw refused(`${text(node.op).replace(/^SVFOP_/, '')} is not allowed in the SQL port`);
        return;
      case 'A_Expr':
        if (Array.isArray(node.name) && node.name.length > 1) throw refused('schema-qualified operators are not allowed in the SQL port');
        return visitFields(node, scope, ['name']);
      default:
        return visitFields(node, scope);
    }
  };
  const visitFields = (node: { [field: string]: Json }, scope: ReadonlySet<string>, skip: readonly string[] = []) => {
    for (const [field, child] of Object.entries(node)) if (!skip.includes(field)) visit(child, scope);
  };
  const visitSelect = (node: { [field: string]: Json }, scope: ReadonlySet<string>) => {
    if (node.intoClause) throw refused('SELECT INTO is not allowed in the SQL port');
    const withClause =
      (node.withClause as { WithClause?: { ctes?: Node[]; recursive?: boolean } } | undefined)?.WithClause ??
      (node.withClause as { ctes?: Node[]; recursive?: boolean } | undefined);
    const ctes = (withClause?.ctes ?? []).map((cte) => {
      if (!cte.CommonTableExpr) throw refused(`${nodeName(Object.keys(cte)[0])} is not allowed in the SQL port`);
      return cte.CommonTableExpr;
    });
    const names = ctes.map((cte) => text(cte.ctename));
    // A CTE sees the ones before it (all of them, itself included, under RECURSIVE); the body sees all.
    ctes.forEach((cte, i) => {
      const { ctename: _name, ctequery, ...rest } = cte;
      const cteScope = new Set([...scope, ...(withClause?.recursive ? names : names.slice(0, i))]);
      for (const key of Object.keys(rest)) if (/^(search|cycle)_clause$/.test(key)) throw refused('SEARCH and CYCLE clauses are not allowed in the SQL port');
      visit(ctequery, cteScope);
      visit(rest, cteScope);
    });
    const bodyScope = new Set([...scope, ...names]);
    const { withClause: _with, ...body } = node;
    visitFields(body, bodyScope);
  };
  const visitRelation = (node: { [field: string]: Json }, scope: ReadonlySet<string>) => {
    if (node.catalogname || node.schemaname)
      throw refused(
        `${[text(node.catalogname), text(node.schemaname), text(node.relname)].filter(Boolean).join('.')}: qualified names are not allowed; read the product's views by their own name`,
      );
    const relation = text(node.relname);
    if (node.alias) visit(node.alias, scope);
    if (scope.has(relation)) return;
    const target = views.get(relation);
    if (!target) throw refused(`relation "${relation}" is not published by this product; it publishes ${[...views.keys()].join(', ')}`);
    replacements.push({ location: Number(node.location), relation, target });
  };
  const checkColumnName = (name: string) => {
    const hit = forbidden.get(normaliseFieldName(name));
    if (hit)
      throw new MeshError(ErrorCode.FORBIDDEN_COLUMN, `column "${hit.column}" may not be read by this caller: ${hit.requires}`, {
        details: { column: hit.column, requires: hit.requires },
      });
  };
  visit(stmt, new Set());
  return rewrite(sql, start, length, replacements);
}

function checkFunction(node: { [field: string]: Json }): void {
  const parts = (node.funcname as Node[]).map((part) => text(part.String?.sval));
  const name = parts[parts.length - 1].toLowerCase();
  // EXTRACT(... FROM ...), AT TIME ZONE and the like parse as `pg_catalog.<name>` calls written in SQL syntax.
  const sqlSyntax = parts.length === 2 && parts[0] === 'pg_catalog' && node.funcformat === 'COERCE_SQL_SYNTAX';
  if (parts.length > 1 && !sqlSyntax) throw refused(`${parts.join('.')}: schema-qualified functions are not allowed in the SQL port`);
  if (!ALLOWED_FUNCTIONS.has(name)) throw refused(`function ${name}() is not allowed in the SQL port`);
}

function checkType(node: { [field: string]: Json }): void {
  const parts = ((node.names as Node[] | undefined) ?? []).map((part) => text(part.String?.sval));
  const name = parts[parts.length - 1]?.toLowerCase() ?? '';
  if (node.setof || node.pct_type || (parts.length === 2 && parts[0] !== 'pg_catalog') || parts.length > 2 || !ALLOWED_TYPES.has(name))
    throw refused(`casting to ${parts.join('.') || 'this type'} is not allowed in the SQL port`);
}

/**
 * The statement alone (a trailing `;` cut off) with each published relation replaced by its view. Locations
 * are byte offsets of the original text; a replaced token must spell the relation (bare or quoted), or the
 * statement is refused rather than rewritten wrongly.
 */
function rewrite(
  sql: string,
  start: number,
  length: number | undefined,
  replacements: ReadonlyArray<{ location: number; relation: string; target: string }>,
): string {
  const bytes = Buffer.from(sql, 'utf8');
  let text = bytes.subarray(0, length === undefined ? bytes.length : start + length);
  for (const { location, relation, target } of [...replacements].sort((a, b) => b.location - a.location)) {
    const token = tokenAt(text, location);
    if (token.name !== relation) throw refused(`relation "${relation}" could not be located in the statement`);
    text = Buffer.concat([text.subarray(0, location), Buffer.from(target, 'utf8'), text.subarray(location + token.length)]);
  }
  return text.subarray(start).toString('utf8');
}

/** The identifier starting at `at`: a quoted one (`"sales_day"`, `""` escaping `"`) or a bare one (folded to lowercase). */
function tokenAt(text: Buffer, at: number): { name: string; length: number } {
  if (text[at] === 0x22) {
    let i = at + 1;
    let name = '';
    while (i < text.length) {
      if (text[i] === 0x22 && text[i + 1] === 0x22) {
        name += '"';
        i += 2;
      } else if (text[i] === 0x22) return { name, length: i + 1 - at };
      else {
        name += String.fromCharCode(text[i]);
        i += 1;
      }
    }
    return { name: '', length: 0 };
  }
  const match = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(text.subarray(at, at + 256).toString('latin1'));
  return match ? { name: match[0].toLowerCase(), length: match[0].length } : { name: '', length: 0 };
}

/** A string field of a node, '' when absent. */
function text(value: Json | undefined): string {
  return typeof value === 'string' ? value : '';
}

function refused(message: string): MeshError {
  return new MeshError(ErrorCode.SQL_NOT_ALLOWED, message);
}

/** `InsertStmt` → `INSERT`, `CreateTableAsStmt` → `CREATE TABLE AS`, `VariableSetStmt` → `SET`. */
function statementName(kind: string): string {
  const special: Record<string, string> = {
    VariableSetStmt: 'SET',
    VariableShowStmt: 'SHOW',
    TransactionStmt: 'transaction control',
    CopyStmt: 'COPY',
    ExplainStmt: 'EXPLAIN',
  };
  return (
    special[kind] ??
    kind
      .replace(/Stmt$/, '')
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toUpperCase()
  );
}

/** `RangeFunction` → `a table function in FROM`; other nodes by their parser name. */
function nodeName(type: string): string {
  const names: Record<string, string> = {
    RangeFunction: 'a table function in FROM',
    RangeTableFunc: 'XMLTABLE',
    RangeTableSample: 'TABLESAMPLE',
    LockingClause: 'FOR UPDATE / FOR SHARE',
    IntoClause: 'SELECT INTO',
    XmlExpr: 'an XML expression',
  };
  return names[type] ?? `${type} (a ${type.replace(/([a-z])([A-Z])/g, '$1 $2')} node)`;
}
