/** A committed transaction's identity: the consensus view it was produced in and its position. */
export interface TxID {
  readonly view: number;
  readonly seqno: number;
}

export function formatTxID(id: TxID): string {
  return `${id.view}.${id.seqno}`;
}

export function parseTxID(text: string): TxID {
  const m = /^(\d{1,15})\.(\d{1,15})$/.exec(text);
  if (!m) throw new TypeError(`not a transaction id (view.seqno): ${text.slice(0, 40)}`);
  return { view: Number(m[1]), seqno: Number(m[2]) };
}
