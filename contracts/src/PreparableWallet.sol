// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Erc1271} from "./Erc1271.sol";

/// @title An ERC-1271 wallet that is deployed but not ready until a `prepare` call sets its owner.
/// @notice The ERC-6492 "deployed but not ready to verify" case: the signer wraps its signature
///         with (prepareTo, prepareData) = (this wallet, prepare(owner)). Test-only: anyone may
///         prepare an unprepared wallet.
contract PreparableWallet {
    address public owner;

    function prepare(address owner_) external {
        require(owner == address(0), "already prepared");
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        return Erc1271.answer(hash, signature, owner);
    }
}
