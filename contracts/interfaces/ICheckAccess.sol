// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title ICheckAccess
/// @notice Makes a contract PRIVATE on ccevm. A contract with this function has its
///         transactions, receipts and logs shown only to the readers it accepts; a contract
///         without it is visible to every authenticated user of the network.
/// @dev The node calls `checkAccess` itself, on current state, with a gas cap and with
///      `msg.sender == address(0)`: decide from `reader` and storage only, never from
///      `msg.sender`, and keep it cheap (a mapping lookup or an address comparison).
interface ICheckAccess {
    /// @notice Whether `reader` (an authenticated address, or `address(0)` for an anonymous
    ///         reader) may see this contract's transactions, receipts and logs.
    function checkAccess(address reader) external view returns (bool);
}
