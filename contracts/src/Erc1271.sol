// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {SignatureRecovery} from "./SignatureRecovery.sol";

/// @title The ERC-1271 answer of a test account that accepts one key's signatures.
/// @notice ERC-1271: "MUST return the bytes4 magic value 0x1626ba7e when function passes."
///         Every test account answers the same way; they differ only in which key is theirs.
library Erc1271 {
    bytes4 internal constant MAGIC_VALUE = 0x1626ba7e;
    bytes4 internal constant INVALID_VALUE = 0xffffffff;

    /// The magic value when `signature` recovers `key` from `hash` (for ERC-8128 that hash is
    /// H, the ERC-191 hash of the signature base), else 0xffffffff. The zero address is never a
    /// key: a signature that does not recover anything is invalid for an unset owner too.
    function answer(bytes32 hash, bytes calldata signature, address key)
        internal
        pure
        returns (bytes4)
    {
        address signer = SignatureRecovery.recover(hash, signature);
        if (signer != address(0) && signer == key) {
            return MAGIC_VALUE;
        }
        return INVALID_VALUE;
    }
}
