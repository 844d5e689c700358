/** One card of a vCard file: its lines from BEGIN:VCARD to its END:VCARD, as the file has them. */
export interface VcardText {
  /** "card 3 (line 12)": how problems with the card name it. */
  where: string;
  /** The line of the file its BEGIN:VCARD is on. */
  line: number;
  lines: string[];
}

/** A content line of a card, unfolded, with the line of the file it starts on. */
export interface ContentLine {
  line: number;
  text: string;
}

/** A content line the bridge cannot read, with the line of the file it starts on. */
export class VcardLineError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'VcardLineError';
  }
}

const BEGIN = /^BEGIN:VCARD\s*$/i;
const END = /^END:VCARD\s*$/i;

/**
 * vCard 2.1's AGENT with no value on its line: the value is the vCard on the lines after it
 * (vCard 2.1 §2.1.4.1: "the vCard data stream can contain a property whose value is a nested
 * vCard"; §2.5.4). 3.0 and 4.0 write an agent's card as one escaped text or a URI instead.
 */
const AGENT_BEFORE_CARD = /^([^:;]+\.)?AGENT(;[^:]*)?:\s*$/i;

/**
 * The cards of a vCard file, each named by its number and the line it starts on, and in their
 * place among them what is not in a card: a line outside every card, a card without its
 * END:VCARD. ical.js reads a file without saying where anything is, so the file is cut into
 * cards here, where the lines are counted; read whole, a line lacking its colon in card 57 of
 * 60 was "invalid line" without a place, a missing END:VCARD "component began but did not
 * end", and a 2.1 AGENT's nested card shifted every card after it to another card's line.
 */
export function vcardCards(content: string): (VcardText | { where: string; problem: string })[] {
  const found: (VcardText | { where: string; problem: string })[] = [];
  let open: VcardText | undefined;
  let nested = 0;
  let cards = 0;
  content.split(/\r?\n/).forEach((text, i) => {
    const line = i + 1;
    if (open && BEGIN.test(text) && !AGENT_BEFORE_CARD.test(open.lines.at(-1)!)) {
      found.push({ where: open.where, problem: `no END:VCARD before the BEGIN:VCARD of line ${line}` });
      open = undefined;
      nested = 0;
    }
    if (open) {
      open.lines.push(text);
      if (BEGIN.test(text)) nested++;
      else if (END.test(text) && nested > 0) nested--;
      else if (END.test(text)) {
        found.push(open);
        open = undefined;
      }
    } else if (BEGIN.test(text)) {
      cards++;
      open = { where: `card ${cards} (line ${line})`, line, lines: [text] };
    } else if (text.trim() !== '') {
      found.push({
        where: `line ${line}`,
        problem: END.test(text) ? 'END:VCARD without a BEGIN:VCARD before it' : 'outside any card (BEGIN:VCARD … END:VCARD)',
      });
    }
  });
  if (open) found.push({ where: open.where, problem: 'no END:VCARD' });
  return found;
}

/** A card's content lines, unfolded as ical.js unfolds them (RFC 6350 §3.2: a line that starts with a space or tab goes on the one before, less that blank). */
export function contentLines(card: VcardText): ContentLine[] {
  const lines: ContentLine[] = [];
  card.lines.forEach((text, i) => {
    const last = lines.at(-1);
    if (last && /^[ \t]/.test(text)) last.text += text.slice(1);
    else if (text !== '') lines.push({ line: card.line + i, text });
  });
  return lines;
}
