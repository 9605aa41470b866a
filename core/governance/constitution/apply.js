// apply(proposal, proposalId): carry out an accepted proposal's actions in order. The
// arguments are checked again (the constitution may have changed since it was validated).
// A throw fails the whole proposal: none of its writes happen.
function apply(proposal, proposalId) {
  for (const action of proposal.actions) {
    const wrong = checkAction(action);
    if (wrong !== undefined) throw new Error(wrong);
    ACTIONS[action.name].apply(action.args === undefined ? {} : action.args, proposalId);
  }
}
