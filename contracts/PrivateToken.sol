// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {ICheckAccess} from "./interfaces/ICheckAccess.sol";
import {EventVisibility, IEventVisibility} from "./interfaces/IEventVisibility.sol";

/// @title PrivateToken
/// @notice An ERC-20 token whose balances and transfers are seen only by the parties involved
///         and by one auditor. Copy it as a starting point for a confidential asset on ccevm.
///
///         Three layers keep it private:
///         - state: `balanceOf` and `allowance` revert unless the caller is a party (or the
///           auditor). On ccevm `msg.sender` in an `eth_call` is the signed-in reader, and
///           `address(0)` for an anonymous one, so nobody learns another account's balance;
///         - logs: `eventVisibility` shows a `Transfer` or `Approval` log to the two
///           addresses it names;
///         - transactions and receipts: `checkAccess` accepts only the auditor, so the node
///           shows the token's transactions to no other third party.
/// @dev `totalSupply`, `name`, `symbol` and `decimals` stay public: they describe the token,
///      not anyone's holdings. Errors name only the caller's own figures.
contract PrivateToken is ICheckAccess, IEventVisibility {
    /// @notice The token's name, e.g. "Private Token".
    string public name;

    /// @notice The token's ticker symbol, e.g. "PRV".
    string public symbol;

    /// @notice Number of decimals of the display unit: 1 token = 10**18 base units.
    uint8 public constant decimals = 18;

    /// @notice Total amount of base units in existence (public: it reveals no holder).
    uint256 public totalSupply;

    /// @notice The account that may read every balance and allowance, and every transaction
    ///         and receipt, of this token.
    address public immutable auditor;

    mapping(address account => uint256) private _balances;
    mapping(address owner => mapping(address spender => uint256)) private _allowances;

    /// @notice Emitted when `value` base units move from `from` to `to` (`from` is zero on
    ///         mint). Seen by `from` and `to`.
    event Transfer(address indexed from, address indexed to, uint256 value);

    /// @notice Emitted when `owner` sets `spender`'s allowance to `value`. Seen by `owner`
    ///         and `spender`.
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice The caller, `account`, holds `available` base units but `needed` were required.
    error InsufficientBalance(address account, uint256 needed, uint256 available);

    /// @notice `account` holds fewer than `needed` base units. Reported to a spender instead
    ///         of `InsufficientBalance`, which would tell it `account`'s balance.
    error BalanceTooLow(address account, uint256 needed);

    /// @notice `spender` may move `available` base units of `owner` but `needed` were required.
    error InsufficientAllowance(address owner, address spender, uint256 needed, uint256 available);

    /// @notice `reader` may not read this figure: it is neither a party nor the auditor.
    error NotAuthorized(address reader);

    /// @notice Tokens may not be sent to `receiver` (the zero address).
    error InvalidReceiver(address receiver);

    /// @notice An allowance may not be given to `spender` (the zero address).
    error InvalidSpender(address spender);

    /// @notice The auditor may not be the zero address (anonymous readers would be the auditor).
    error InvalidAuditor(address auditor);

    /// @param name_ The token's name.
    /// @param symbol_ The token's symbol.
    /// @param initialSupply Base units (not whole tokens) minted to the deployer.
    /// @param auditor_ The account that may read everything about this token.
    constructor(string memory name_, string memory symbol_, uint256 initialSupply, address auditor_) {
        if (auditor_ == address(0)) revert InvalidAuditor(auditor_);
        name = name_;
        symbol = symbol_;
        auditor = auditor_;
        totalSupply = initialSupply;
        _balances[msg.sender] = initialSupply;
        emit Transfer(address(0), msg.sender, initialSupply);
    }

    /// @notice The base units `account` holds. Only `account` itself and the auditor may ask.
    function balanceOf(address account) external view returns (uint256) {
        if (msg.sender != account && msg.sender != auditor) revert NotAuthorized(msg.sender);
        return _balances[account];
    }

    /// @notice The base units `spender` may still move out of `owner`'s balance. Only
    ///         `owner`, `spender` and the auditor may ask.
    function allowance(address owner, address spender) external view returns (uint256) {
        if (msg.sender != owner && msg.sender != spender && msg.sender != auditor) revert NotAuthorized(msg.sender);
        return _allowances[owner][spender];
    }

    /// @notice Moves `value` base units from the caller to `to`.
    /// @return Always true (failures revert).
    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    /// @notice Lets `spender` move up to `value` of the caller's base units (replacing any
    ///         previous allowance).
    /// @return Always true (failures revert).
    function approve(address spender, uint256 value) external returns (bool) {
        if (spender == address(0)) revert InvalidSpender(spender);
        _allowances[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    /// @notice Moves `value` base units from `from` to `to` using the caller's allowance.
    ///         An allowance of `type(uint256).max` is treated as unlimited and never decreases.
    /// @dev The allowance in `InsufficientAllowance` is the caller's own figure; a balance
    ///      too low is reported without the balance (`BalanceTooLow`), which is `from`'s.
    /// @return Always true (failures revert).
    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = _allowances[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < value) revert InsufficientAllowance(from, msg.sender, value, allowed);
            unchecked {
                _allowances[from][msg.sender] = allowed - value;
            }
        }
        _transfer(from, to, value);
        return true;
    }

    /// @inheritdoc ICheckAccess
    /// @dev Only the auditor sees every transaction and receipt; the parties see their own
    ///      logs through `eventVisibility`.
    function checkAccess(address reader) external view returns (bool) {
        return reader == auditor;
    }

    /// @inheritdoc IEventVisibility
    /// @dev Pure, as the node requires: `Transfer` and `Approval` are seen by the two
    ///      addresses in their topics 1 and 2; anything else falls back to `checkAccess`.
    function eventVisibility(bytes32 eventTopic) external pure returns (uint256 rule) {
        if (eventTopic == Transfer.selector || eventTopic == Approval.selector) {
            return EventVisibility.TOPIC1 | EventVisibility.TOPIC2;
        }
        return EventVisibility.DEFAULT;
    }

    function _transfer(address from, address to, uint256 value) private {
        if (to == address(0)) revert InvalidReceiver(to);
        uint256 balance = _balances[from];
        if (balance < value) {
            if (msg.sender == from) revert InsufficientBalance(from, value, balance);
            revert BalanceTooLow(from, value);
        }
        unchecked {
            // Cannot underflow (checked above) nor overflow (the sum of all balances is
            // totalSupply, which fits in a uint256).
            _balances[from] = balance - value;
            _balances[to] += value;
        }
        emit Transfer(from, to, value);
    }
}
