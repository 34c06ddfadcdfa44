/**
 * The CloudEvent a broker message carries. Structured mode (content type `application/cloudevents+json`
 * or plain JSON): the body is the envelope. Binary mode: the attributes travel as MQTT 5 user properties
 * (`specversion`, `id`, …) or AMQP headers (`cloudEvents:id` / `cloudEvents_id`), the body is `data`.
 * A body that is not JSON stays text, so validation rejects it and it is dead-lettered like at `POST /events`.
 */
export function decodeFact(body: Buffer, attributes: Record<string, unknown> | undefined, prefixes: readonly string[] = ['']): unknown {
  const text = body.toString('utf8');
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Stays text: the validation that follows names the problem.
  }
  const binary: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    const prefix = prefixes.find((p) => name.startsWith(p));
    if (prefix === undefined) continue;
    const attribute = name.slice(prefix.length);
    if (/^[a-z0-9]{1,20}$/.test(attribute)) binary[attribute] = Buffer.isBuffer(value) ? value.toString('utf8') : value;
  }
  if (binary.specversion === undefined) return parsed;
  return { ...binary, data: parsed };
}
