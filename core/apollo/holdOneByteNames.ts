import { visit, type DocumentNode } from 'graphql';

/**
 * A document's names as property keys: V8 keeps one entry per distinct text in its table of internalized
 * strings (property keys are looked up there), and an entry lives while something holds it. Whoever keeps
 * this keeps the one-byte entries (one per supergraph, which lives as long as that supergraph: a process
 * reloading supergraphs does not pile up the names of every one it ever loaded).
 */
export type HeldNames = Readonly<Record<string, true>>;

/**
 * Puts one-byte copies of a document's names (types, fields, arguments, enum values, directives) into
 * V8's string table before @apollo/federation-internals sees the document.
 *
 * Why: V8 stores a string as one byte per character or two, and a property key as the one entry its
 * table has for that text. federation-internals validates a schema by printing it and parsing the print
 * again; the print joins strings V8 has turned into "thin" references (every string once used as a
 * property key), which V8 joins as two-byte text, so every name parsed from it is two-byte. When that is
 * the first time a name becomes a property key, the table's entry for it is two-byte for good, and every
 * object with that name as a key (the gateway's responses, entity representations) then serialises with
 * `JSON.stringify` to two-byte text, which costs several times more to measure and encode as UTF-8 on
 * every answer (issue #11: ~1.3 ms per answer of the benchmark's 70 KB heavy query). Called first, this
 * makes the table's entries one-byte instead; a name some earlier code already made two-byte stays so.
 * The entries stay one-byte while the returned object is held.
 */
export function holdOneByteNames(document: DocumentNode): HeldNames {
  const held: Record<string, true> = Object.create(null) as Record<string, true>;
  visit(document, {
    Name(node) {
      // A fresh one-byte copy (GraphQL names are ASCII): the parsed text itself may be two-byte, and
      // using it as a key, even to look it up, would put that one in the table.
      held[Buffer.from(node.value, 'latin1').toString('latin1')] = true;
    },
  });
  return held;
}
