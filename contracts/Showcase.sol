// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title Showcase
/// @notice One contract that exercises, on purpose, the EVM behaviours an Ethereum JSON-RPC
///         node must get right: logs of every shape (indexed and non-indexed parameters,
///         indexed dynamic types, several logs per transaction, an anonymous event, logs in a
///         constructor, logs discarded by a revert), every kind of revert data (custom errors
///         with and without arguments, `require` reason strings, `revert()` without data,
///         `Panic` codes), value transfers in and out, `msg.sender` in calls, and block
///         context (`block.number`, `block.timestamp`, `blockhash`, `block.chainid`).
/// @dev Functions named `fail*` always revert and are `pure`, for `eth_call` tests. The
///      state-changing functions `setValue`, `deposit`, `withdraw`, `decrement` and
///      `emitThenRevert` revert under documented conditions, for mined failing transactions.
contract Showcase {
    /// @notice Largest value `setValue` accepts.
    uint256 public constant MAX_VALUE = 1_000_000;

    /// @notice The account that deployed this contract.
    address public immutable deployer;

    /// @notice A counter moved by `increment` and `decrement`.
    uint256 public count;

    /// @notice A value set by `setValue`.
    uint256 public value;

    /// @notice Wei deposited by each account and not withdrawn yet.
    mapping(address account => uint256) public deposits;

    /// @notice Block number seen by the last `recordBlock` transaction.
    uint256 public recordedNumber;

    /// @notice Block timestamp seen by the last `recordBlock` transaction.
    uint256 public recordedTimestamp;

    /// @notice `blockhash(block.number - 1)` seen by the last `recordBlock` transaction.
    bytes32 public recordedParentHash;

    // ---------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------

    /// @notice Emitted once, by the constructor.
    event Deployed(address indexed deployer);

    /// @notice Emitted by `increment` and `decrement` with the counter's new value.
    event CountChanged(address indexed by, uint256 count);

    /// @notice Emitted by `setValue`. Two indexed parameters, two in the data (one dynamic).
    event ValueChanged(address indexed by, uint256 indexed oldValue, uint256 newValue, string note);

    /// @notice Emitted when `from` deposits `amount` wei, leaving `total` deposited.
    event Deposited(address indexed from, uint256 amount, uint256 total);

    /// @notice Emitted when `to` withdraws `amount` wei.
    event Withdrawn(address indexed to, uint256 amount);

    /// @notice Emitted by `recordBlock`.
    event BlockRecorded(uint256 indexed number, uint256 timestamp, bytes32 parentHash);

    /// @notice Emitted by `emitEvents`. `tag` is an indexed dynamic type, so its topic is
    ///         `keccak256(bytes(tag))`, not the string itself.
    event Tagged(string indexed tag, bytes32 indexed dataHash, bytes data);

    /// @notice Emitted by `emitEvents`. Anonymous: no signature topic, so topic 0 is `sender`.
    event Signal(address indexed sender, bytes32 indexed tagHash, uint256 dataLength) anonymous;

    /// @notice Emitted by `emitEvents`: an event without parameters (one topic, empty data).
    event Ping();

    // ---------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------

    /// @notice `value` is larger than `max`.
    error ValueTooLarge(uint256 value, uint256 max);

    /// @notice `caller` asked for something and was turned down with `code` and `reason`.
    error Rejected(address caller, uint256 code, string reason);

    /// @notice An error without arguments: its revert data is just the 4-byte selector.
    error Empty();

    /// @notice Sending `amount` wei to `to` failed.
    error TransferFailed(address to, uint256 amount);

    constructor() {
        deployer = msg.sender;
        emit Deployed(msg.sender);
    }

    // ---------------------------------------------------------------------------------------
    // Counter and value
    // ---------------------------------------------------------------------------------------

    /// @notice Adds one to `count` and emits `CountChanged`.
    function increment() external {
        uint256 newCount = count + 1;
        count = newCount;
        emit CountChanged(msg.sender, newCount);
    }

    /// @notice Subtracts one from `count`; reverts with `Panic(0x11)` (arithmetic underflow)
    ///         when `count` is zero.
    function decrement() external {
        uint256 newCount = count - 1;
        count = newCount;
        emit CountChanged(msg.sender, newCount);
    }

    /// @notice Sets `value`; reverts with `ValueTooLarge` above `MAX_VALUE`.
    function setValue(uint256 newValue, string calldata note) external {
        if (newValue > MAX_VALUE) revert ValueTooLarge(newValue, MAX_VALUE);
        uint256 oldValue = value;
        value = newValue;
        emit ValueChanged(msg.sender, oldValue, newValue, note);
    }

    // ---------------------------------------------------------------------------------------
    // Ether in and out
    // ---------------------------------------------------------------------------------------

    /// @notice Deposits the attached wei for the caller; requires a non-zero amount.
    function deposit() external payable {
        require(msg.value > 0, "Showcase: nothing to deposit");
        _deposit();
    }

    /// @notice Plain transfers (no calldata) are deposits too, including zero-value ones.
    receive() external payable {
        _deposit();
    }

    /// @notice Sends `amount` of the caller's deposit back to the caller.
    function withdraw(uint256 amount) external {
        uint256 available = deposits[msg.sender];
        require(amount <= available, "Showcase: amount exceeds deposit");
        deposits[msg.sender] = available - amount;
        (bool ok, ) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
    }

    function _deposit() private {
        uint256 total = deposits[msg.sender] + msg.value;
        deposits[msg.sender] = total;
        emit Deposited(msg.sender, msg.value, total);
    }

    // ---------------------------------------------------------------------------------------
    // Block context and caller
    // ---------------------------------------------------------------------------------------

    /// @notice Stores and emits the current block number, timestamp and parent block hash.
    function recordBlock() external {
        bytes32 parentHash = _parentHash();
        recordedNumber = block.number;
        recordedTimestamp = block.timestamp;
        recordedParentHash = parentHash;
        emit BlockRecorded(block.number, block.timestamp, parentHash);
    }

    /// @notice The block context an `eth_call` executes in.
    function blockInfo()
        external
        view
        returns (uint256 number, uint256 timestamp, bytes32 parentHash, uint256 chainId)
    {
        return (block.number, block.timestamp, _parentHash(), block.chainid);
    }

    /// @notice The caller as the EVM sees it (for an unauthenticated `eth_call` on ccevm,
    ///         the zero address).
    function whoAmI() external view returns (address) {
        return msg.sender;
    }

    /// @dev `blockhash(block.number - 1)`, or zero in block 0 (where the subtraction would
    ///      underflow).
    function _parentHash() private view returns (bytes32) {
        return block.number == 0 ? bytes32(0) : blockhash(block.number - 1);
    }

    // ---------------------------------------------------------------------------------------
    // Logs
    // ---------------------------------------------------------------------------------------

    /// @notice Emits three differently shaped logs in one transaction: `Tagged`, the
    ///         anonymous `Signal`, then `Ping`.
    function emitEvents(string calldata tag, bytes calldata data) external {
        bytes32 tagHash = keccak256(bytes(tag));
        emit Tagged(tag, keccak256(data), data);
        emit Signal(msg.sender, tagHash, data.length);
        emit Ping();
    }

    /// @notice Increments `count` and emits `CountChanged`, then reverts with a reason
    ///         string: the receipt must show failure, no logs, and `count` must not move.
    function emitThenRevert() external {
        count += 1;
        emit CountChanged(msg.sender, count);
        revert("Showcase: emitted then reverted");
    }

    // ---------------------------------------------------------------------------------------
    // Failures (always revert)
    // ---------------------------------------------------------------------------------------

    /// @notice Reverts with `Error(string)` through `require`.
    function failRequire() external pure {
        require(false, "Showcase: require failed");
    }

    /// @notice Reverts with the custom error `Rejected(msg.sender, code, "rejected")`.
    function failCustomError(uint256 code) external view {
        revert Rejected(msg.sender, code, "rejected");
    }

    /// @notice Reverts with the argument-less custom error `Empty()`.
    function failEmptyError() external pure {
        revert Empty();
    }

    /// @notice Reverts without any revert data.
    function failWithoutData() external pure {
        revert();
    }

    /// @notice Fails an `assert`: reverts with `Panic(0x01)`.
    function failAssert() external pure {
        assert(false);
    }

    /// @notice Returns `a / b`; reverts with `Panic(0x12)` when `b` is zero.
    function divide(uint256 a, uint256 b) external pure returns (uint256) {
        return a / b;
    }
}
