/**
 * How fresh the data product a response read is: the subgraph puts `extensions.dataProducts` on each
 * answer that read its product, the gateway merges them into its own response (issue #14 item 7).
 */
export interface DataProductRead {
  /** The product id, e.g. `orders.sales`. */
  readonly id: string;
  /** Event time (ISO) of the newest fact the product had applied when it answered; null before the first. */
  readonly asOf: string | null;
}

/** The response extension key both sides use. */
export const DATA_PRODUCTS_EXTENSION = 'dataProducts';
