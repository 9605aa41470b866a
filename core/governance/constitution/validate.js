// validate(proposal): may it be put to the vote? Pure: it sees only the proposal.
function validate(proposal) {
  if (!isObject(proposal) || !Array.isArray(proposal.actions) || proposal.actions.length === 0) return { valid: false, description: 'a proposal needs at least one action' };
  for (const action of proposal.actions) {
    const wrong = checkAction(action);
    if (wrong !== undefined) return { valid: false, description: wrong };
  }
  return { valid: true };
}
