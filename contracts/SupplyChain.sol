// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {ICheckAccess} from "./interfaces/ICheckAccess.sol";
import {EventVisibility, IEventVisibility} from "./interfaces/IEventVisibility.sol";

/// @title SupplyChain
/// @notice Custody of goods among the members of a supply chain, in the spirit of the
///         supply-chain demo of the Confidential Consortium Framework whitepaper: an owner
///         registers participants (manufacturers, carriers, retailers); a manufacturer
///         creates an item with the hash of its description; whoever holds an item hands it
///         to another participant, and every hand-off is recorded with a location and a time.
///         Copy it as a starting point for a consortium application on ccevm.
///
///         What outsiders see: nothing. `checkAccess` accepts participants only, so the node
///         shows this contract's transactions, receipts and logs to no one else, and every
///         view reverts for a caller that is not a participant (on ccevm `msg.sender` in an
///         `eth_call` is the signed-in reader, `address(0)` for an anonymous one).
///         What participants see: every item and its history through the views; of the
///         logs, `ItemCreated` and `ParticipantRegistered` (the contract default) and only
///         the `CustodyTransferred` logs they are a party to.
contract SupplyChain is ICheckAccess, IEventVisibility {
    /// @notice What a participant does in the chain. `None`: not a participant.
    enum Role {
        None,
        Manufacturer,
        Carrier,
        Retailer
    }

    /// @notice One hand-off: `from` gave the item to `to` at `location`, at block time `time`.
    ///         The first record of an item is its creation (`from` is the zero address).
    struct Custody {
        address from;
        address to;
        string location;
        uint64 time;
    }

    /// @notice An item: who made it, who holds it now, and the hash of its description
    ///         (the description itself stays off-chain, shared among the parties).
    struct Item {
        bytes32 descriptionHash;
        address manufacturer;
        address custodian;
    }

    /// @notice The account that registers participants.
    address public immutable owner;

    mapping(address account => Role) private _roles;
    Item[] private _items;
    mapping(uint256 id => Custody[]) private _history;

    /// @notice `account` became a participant with `role`. Seen by all participants.
    event ParticipantRegistered(address indexed account, Role role);

    /// @notice Manufacturer `by` created item `id`. Seen by all participants.
    event ItemCreated(uint256 indexed id, address indexed by);

    /// @notice Item `id` passed from `from` to `to`. Seen by `from` and `to` only.
    event CustodyTransferred(uint256 indexed id, address indexed from, address indexed to);

    /// @notice Only the owner may do this; `caller` is not the owner.
    error NotOwner(address caller);

    /// @notice `account` is not a participant.
    error NotParticipant(address account);

    /// @notice Only a manufacturer may create items; `caller` is not one.
    error NotManufacturer(address caller);

    /// @notice Only the current custodian of item `id` may hand it on; `caller` is not it.
    error NotCustodian(uint256 id, address caller);

    /// @notice There is no item `id`.
    error UnknownItem(uint256 id);

    /// @notice `account` cannot be registered with `role` (zero address, role `None`, or
    ///         already registered).
    error InvalidRegistration(address account, Role role);

    modifier onlyParticipant() {
        if (_roles[msg.sender] == Role.None) revert NotParticipant(msg.sender);
        _;
    }

    modifier knownItem(uint256 id) {
        if (id >= _items.length) revert UnknownItem(id);
        _;
    }

    constructor() {
        owner = msg.sender;
    }

    /// @notice Makes `account` a participant with `role`. Owner only; a participant's role
    ///         is set once.
    function registerParticipant(address account, Role role) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        if (account == address(0) || role == Role.None || _roles[account] != Role.None) {
            revert InvalidRegistration(account, role);
        }
        _roles[account] = role;
        emit ParticipantRegistered(account, role);
    }

    /// @notice Creates an item held by the calling manufacturer at `location`.
    /// @param descriptionHash e.g. keccak256 of the item's description document.
    /// @return id The new item's number (0, 1, 2, …).
    function createItem(bytes32 descriptionHash, string calldata location) external returns (uint256 id) {
        if (_roles[msg.sender] != Role.Manufacturer) revert NotManufacturer(msg.sender);
        id = _items.length;
        _items.push(Item({descriptionHash: descriptionHash, manufacturer: msg.sender, custodian: msg.sender}));
        _history[id].push(Custody({from: address(0), to: msg.sender, location: location, time: uint64(block.timestamp)}));
        emit ItemCreated(id, msg.sender);
    }

    /// @notice Hands item `id`, held by the caller, to participant `to` at `location`.
    function transferCustody(uint256 id, address to, string calldata location) external knownItem(id) {
        Item storage held = _items[id];
        if (held.custodian != msg.sender) revert NotCustodian(id, msg.sender);
        if (_roles[to] == Role.None) revert NotParticipant(to);
        held.custodian = to;
        _history[id].push(Custody({from: msg.sender, to: to, location: location, time: uint64(block.timestamp)}));
        emit CustodyTransferred(id, msg.sender, to);
    }

    /// @notice The role of `account` (`None` if it is not a participant). Participants only.
    function roleOf(address account) external view onlyParticipant returns (Role) {
        return _roles[account];
    }

    /// @notice How many items exist (their ids are 0 to count - 1). Participants only.
    function itemCount() external view onlyParticipant returns (uint256) {
        return _items.length;
    }

    /// @notice Item `id`. Participants only.
    function item(uint256 id) external view onlyParticipant knownItem(id) returns (Item memory) {
        return _items[id];
    }

    /// @notice Every hand-off of item `id`, its creation first. Participants only.
    function history(uint256 id) external view onlyParticipant knownItem(id) returns (Custody[] memory) {
        return _history[id];
    }

    /// @inheritdoc ICheckAccess
    function checkAccess(address reader) external view returns (bool) {
        return _roles[reader] != Role.None;
    }

    /// @inheritdoc IEventVisibility
    /// @dev Pure, as the node requires: a `CustodyTransferred` log is seen by its `from`
    ///      (topic 2) and `to` (topic 3); other events by every participant (the default).
    function eventVisibility(bytes32 eventTopic) external pure returns (uint256 rule) {
        if (eventTopic == CustodyTransferred.selector) return EventVisibility.TOPIC2 | EventVisibility.TOPIC3;
        return EventVisibility.DEFAULT;
    }
}
