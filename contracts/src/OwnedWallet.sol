// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {SignatureRecovery} from "./SignatureRecovery.sol";

/// @title A minimal ERC-1271 smart account owned by one EOA key.
/// @notice ERC-1271: "MUST return the bytes4 magic value 0x1626ba7e when function passes."
///         The signature is valid when it recovers the owner from the hash it is given (for
///         ERC-8128 that hash is H, the ERC-191 hash of the signature base).
contract OwnedWallet {
    bytes4 internal constant MAGIC_VALUE = 0x1626ba7e;
    bytes4 internal constant INVALID_VALUE = 0xffffffff;

    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature)
        external
        view
        returns (bytes4)
    {
        address signer = SignatureRecovery.recover(hash, signature);
        if (signer != address(0) && signer == owner) {
            return MAGIC_VALUE;
        }
        return INVALID_VALUE;
    }
}
