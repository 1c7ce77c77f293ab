// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {OwnedWallet} from "./OwnedWallet.sol";

/// @title CREATE2 factory for OwnedWallet: the counterfactual deployer of the ERC-6492 tests.
/// @notice ERC-6492 signs for a wallet that does not exist yet; the wrapper names this factory
///         and the calldata `deploy(owner, salt)` that brings the wallet into existence.
contract WalletFactory {
    function deploy(address owner, bytes32 salt) external returns (address wallet) {
        address predicted = walletAddress(owner, salt);
        if (predicted.code.length > 0) {
            return predicted;
        }
        wallet = address(new OwnedWallet{salt: salt}(owner));
    }

    /// EIP-1014: address = keccak256(0xff ‖ factory ‖ salt ‖ keccak256(init_code))[12:]
    function walletAddress(address owner, bytes32 salt) public view returns (address) {
        bytes32 initCodeHash =
            keccak256(abi.encodePacked(type(OwnedWallet).creationCode, abi.encode(owner)));
        bytes32 digest = keccak256(abi.encodePacked(bytes1(0xff), address(this), salt, initCodeHash));
        return address(uint160(uint256(digest)));
    }
}
