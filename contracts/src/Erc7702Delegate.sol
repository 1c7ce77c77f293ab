// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Erc1271} from "./Erc1271.sol";

/// @title An ERC-1271 implementation for an EIP-7702-delegated EOA.
/// @notice Under EIP-7702 this code runs in the context of the delegating EOA, so
///         `address(this)` is the EOA: a signature is valid when it recovers the EOA's own key.
///         The immutable `acceptsOwnKey` lives in the code, not in the EOA's storage, so one
///         deployment accepts and another always rejects (the ERC-8128 §4.1 step 3 "MUST NOT
///         fall back to ECDSA" test).
/// @dev    Shaped like OwnedWallet on purpose (deliberate for the duplicate scan): one immutable,
///         its constructor and ERC-1271's fixed `isValidSignature`; the logic they share is
///         Erc1271.answer. A common base contract would only move these few lines out of sight.
contract Erc7702Delegate {
    bool public immutable acceptsOwnKey;

    constructor(bool acceptsOwnKey_) {
        acceptsOwnKey = acceptsOwnKey_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (!acceptsOwnKey) {
            return Erc1271.INVALID_VALUE;
        }
        return Erc1271.answer(hash, signature, address(this));
    }
}
