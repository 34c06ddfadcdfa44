/**
 * What a SQL port statement may call and cast to: an allow-list, so a function neither store should run
 * for a caller (`pg_read_file`, `set_config`, `dblink`, DuckDB's `getenv`, `read_csv`, ...) is refused
 * because it is not named here, not because someone remembered to forbid it. Names are as PostgreSQL's
 * parser reports them (lowercase); a few exist in one store only, and the other then answers with its
 * own "no such function" error.
 */

/**
 * Aggregates, window functions and scalar functions over values (no I/O, no session, no catalog). Left out
 * on purpose as well: functions whose output a tiny input can make huge (`repeat`, `lpad`, `rpad`).
 */
export const ALLOWED_FUNCTIONS: ReadonlySet<string> = words([
  // aggregates
  'count sum avg min max stddev stddev_samp stddev_pop variance var_samp var_pop median mode percentile_cont percentile_disc',
  'quantile_cont quantile_disc string_agg array_agg bool_and bool_or every corr covar_pop covar_samp regr_slope regr_intercept',
  'regr_r2 regr_count arg_max arg_min max_by min_by any_value count_if approx_count_distinct',
  // window functions
  'row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value',
  // numbers
  'abs ceil ceiling floor round trunc sign sqrt cbrt power pow exp ln log log10 log2 mod div pi degrees radians width_bucket',
  // text
  'lower upper length char_length character_length octet_length substr substring left right trim btrim ltrim rtrim replace concat',
  'concat_ws split_part strpos position starts_with reverse initcap regexp_replace',
  // time (`extract`, `timezone` come from EXTRACT(... FROM ...) and AT TIME ZONE)
  'date_trunc date_part extract timezone to_char to_timestamp make_date make_timestamp age date_diff datediff date_add date_sub',
  'time_bucket epoch now',
  // JSON values of keyed states
  'to_json json_extract json_extract_string json_extract_path_text jsonb_extract_path_text',
]);

/** Types a value may be cast to, by the last part of the parser's name (`pg_catalog.int4`, `text`). */
export const ALLOWED_TYPES: ReadonlySet<string> = words([
  'int2 int4 int8 smallint integer int bigint float4 float8 real double numeric decimal text varchar bpchar char bool boolean',
  'date timestamp timestamptz interval json jsonb',
]);

/** `CURRENT_DATE` and friends: the clock only, not `CURRENT_USER` or `CURRENT_SCHEMA`. */
export const ALLOWED_SQL_VALUE_FUNCTIONS: ReadonlySet<string> = words([
  'SVFOP_CURRENT_DATE SVFOP_CURRENT_TIME SVFOP_CURRENT_TIME_N SVFOP_CURRENT_TIMESTAMP SVFOP_CURRENT_TIMESTAMP_N SVFOP_LOCALTIME',
  'SVFOP_LOCALTIME_N SVFOP_LOCALTIMESTAMP SVFOP_LOCALTIMESTAMP_N',
]);

/**
 * Parse-tree nodes a read-only query over views is made of. Anything else (`RangeFunction` for table
 * functions in FROM, `LockingClause`, `IntoClause`, `XmlExpr`, `RangeTableSample`, ...) is refused.
 */
export const ALLOWED_NODES: ReadonlySet<string> = words([
  'SelectStmt ResTarget ColumnRef String A_Star A_Const Integer Float Boolean A_Expr BoolExpr FuncCall TypeCast TypeName RangeVar',
  'RangeSubselect JoinExpr Alias SortBy WithClause CommonTableExpr SubLink CaseExpr CaseWhen CoalesceExpr MinMaxExpr NullTest',
  'BooleanTest WindowDef ParamRef SQLValueFunction A_ArrayExpr RowExpr List GroupingSet GroupingFunc A_Indirection A_Indices',
]);

/** Space-separated names, grouped in lines, as one set. */
function words(lines: readonly string[]): ReadonlySet<string> {
  return new Set(lines.flatMap((line) => line.split(' ')));
}
