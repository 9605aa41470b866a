// resolve(proposal, proposerId, votes): a strict majority of the Active members decides.
// Votes of members that are not Active (Accepted ones have not acknowledged the state yet)
// do not count. Rejected as soon as the approvals can no longer reach that majority.
function resolve(proposal, proposerId, votes) {
  const active = new Set(ccf.kv.entries(TABLES.members).filter(([, m]) => m.status === 'Active').map(([id]) => id));
  const majority = Math.floor(active.size / 2) + 1;
  const ballots = new Map();
  for (const v of votes) if (active.has(v.member_id)) ballots.set(v.member_id, v.vote === true);
  let approvals = 0;
  for (const approve of ballots.values()) if (approve) approvals++;
  const rejections = ballots.size - approvals;
  if (approvals >= majority) return 'Accepted';
  if (rejections >= active.size - majority + 1) return 'Rejected';
  return 'Open';
}
