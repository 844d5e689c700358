/** What ldapts's parser is handed: the bytes received, and its table of requests in flight (passed through untouched). */
export type MessageRead = (data: Buffer, requests: unknown) => void;

/**
 * Hands an LDAP message on whole, however many chunks it came in. ldapts's parser joins
 * what it holds with each chunk anew and tries to read the message again, so a message
 * of n bytes in 64 KiB chunks cost n²/128 KiB of copying and as many tries: eight lookups
 * answered with 4 MiB values held the event loop over a second. Here the chunks wait
 * until the message's BER length is in, and are joined once.
 */
export function wholeMessages(read: MessageRead): MessageRead {
  let chunks: Buffer[] = [];
  let held = 0;
  // Past bytes that are not BER, everything goes to ldapts as it comes, to fail there as before.
  let unframed = false;
  return (data, requests) => {
    if (unframed) return read(data, requests);
    chunks.push(data);
    held += data.length;
    while (held > 0) {
      // A head split across chunks is joined once, not again with each chunk after it.
      if (chunks.length > 1 && chunks[0]!.length < MAX_HEAD) chunks = [Buffer.concat(chunks, held)];
      const length = messageLength(chunks[0]!);
      if (length === 'unreadable') {
        unframed = true;
        return read(Buffer.concat(chunks, held), requests);
      }
      if (length === undefined || held < length) return;
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, held);
      const rest = all.subarray(length);
      chunks = rest.length > 0 ? [rest] : [];
      held = rest.length;
      read(all.subarray(0, length), requests);
    }
  };
}

/** A tag, a length's first byte and at most four more: the longest head read. */
const MAX_HEAD = 6;

/** The whole length of the BER element `bytes` begins with, once its head is in (X.690 §8.1.3). */
function messageLength(bytes: Buffer): number | 'unreadable' | undefined {
  if (bytes.length < 2) return undefined;
  const first = bytes[1]!;
  if (first < 0x80) return 2 + first;
  const octets = first & 0x7f;
  // Indefinite (0x80) is not allowed in LDAP (RFC 4511 §5.1), and ldapts reads at most four octets.
  if (octets === 0 || octets > 4) return 'unreadable';
  if (bytes.length < 2 + octets) return undefined;
  return 2 + octets + bytes.readUIntBE(2, octets);
}
