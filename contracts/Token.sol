// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title Token
/// @notice A minimal, self-contained ERC-20 token (EIP-20), written for the ccevm tests and
///         benchmarks. No external dependencies, no owner, no minting after deployment.
/// @dev Failures revert with custom errors carrying the numbers involved, so tests can check
///      that revert data reaches JSON-RPC clients intact.
contract Token {
    /// @notice The token's name, e.g. "Test Token".
    string public name;

    /// @notice The token's ticker symbol, e.g. "TST".
    string public symbol;

    /// @notice Number of decimals of the display unit: 1 token = 10**18 base units.
    uint8 public constant decimals = 18;

    /// @notice Total amount of base units in existence.
    uint256 public totalSupply;

    /// @notice Base units held by each account.
    mapping(address account => uint256) public balanceOf;

    /// @notice Base units `spender` may still move out of `owner`'s balance.
    mapping(address owner => mapping(address spender => uint256)) public allowance;

    /// @notice Emitted when `value` base units move from `from` to `to` (`from` is zero on mint).
    event Transfer(address indexed from, address indexed to, uint256 value);

    /// @notice Emitted when `owner` sets `spender`'s allowance to `value`.
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice `account` holds `balance` base units but `needed` were required.
    error InsufficientBalance(address account, uint256 balance, uint256 needed);

    /// @notice `spender` may move `allowance` base units of `owner` but `needed` were required.
    error InsufficientAllowance(address owner, address spender, uint256 allowance, uint256 needed);

    /// @notice Tokens may not be sent to `receiver` (the zero address).
    error InvalidReceiver(address receiver);

    /// @notice An allowance may not be given to `spender` (the zero address).
    error InvalidSpender(address spender);

    /// @param name_ The token's name.
    /// @param symbol_ The token's symbol.
    /// @param initialSupply Base units (not whole tokens) minted to the deployer.
    constructor(string memory name_, string memory symbol_, uint256 initialSupply) {
        name = name_;
        symbol = symbol_;
        totalSupply = initialSupply;
        balanceOf[msg.sender] = initialSupply;
        emit Transfer(address(0), msg.sender, initialSupply);
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
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    /// @notice Moves `value` base units from `from` to `to` using the caller's allowance.
    ///         An allowance of `type(uint256).max` is treated as unlimited and never decreases.
    /// @return Always true (failures revert).
    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < value) revert InsufficientAllowance(from, msg.sender, allowed, value);
            unchecked {
                allowance[from][msg.sender] = allowed - value;
            }
        }
        _transfer(from, to, value);
        return true;
    }

    function _transfer(address from, address to, uint256 value) private {
        if (to == address(0)) revert InvalidReceiver(to);
        uint256 balance = balanceOf[from];
        if (balance < value) revert InsufficientBalance(from, balance, value);
        unchecked {
            // Cannot underflow (checked above) nor overflow (the sum of all balances is
            // totalSupply, which fits in a uint256).
            balanceOf[from] = balance - value;
            balanceOf[to] += value;
        }
        emit Transfer(from, to, value);
    }
}
