// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Erc1271} from "./Erc1271.sol";

/// @title A minimal ERC-1271 smart account owned by one EOA key.
/// @notice The signature is valid when it recovers the owner from the hash it is given
///         (Erc1271.answer).
contract OwnedWallet {
    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        return Erc1271.answer(hash, signature, owner);
    }
}
