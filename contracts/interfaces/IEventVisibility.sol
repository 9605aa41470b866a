// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title IEventVisibility
/// @notice Chooses, per event signature, who may see a contract's logs on ccevm.
/// @dev The answer is a bit set of `EventVisibility` rules; a reader who matches any bit set
///      sees the log. 0 means the contract-level default: readers `checkAccess` accepts, or
///      every authenticated user when the contract has no `checkAccess`.
///      The node asks once per event signature and code hash and caches the answer, so the
///      function MUST be `pure`: the same topic always gives the same rule, whatever the
///      state. Rules that depend on who holds a role belong in `checkAccess`.
interface IEventVisibility {
    /// @notice Who may see logs whose first topic (the event's selector) is `eventTopic`.
    /// @param eventTopic keccak256 of the event signature, e.g. `Transfer.selector`.
    /// @return rule A bit set of `EventVisibility` constants, or `EventVisibility.DEFAULT`.
    function eventVisibility(bytes32 eventTopic) external pure returns (uint256 rule);
}

/// @title EventVisibility
/// @notice The bits an `IEventVisibility.eventVisibility` answer combines with `|`, e.g.
///         `EventVisibility.TOPIC1 | EventVisibility.TOPIC2` for "the `from` and `to` of a
///         `Transfer(address indexed from, address indexed to, uint256)`".
library EventVisibility {
    /// @notice The contract-level default (`checkAccess`, or all authenticated users).
    uint256 internal constant DEFAULT = 0;
    /// @notice Everyone, anonymous readers included.
    uint256 internal constant EVERYONE = 1;
    /// @notice The sender of the transaction that emitted the log.
    uint256 internal constant TX_SENDER = 2;
    /// @notice The address in topic 1 (the first indexed parameter).
    uint256 internal constant TOPIC1 = 4;
    /// @notice The address in topic 2 (the second indexed parameter).
    uint256 internal constant TOPIC2 = 8;
    /// @notice The address in topic 3 (the third indexed parameter).
    uint256 internal constant TOPIC3 = 16;
}
