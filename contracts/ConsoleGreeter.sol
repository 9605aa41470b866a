// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "hardhat/console.sol";

/// Prints with console.log (hardhat/console.sol): what a development node's log shows
/// (test/evm/dev-mode.test.ts).
contract ConsoleGreeter {
    string public greeting;

    constructor(string memory initial) {
        greeting = initial;
        console.log("deployed with greeting %s", initial);
    }

    function setGreeting(string calldata next, uint256 times) external {
        console.log("changing greeting from '%s' to '%s'", greeting, next);
        console.log("times %d by", times, msg.sender);
        greeting = next;
    }

    function greet() external view returns (string memory) {
        console.log("greet called by", msg.sender, true);
        console.logInt(-42);
        console.logBytes(hex"c0ffee");
        console.logBytes4(0xdeadbeef);
        return greeting;
    }
}
